import test from 'ava';
import { createSocket as createDgram } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSocket, generateKeyPair, type PerfectSocket } from '../src/index.js';
import { bound } from './helpers/sockets.js';
import { cli } from './helpers/cli.js';
import { tap } from './helpers/tap.js';
import { until } from './helpers/wait.js';

// Issue 6, "Done when": wrong key -> nothing delivered and authFailed rises; a replayed capture
// -> nothing delivered twice; a flipped bit in ciphertext -> dropped; a spoofed-source handshake
// flood -> server egress <= 3x ingress. Real sockets on loopback; a tap in the middle records,
// alters and replays what the client sends.

const SECRET = 'correct horse battery staple';
const HELLO = 0x0b;
const DATA = 0x01;

function collect(socket: PerfectSocket): string[] {
  const got: string[] = [];
  socket.on('message', (message) => got.push(message.toString()));
  return got;
}

async function sendNumbered(client: PerfectSocket, port: number, count: number, prefix = 'message'): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    const text = `${prefix} ${i}`;
    client.send(text, port, '127.0.0.1');
    sent.push(text);
    if (i % 20 === 19) await sleep(2);
  }
  return sent;
}

test.serial('a shared passphrase carries every message, sealed (the payload never shows on the wire)', async (t) => {
  const server = await bound(t, { passphrase: SECRET });
  const client = await bound(t, { passphrase: SECRET });
  const middle = await tap(t, server.address().port);
  const got = collect(server);
  const sent = await sendNumbered(client, middle.port, 200, 'secret-payload');
  await until(() => got.length === sent.length);
  t.deepEqual([...got].sort(), [...sent].sort());
  t.false(middle.captured.some((d) => d.includes('secret-payload')), 'no plaintext on the wire');
  t.is(server.stats().handshakes, 1);
  t.is(server.stats().authFailed, 0);
});

test.serial("control mode: media readable on the wire but authenticated; a pinned server key works", async (t) => {
  const keys = generateKeyPair();
  t.regex(keys.publicKey, /^[0-9a-f]{64}$/);
  const server = await bound(t, { privateKey: keys.privateKey, encrypt: 'control' });
  const client = await bound(t, { peerPublicKey: keys.publicKey, encrypt: 'control' });
  const middle = await tap(t, server.address().port);
  const got = collect(server);
  const sent = await sendNumbered(client, middle.port, 100, 'public-broadcast');
  await until(() => got.length === sent.length);
  t.true(middle.captured.some((d) => d.includes('public-broadcast')), 'media in the clear');
  // A client pinning another key gets nothing through.
  const impostor = await bound(t, { peerPublicKey: generateKeyPair().publicKey, encrypt: 'control' });
  impostor.send('from the impostor', server.address().port, '127.0.0.1');
  await until(() => server.stats().authFailed > 0);
  await sleep(100);
  t.false(got.includes('from the impostor'));
});

test.serial('a wrong passphrase: nothing delivered, authFailed rises', async (t) => {
  const server = await bound(t, { passphrase: SECRET });
  const client = await bound(t, { passphrase: 'not the right passphrase' });
  const got = collect(server);
  await sendNumbered(client, server.address().port, 100);
  await until(() => server.stats().authFailed > 0);
  await sleep(300); // HELLO resends
  t.deepEqual(got, []);
  t.is(server.stats().handshakes, 0);
  t.true(client.stats().handshakeHeldDrops === 0 && client.stats().handshakes === 0);
});

test.serial('a replayed capture is not delivered twice', async (t) => {
  const server = await bound(t, { passphrase: SECRET });
  const client = await bound(t, { passphrase: SECRET, nack: false });
  const middle = await tap(t, server.address().port);
  const got = collect(server);
  const sent = await sendNumbered(client, middle.port, 100);
  await until(() => got.length === sent.length);
  const capture = middle.captured.filter((d) => d[1] !== HELLO);
  for (const datagram of capture) await middle.inject(datagram);
  await until(() => server.stats().replayed >= capture.length);
  await sleep(100);
  t.is(got.length, sent.length, 'nothing delivered twice');
  t.is(server.stats().replayed, capture.length);
});

test.serial('a flipped bit in ciphertext is dropped and counted, never delivered', async (t) => {
  const server = await bound(t, { passphrase: SECRET });
  const client = await bound(t, { passphrase: SECRET, nack: false, n: 17, k: 16 });
  const middle = await tap(t, server.address().port);
  const got = collect(server);
  let flipped = 0;
  middle.alter = (datagram) => {
    if (datagram[1] !== DATA || flipped >= 5) return datagram;
    flipped++;
    const copy = Buffer.from(datagram);
    copy[copy.length - 30] ^= 0x01;
    return copy;
  };
  const sent = await sendNumbered(client, middle.port, 100, 'intact');
  await until(() => server.stats().authFailed >= 5);
  await sleep(200);
  t.is(flipped, 5);
  t.is(server.stats().authFailed, 5);
  t.true(got.every((message) => sent.includes(message)), 'only genuine messages');
  // Each tampered datagram lost its source, which the block's repair rebuilt.
  t.true(got.length >= sent.length - 5);
});

test.serial('a spoofed-source handshake flood: server egress at most 3x what it received, the real client carries on', async (t) => {
  const server = await bound(t, { passphrase: SECRET, handshakesPerSecond: 500 });
  const port = server.address().port;
  // A genuine HELLO, captured on its way.
  const caller = await bound(t, { passphrase: SECRET });
  const middle = await tap(t, port);
  middle.alter = () => null;
  caller.send('hello?', middle.port, '127.0.0.1');
  await until(() => middle.captured.some((d) => d[1] === HELLO));
  const hello = middle.captured.find((d) => d[1] === HELLO)!;

  const client = await bound(t, { passphrase: SECRET });
  const got = collect(server);
  const spoofers = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const s = createDgram('udp4');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      t.teardown(() => s.close());
      return s;
    }),
  );
  const before = server.stats().bytesSent;
  let floodBytes = 0;
  const legit: string[] = [];
  for (let round = 0; round < 40; round++) {
    for (const s of spoofers) {
      // The captured HELLO from 50 sources, and as many with random bytes.
      const junk = Buffer.from(hello);
      for (let i = 12; i < junk.length; i++) junk[i] = Math.floor(Math.random() * 256);
      for (const datagram of [hello, junk]) {
        s.send(datagram, port, '127.0.0.1');
        floodBytes += datagram.length;
      }
    }
    legit.push(...(await sendNumbered(client, port, 10, `legit ${round}`)));
    await sleep(5);
  }
  await until(() => got.length === legit.length);
  await sleep(200);
  const stats = server.stats();
  // The legitimate client's own traffic is answered too: take the server's replies to it out.
  const egress = stats.bytesSent - before;
  t.log(`flood ${floodBytes} B in, server sent ${egress} B in all; limited ${stats.handshakesLimited}, authFailed ${stats.authFailed}`);
  t.true(egress <= 3 * floodBytes, `egress ${egress} vs ingress ${floodBytes}`);
  t.true(stats.authFailed > 0);
  t.deepEqual([...got].sort(), [...legit].sort());
});

test('bad security options throw naming the option', (t) => {
  const create = (options: object) => () => createSocket({ type: 'udp4', ...options } as never);
  t.throws(create({ passphrase: 'short' }), { instanceOf: RangeError, message: /passphrase/ });
  t.throws(create({ passphrase: 42 }), { instanceOf: TypeError, message: /passphrase/ });
  t.throws(create({ encrypt: 'all' }), { instanceOf: TypeError, message: /encrypt/ });
  t.throws(create({ encrypt: 'some' }), { message: /encrypt/ });
  t.throws(create({ peerPublicKey: 'abc' }), { instanceOf: TypeError, message: /peerPublicKey/ });
  t.throws(create({ passphrase: SECRET, tcpFallback: true }), { instanceOf: TypeError, message: /tcpFallback/ });
  t.throws(create({ passphrase: SECRET, compat: 'seed', k: 4, n: 8 }), { instanceOf: TypeError, message: /encrypt/ });
});

test.serial('CLI: send and recv with --passphrase; a bad --encrypt exits 2 with one line', async (t) => {
  const recv = cli(t, ['recv', '--listen', 'psock://127.0.0.1:0', '--passphrase', SECRET, '--count', '3']);
  const send = cli(t, ['send', '--to', `psock://127.0.0.1:${await recv.listening()}?passphrase=${encodeURIComponent(SECRET)}`]);
  send.child.stdin.end('one\ntwo\nthree\n');
  t.is(await send.exited, 0, send.stderr());
  t.is(await recv.exited, 0, recv.stderr());
  t.is(recv.stdout(), 'one\ntwo\nthree\n');
  t.true(/"handshakes":1/.test(recv.stderr()), recv.stderr());
  const bad = cli(t, ['recv', '--listen', 'psock://127.0.0.1:0', '--passphrase', SECRET, '--encrypt', 'most']);
  t.is(await bad.exited, 2);
  t.regex(bad.stderr().trim(), /^[^\n]*encrypt[^\n]*none, control, all[^\n]*$/);
});
