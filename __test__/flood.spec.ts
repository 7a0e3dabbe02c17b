import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomFillSync, randomInt } from 'node:crypto';
import { createSocket as createDgram, type Socket as DgramSocket } from 'node:dgram';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { PerfectSocket, SocketOptions } from '../src/index.js';
import { bound } from './helpers/sockets.js';

// Issue 3, "Done when": a flood of 1,000,000 random datagrams at a receiving socket leaves it
// alive, its RSS growth under 50 MB, and a concurrent legitimate stream fully delivered.
//
// The receiver is the real `perfect-socket recv` (the built CLI, dist/cli/main.js) in a child
// process, so its memory can be read from /proc/<pid>/status. This process floods it from a few
// node:dgram sockets and, interleaved with the flood (a few messages per flood chunk, so the two
// overlap from the first junk datagram to the last), sends a numbered stream from a PerfectSocket.

const root = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';

const FLOOD = 1_000_000;
/** Flood datagrams per event-loop turn: the loop stays responsive between chunks. */
const CHUNK = 2000;
const FLOOD_PORTS = 4;
const MAX_JUNK = 1400;

const LEGIT = 5000;
/**
 * The legitimate stream's protection. The kernel may drop some of its datagrams when the
 * receiver's socket buffer overflows under the flood, and FEC covers scattered drops: k=8 with
 * 50% redundancy gives a full block 4 repairs (any 4 of its 12 datagrams may be lost), and a short
 * block closed by its time bound k' sources and max(1, ceil(k'/2)) repairs. Whole blocks lost at
 * once are NACKs' to recover, within the latency budget below.
 */
const PROTECTION = { k: 8, redundancy: 0.5 } as const;
/**
 * recv's latency budget. What a stall of recv itself loses (the host not scheduling it while the
 * flood fills its buffer: whole blocks at once, which no FEC covers) NACKs recover within it. At
 * the default 120 ms, two clean-clone runs on a busy 2-core VM lost 20 and 410 legitimate
 * messages that way, the kernel dropping 24,172 and 75,382 datagrams at recv.
 */
const LATENCY_MS = 1000;
const QUERY = `k=${PROTECTION.k}&redundancy=${PROTECTION.redundancy}&latency=${LATENCY_MS}`;
/** About 5,000 spread over the 500 flood chunks: some 1,000 a second at ~100k junk/s. */
const LEGIT_PER_CHUNK = Math.ceil(LEGIT / Math.ceil(FLOOD / CHUNK));

const RSS_BUDGET_KB = 50 * 1024;

interface Recv {
  child: ChildProcess;
  pid: number;
  port: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `perfect-socket recv` (built CLI) on a free port with its stdout in `stdoutPath`: a file,
 * not a pipe, so a busy reader here can never block its JavaScript. Killed when the test ends.
 */
async function startRecv(t: ExecutionContext, stdoutPath: string): Promise<Recv> {
  const out = openSync(stdoutPath, 'w');
  const child = spawn(process.execPath, ['dist/cli/main.js', 'recv', '--listen', `psock://${HOST}:0?${QUERY}`], {
    cwd: root,
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  for (const end = Date.now() + 15_000; ; await sleep(10)) {
    const port = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
    if (port) return { child, pid: child.pid!, port: Number(port), stderr: () => stderr, exited };
    if (Date.now() > end || child.exitCode !== null) throw new Error(`recv did not start: ${stderr}`);
  }
}

/** recv's counters: the JSON line it prints on SIGTERM. */
function statsOf(stderr: string): Record<string, number> {
  const line = stderr.trim().split('\n').findLast((l) => l.startsWith('{'));
  return JSON.parse(line ?? '{}') as Record<string, number>;
}

/** A bound PerfectSocket and FLOOD_PORTS bound node:dgram sockets, closed when the test ends. */
async function sockets(t: ExecutionContext, options: Omit<SocketOptions, 'type'>): Promise<{ sender: PerfectSocket; floods: DgramSocket[] }> {
  const sender = await bound(t, options, HOST);
  const floods: DgramSocket[] = [];
  for (let i = 0; i < FLOOD_PORTS; i++) {
    const s = createDgram('udp4');
    t.teardown(() => s.close());
    s.on('error', (err) => t.log(`flood socket error: ${err.message}`));
    s.bind(0, HOST);
    floods.push(s);
  }
  await Promise.all(floods.map((s) => once(s, 'listening')));
  return { sender, floods };
}

/** VmRSS and VmHWM (its peak) of a process, kB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** The kernel's UDP receive-buffer overflow counter (whole host: for the log only). */
function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const [names, values] = lines.map((l) => l.trim().split(/\s+/));
  const i = names?.indexOf('RcvbufErrors') ?? -1;
  return i < 0 ? NaN : Number(values?.[i]);
}

/** Waits until a file has not grown for half a second (`limitMs` at most). */
async function settled(path: string, limitMs: number): Promise<void> {
  for (let size = -1, end = Date.now() + limitMs; Date.now() < end; ) {
    await sleep(500);
    const now = statSync(path).size;
    if (now === size) return;
    size = now;
  }
}

/** The v1 common header (docs/PROTOCOL.md): 0xA1, type, flags, connection id, packet number. */
function header(d: Buffer, type: number): void {
  d[0] = 0xa1;
  d[1] = type;
  d[2] = randomInt(256);
  d.writeUInt32BE(randomInt(2 ** 32), 3);
  d.writeUInt32BE(randomInt(2 ** 32), 7);
}

/** A block id: half from a small range, so random symbols pile up in the same blocks. */
function blockId(): number {
  return Math.random() < 0.5 ? randomInt(1024) : randomInt(2 ** 32);
}

/**
 * One junk datagram, cut from `pool` (random bytes) at `offset`:
 * - 50%: random bytes, random length 0..1400;
 * - 15%: 0xA1 and a type 0x01..0x08 (any byte, a quarter of the time), then random bytes;
 * - 15%: a well-formed v1 DATA with random fields (connection, packet number, block, index)
 *   and a correct length for a random payload of 0..256 bytes;
 * - 15%: a well-formed v1 REPAIR with a random shape (k + m <= 256, index in k..k+m-1) and a
 *   random symbol of 2..1382 bytes;
 * - 5%: a well-formed FEEDBACK, PING, PONG or CLOSE with random contents.
 * The well-formed ones are accepted into blocks of the flood's own peers (they come from ports
 * of their own, so they never touch the legitimate stream's blocks) and exercise the caps on
 * blocks and bytes in flight; a DATA is even delivered, as the protocol says (v1 has no
 * authentication yet).
 */
function junk(pool: Buffer, offset: number): Buffer {
  const r = Math.random();
  if (r < 0.5) return pool.subarray(offset, offset + randomInt(MAX_JUNK + 1));
  if (r < 0.65) {
    const d = pool.subarray(offset, offset + 3 + randomInt(MAX_JUNK - 2));
    d[0] = 0xa1;
    d[1] = Math.random() < 0.75 ? 1 + randomInt(8) : randomInt(256);
    return d;
  }
  if (r < 0.8) {
    const len = randomInt(257);
    const d = pool.subarray(offset, offset + 18 + len);
    header(d, 0x01);
    d.writeUInt32BE(blockId(), 11);
    d[15] = randomInt(256);
    d.writeUInt16BE(len, 16);
    return d;
  }
  if (r < 0.95) {
    const d = pool.subarray(offset, offset + 18 + 2 + randomInt(MAX_JUNK - 18 - 2 + 1));
    header(d, 0x02);
    const k = 1 + randomInt(255);
    const m = 1 + randomInt(256 - k);
    d.writeUInt32BE(blockId(), 11);
    d[15] = k + randomInt(m);
    d[16] = k;
    d[17] = m;
    return d;
  }
  const [type, body] = ([[0x04, 16], [0x05, 8], [0x06, 8], [0x07, 2]] as const)[randomInt(4)]!;
  const d = pool.subarray(offset, offset + 11 + body);
  header(d, type);
  return d;
}

/** The i-th legitimate message: numbered, with a padding whose length the number fixes. */
function legit(nonce: string, i: number): string {
  return `legit-${nonce} ${i} ${'p'.repeat((i * 7919) % 1000)}`;
}

/** How often each legitimate message of `nonce` is in recv's output, and how many came garbled. */
function legitIn(out: string, nonce: string): { counts: Map<number, number>; garbled: number } {
  const counts = new Map<number, number>();
  let garbled = 0;
  // Junk DATA payloads are output too, each followed by a newline: a message starts a line.
  for (const m of out.matchAll(new RegExp(`(?:^|\\n)legit-${nonce} (\\d+) (p*)(?=\\n)`, 'g'))) {
    const i = Number(m[1]);
    if (m[2]!.length !== (i * 7919) % 1000) garbled++;
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return { counts, garbled };
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

test.serial('a 1,000,000-datagram flood: recv lives, its RSS grows < 50 MB, a concurrent stream arrives whole', async (t) => {
  t.timeout(120_000);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'psock-flood-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const outPath = join(dir, 'stdout');
  const recv = await startRecv(t, outPath);
  const { sender, floods } = await sockets(t, PROTECTION);

  await sleep(300); // let recv settle before the baseline
  const before = memoryOf(recv.pid);
  const kernelDropsBefore = rcvbufErrors();
  const nonce = randomBytes(6).toString('hex');

  // The flood, CHUNK datagrams a turn, with LEGIT_PER_CHUNK legitimate messages in each turn.
  const floodStart = Date.now();
  let flooded = 0;
  let legitSent = 0;
  let peakRss = before.rss;
  let sendErrors = 0;
  const onSent = (err: Error | null): void => {
    if (err) sendErrors++;
  };
  while (flooded < FLOOD) {
    const n = Math.min(CHUNK, FLOOD - flooded);
    // A fresh pool of random bytes per chunk: node:dgram holds a buffer until it is sent.
    const pool = randomFillSync(Buffer.allocUnsafe(n * MAX_JUNK));
    for (let i = 0; i < n; i++) floods[i % FLOOD_PORTS]!.send(junk(pool, i * MAX_JUNK), recv.port, HOST, onSent);
    flooded += n;
    for (let i = 0; i < LEGIT_PER_CHUNK && legitSent < LEGIT; i++) sender.send(legit(nonce, legitSent++), recv.port, HOST);
    if (flooded % (CHUNK * 25) === 0) peakRss = Math.max(peakRss, memoryOf(recv.pid).rss);
    await nextTurn();
  }
  for (; legitSent < LEGIT; await nextTurn()) sender.send(legit(nonce, legitSent++), recv.port, HOST);
  const floodMs = Date.now() - floodStart;
  // node:dgram's queues empty, the last block's repairs go out, recv catches up.
  await settled(outPath, 10_000);

  const alive = recv.child.exitCode === null && recv.child.signalCode === null;
  const after = memoryOf(recv.pid);
  const kernelDrops = rcvbufErrors() - kernelDropsBefore;
  const sent = sender.stats();
  recv.child.kill('SIGTERM');
  const exit = await recv.exited;

  const got = statsOf(recv.stderr());
  const { counts, garbled } = legitIn(readFileSync(outPath, 'latin1'), nonce);
  const missing = Array.from({ length: LEGIT }, (_, i) => i).filter((i) => !counts.has(i));
  const twice = [...counts].filter(([, c]) => c > 1).map(([i]) => i);
  // What reached recv beyond the legitimate datagrams is junk; how much of it the engine counted.
  const junkIn = got.received - sent.datagramsSent;
  const junkCounted = got.malformed + got.duplicate + got.late + got.redundant;

  t.log(`flood: ${flooded} datagrams from ${FLOOD_PORTS} ports in ${floodMs} ms (${Math.round(flooded / (floodMs / 1000))}/s), send errors ${sendErrors}`);
  t.log(`recv RSS: before ${mb(before.rss)}, after ${mb(after.rss)} (growth ${mb(after.rss - before.rss)}); peak: sampled ${mb(peakRss)}, VmHWM ${mb(after.hwm)} (${mb(after.hwm - before.rss)} over the baseline)`);
  t.log(`recv: received ${got.received} (junk ${junkIn}); malformed ${got.malformed}, duplicate ${got.duplicate}, late ${got.late}, redundant ${got.redundant}: junk counted ${junkCounted}`);
  t.log(`recv: delivered ${got.delivered} (legit ${counts.size}, junk DATA ${got.delivered - counts.size}), recovered ${got.recovered}, lost ${got.lost}, evictedBlocks ${got.evictedBlocks}, peers ${got.peers}, droppedBatches ${got.droppedBatches}, outputDropped ${got.outputDropped}`);
  t.log(`recv I/O: datagramsReceived ${got.datagramsReceived} in ${got.recvSyscalls} syscalls; kernel RcvbufErrors meanwhile ${kernelDrops}`);
  t.log(`legit: sent ${sent.sent} messages as ${sent.datagramsSent} datagrams (${sent.repairsSent} repairs, ${sent.blocks} blocks), missing ${missing.length}, twice ${twice.length}, garbled ${garbled}`);
  t.log(`total ${Date.now() - started} ms`);

  t.true(alive, `recv died during the flood: ${recv.stderr()}`);
  t.deepEqual(exit, { code: 0, signal: null }, recv.stderr());
  t.true(after.rss - before.rss < RSS_BUDGET_KB, `RSS grew ${mb(after.rss - before.rss)}`);
  // Stricter than the issue asks: not even the peak during the flood went 50 MB over the baseline.
  t.true(after.hwm - before.rss < RSS_BUDGET_KB, `peak RSS ${mb(after.hwm - before.rss)} over the baseline`);
  t.is(sent.sent, LEGIT);
  // If recv stopped reading part-way (received far below the 1,007,500 sent, the kernel dropping
  // the rest), the missing messages are a run to the end: see the next test.
  t.deepEqual(missing.slice(0, 20), [], `${missing.length} legitimate messages missing; recv read ${got.received} datagrams`);
  t.deepEqual(twice.slice(0, 20), [], `${twice.length} legitimate messages delivered twice`);
  t.is(garbled, 0);
  // The flood reached the engine (was not all dropped by the kernel) and was counted: of what
  // arrived, at least the random half is malformed (a random first byte is 0xA1 1 in 256), and
  // so is most of the 0xA1-headed part; the well-formed part is accepted (DATA even delivered) or
  // ignored.
  t.true(junkIn >= FLOOD / 4, `only ${junkIn} junk datagrams reached recv`);
  t.true(got.malformed >= 0.4 * junkIn, `malformed ${got.malformed} of ${junkIn} junk`);
  t.true(junkCounted <= got.received);
});

// Regression test. recv's I/O thread (crates/node/src/engine/io_loop.rs) waits on edge-triggered
// mio readiness and reads a bounded number of datagrams per wake-up. It once stopped there: a
// flood of small datagrams that filled the socket buffer while the thread was behind left data
// queued with no new readiness edge to come, every later datagram was dropped by the kernel, and
// the process stayed alive but deaf for good. The thread now comes back to an unfinished read
// without waiting. Here recv is stopped while its buffer is overrun, which made that certain.
test.serial('recv whose socket buffer was overrun while it was stalled reads again afterwards', async (t) => {
  t.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'psock-flood-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const outPath = join(dir, 'stdout');
  const recv = await startRecv(t, outPath);
  const { sender, floods } = await sockets(t, PROTECTION);
  const nonce = randomBytes(6).toString('hex');

  sender.send(legit(nonce, 0), recv.port, HOST);
  await settled(outPath, 5000);
  const kernelDropsBefore = rcvbufErrors();
  recv.child.kill('SIGSTOP');
  t.teardown(() => recv.child.kill('SIGCONT'));
  // Random lengths from several ports, so the kernel cannot coalesce them (GRO): 20,000 datagrams
  // of ~700 bytes are several times a 4 MiB buffer.
  for (let sent = 0; sent < 20_000; sent += CHUNK, await nextTurn()) {
    const pool = randomFillSync(Buffer.allocUnsafe(CHUNK * MAX_JUNK));
    for (let i = 0; i < CHUNK; i++) floods[i % FLOOD_PORTS]!.send(pool.subarray(i * MAX_JUNK, i * MAX_JUNK + 1 + randomInt(MAX_JUNK)), recv.port, HOST);
  }
  await sleep(300);
  recv.child.kill('SIGCONT');
  await sleep(500);
  // A legitimate stream after the stall: 50 messages over a second.
  for (let i = 1; i <= 50; i++, await sleep(20)) sender.send(legit(nonce, i), recv.port, HOST);
  await sleep(500);
  await settled(outPath, 5000);
  const kernelDrops = rcvbufErrors() - kernelDropsBefore;
  recv.child.kill('SIGTERM');
  const exit = await recv.exited;

  const got = statsOf(recv.stderr());
  const { counts } = legitIn(readFileSync(outPath, 'latin1'), nonce);
  t.log(`recv: received ${got.received} datagrams in ${got.recvSyscalls} syscalls, malformed ${got.malformed}; kernel RcvbufErrors ${kernelDrops}; legit delivered ${counts.size} of 51`);
  t.deepEqual(exit, { code: 0, signal: null }, recv.stderr());
  t.true(counts.has(0), 'the message before the stall');
  t.is(counts.size, 51, 'the messages after the stall');
});
