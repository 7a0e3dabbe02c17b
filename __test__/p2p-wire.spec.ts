import test from 'ava';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSocket, startCoordinator, startPeer } from '../src/index.js';
import { CONTROL_STREAM, DATA_STREAM } from '../src/p2p/link.js';
import { Upstreams } from '../src/p2p/parents.js';
import { encodeControl, MAX_CONTROL, parseControl, type Control } from '../src/p2p/wire/control.js';
import { encodeTick, parseSymbol, SYMBOL_HEADER, writeSymbolHeader } from '../src/p2p/wire/symbol.js';

const HOST = '127.0.0.1';
const ref = (id: string, addr = '127.0.0.1:9') => ({ id, addr });

const VALID: Control[] = [
  { t: 'ping', at: 12.5 },
  { t: 'pong', at: 12.5, now: 4_000_000_000 },
  { t: 'join', v: 1, ratio: 2, rttMs: 3 },
  { t: 'join', v: 1, bps: 4e6, rttMs: 0 },
  {
    t: 'placed', v: 1, id: 'p1', home: 1, stripes: 2, k: 9, n: 18, latencyMs: 1000, slots: 5, now: 7,
    parents: [{ stripe: 0, parent: { id: 'root', addr: '' }, backups: [ref('p2')] }, { stripe: 1, parent: null, backups: [] }],
  },
  { t: 'refused', reason: 'full' },
  { t: 'sub', stripe: 3, id: 'p9' },
  { t: 'sub', stripe: 3, id: 'p9', from: 4_294_967_295 },
  { t: 'suback', stripe: 3, ok: false },
  { t: 'unsub', stripe: 0 },
  { t: 'bye' },
  { t: 'leave' },
  { t: 'report', blocks: 20, lost: 0, rawLoss: 0.01, inBps: 1e6, outBps: 2e6, parents: ['root', '', 'p3', 'p4'] },
  { t: 'lost', stripe: 1, parent: 'p2', using: ref('p3', '[::1]:7000') },
  { t: 'lost', stripe: 1, parent: 'p2', using: null },
  { t: 'move', stripe: 2, parent: ref('p5'), backups: [] },
];

test('control: every message type round-trips through encode and the strict parser', (t) => {
  for (const msg of VALID) t.deepEqual(parseControl(encodeControl(msg)), msg, msg.t);
});

test('control: anything malformed parses to undefined, never throws', (t) => {
  const bad: unknown[] = [
    null, [], 'x', 42, {}, { t: 'nope' }, { t: 'ping' }, { t: 'ping', at: -1 }, { t: 'ping', at: 1, extra: 1 },
    { t: 'join', v: 2, ratio: 2, rttMs: 1 }, { t: 'join', v: 1, ratio: 2, bps: 1, rttMs: 1 }, { t: 'join', v: 1, rttMs: 1 },
    { t: 'join', v: 1, ratio: Number.NaN, rttMs: 1 }, { t: 'sub', stripe: 16, id: 'p1' }, { t: 'sub', stripe: 1.5, id: 'p1' },
    { t: 'sub', stripe: 1, id: 'P1!' }, { t: 'sub', stripe: 1, id: 'p1', from: -1 }, { t: 'sub', stripe: 1, id: 'p1', from: 2 ** 32 }, { t: 'sub', stripe: 1, id: 'a'.repeat(17) }, { t: 'suback', stripe: 1, ok: 'yes' },
    { t: 'lost', stripe: 1, parent: 'p2', using: { id: 'p3', addr: 'evil.example:1' } },
    { t: 'lost', stripe: 1, parent: 'p2', using: { id: 'p3', addr: '1.2.3.4:0' } },
    { t: 'lost', stripe: 1, parent: 'p2', using: { id: 'p3', addr: '1.2.3.4:99999' } },
    { t: 'move', stripe: 1, parent: ref('p1'), backups: Array(9).fill(ref('p2')) },
    { t: 'report', blocks: 1, lost: 0, rawLoss: 1.5, inBps: 0, outBps: 0, parents: [] },
    { t: 'refused', reason: 'x'.repeat(201) },
    { t: 'placed', v: 1, id: 'p1', home: 2, stripes: 2, k: 9, n: 18, latencyMs: 1000, slots: 5, now: 7, parents: [] },
    { t: 'placed', v: 1, id: 'p1', home: 0, stripes: 2, k: 9, n: 5, latencyMs: 1000, slots: 5, now: 7, parents: [] },
    { __proto__: null, t: 'bye', constructor: 1 },
  ];
  for (const value of bad) t.is(parseControl(Buffer.from(JSON.stringify(value) ?? 'null')), undefined, JSON.stringify(value));
  for (const raw of ['', '{', '{"t":"bye"', '\u0000\u0001', `{"t":"bye","pad":"${'x'.repeat(MAX_CONTROL)}"}`]) {
    t.is(parseControl(Buffer.from(raw)), undefined, raw.slice(0, 20));
  }
  t.throws(() => encodeControl({ t: 'refused', reason: 'x'.repeat(MAX_CONTROL) }), { instanceOf: RangeError });
});

test('symbol: header round trip; kinds, shapes, stripes and lengths checked', (t) => {
  const msg = Buffer.alloc(SYMBOL_HEADER + 100);
  writeSymbolHeader(msg, { kind: 1, stripe: 1, k: 9, n: 12, index: 5, block: 0xffff_fffe, sentAt: 0xffff_ffff });
  t.deepEqual(parseSymbol(msg, 4), { kind: 1, stripe: 1, k: 9, n: 12, index: 5, block: 0xffff_fffe, sentAt: 0xffff_ffff });
  t.is(parseSymbol(msg, 1), undefined, 'stripe beyond the stream');
  const tick = encodeTick(3, 77, 5);
  t.like(parseSymbol(tick, 4), { kind: 2, stripe: 3, block: 77, sentAt: 5 });
  const variants: Array<[string, (b: Buffer) => void]> = [
    ['kind', (b) => (b[0] = 3)],
    ['stripe != index % S', (b) => (b[1] = 2)],
    ['n not the shape of k', (b) => (b[3] = 13)],
    ['index >= n', (b) => (b[4] = 12)],
    ['k = 0', (b) => (b[2] = 0)],
  ];
  for (const [what, mutate] of variants) {
    const copy = Buffer.from(msg);
    mutate(copy);
    t.is(parseSymbol(copy, 4), undefined, what);
  }
  t.is(parseSymbol(msg.subarray(0, SYMBOL_HEADER + 1), 4), undefined, 'shard shorter than its length prefix');
  t.is(parseSymbol(Buffer.concat([msg, Buffer.alloc(1400)]), 4), undefined, 'shard too long');
  t.is(parseSymbol(Buffer.concat([tick, Buffer.alloc(1)]), 4), undefined, 'tick with a body');
  t.is(parseSymbol(Buffer.alloc(5), 4), undefined);
});

test('upstreams: silence, starvation (only while data flows), backups not already in use first', (t) => {
  const u = new Upstreams(3, 300);
  u.assign(0, ref('a'), [ref('b'), ref('c')], 0, 1000);
  u.assign(1, ref('b'), [ref('a')], 0, 1000);
  u.assign(2, ref('c'), [], 0, 1000);
  t.deepEqual(u.silent(299, 300, 1500), []);
  t.deepEqual(u.silent(300, 300, 1500).map((s) => s.stripe), [0, 1, 2], 'nothing at all for 300 ms');
  // Stripe 0 keeps sending data; stripe 1 only ticks (its parent is alive but starved).
  for (let now = 0; now <= 2000; now += 100) {
    u.heard(0, now, true);
    u.heard(1, now, false);
    u.heard(2, now, true);
  }
  t.deepEqual(u.silent(2000, 300, 1500), [{ stripe: 1, reason: 'starved' }]);
  // Stripe 0's parent fails: both backups already serve another stripe (b: 1, c: 2), and parents
  // stay distinct, so none is taken: the coordinator is asked.
  const sw = u.fail(0, 2000, 1000);
  t.is(sw.to, null);
  u.assign(0, ref('a'), [ref('d', '127.0.0.1:10'), ref('b')], 2050, 1000);
  t.is(u.fail(0, 2060, 1000).to?.id, 'd', 'a backup free of other stripes is taken');
  t.true(u.accepts(0, '127.0.0.1:9', 2500, (r) => r.addr), 'the old parent is accepted during the grace');
  const none = u.fail(2, 2100, 1000);
  t.is(none.to, null, 'no backup left: orphaned');
  t.is(u.stripes[2]!.parent, null);
  t.deepEqual(u.served('b'), [1]);
  t.deepEqual(u.served('d'), [0]);
});

test('API: bad options are TypeError or RangeError naming the option, thrown synchronously', (t) => {
  const from = { host: HOST, port: 0 };
  t.throws(() => startCoordinator(undefined as never), { instanceOf: TypeError, message: /options/ });
  t.throws(() => startCoordinator({ listen: from } as never), { instanceOf: TypeError, message: /options\.from/ });
  t.throws(() => startCoordinator({ listen: from, from, stripes: 1 }), { instanceOf: RangeError, message: /options\.stripes/ });
  t.throws(() => startCoordinator({ listen: from, from, k: 300 }), { instanceOf: RangeError, message: /options\.k/ });
  t.throws(() => startCoordinator({ listen: from, from, latencyMs: -1 }), { instanceOf: RangeError, message: /options\.latencyMs/ });
  t.throws(() => startCoordinator({ listen: from, from, colour: 1 } as never), { instanceOf: TypeError, message: /options\.colour/ });
  const to = { host: HOST, port: 9 };
  t.throws(() => startPeer({ coordinator: { host: HOST, port: 0 }, to }), { instanceOf: RangeError, message: /options\.coordinator\.port/ });
  t.throws(() => startPeer({ coordinator: to, to, uploadRatio: 2, uploadBps: 1 }), { instanceOf: TypeError, message: /uploadBps/ });
  t.throws(() => startPeer({ coordinator: to, to, silenceMs: 0 }), { instanceOf: RangeError, message: /silenceMs/ });
  t.throws(() => startPeer({ coordinator: to, to: 'x' } as never), { instanceOf: TypeError, message: /options\.to/ });
});

test('network: garbage on either stream is counted and dropped; the coordinator keeps serving', async (t) => {
  const coordinator = await startCoordinator({ listen: { host: HOST, port: 0 }, from: { host: HOST, port: 0 } });
  t.teardown(() => coordinator.close());
  const evil = createSocket({ type: 'udp4', streams: [{ id: CONTROL_STREAM, reliable: true }, { id: DATA_STREAM }] });
  evil.bind(0, HOST);
  await once(evil, 'listening');
  t.teardown(() => evil.close());
  const control = evil.stream(CONTROL_STREAM);
  const { port } = coordinator.address;
  for (const junk of ['{', 'null', '{"t":"join","v":1,"rttMs":-5,"ratio":2}', '{"t":"sub","stripe":99,"id":"p1"}', Buffer.alloc(3000, 0x7b)]) control.send(junk, port, HOST);
  evil.stream(DATA_STREAM).send(Buffer.alloc(50), port, HOST);
  control.send(encodeControl({ t: 'report', blocks: 1, lost: 0, rawLoss: 0, inBps: 0, outBps: 0, parents: [] }), port, HOST);
  for (let i = 0; i < 100 && coordinator.stats().malformedControl < 5; i++) await sleep(20);
  t.like(coordinator.stats(), { malformedControl: 5, joins: 0 });
  t.true(coordinator.stats().unsolicited >= 2, 'data sent to the coordinator, a report from a stranger');
  // Still answers a real join.
  const peer = await startPeer({ coordinator: { host: HOST, port }, to: { host: HOST, port: 9 }, bind: { host: HOST } });
  t.teardown(() => peer.close({ graceful: false }));
  t.regex(peer.id, /^p[0-9a-z]+$/);
  t.is(coordinator.stats().joins, 1);
});
