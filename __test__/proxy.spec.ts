import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Link } from '../src/proxy/link.js';
import { LossyProxy, type ProxyOptions } from '../src/proxy/proxy.js';
import { until } from './helpers/wait.js';

const HOST = '127.0.0.1';
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bind(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, r));
  return s;
}

const portOf = (s: Socket): number => s.address().port;

interface Arrival {
  seq: number;
  sentAt: number;
  at: number;
  size: number;
  from: RemoteInfo;
}

/** A target that records every datagram (sequence number and send time are in the payload). */
async function sink(): Promise<{ socket: Socket; got: Arrival[] }> {
  const socket = await bind();
  const got: Arrival[] = [];
  socket.on('message', (m, from) => {
    got.push({ seq: m.readUInt32BE(0), sentAt: m.readDoubleBE(4), at: performance.now(), size: m.length, from });
  });
  return { socket, got };
}

/** A target that sends every datagram straight back. */
async function echo(): Promise<Socket> {
  const s = await bind();
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  return s;
}

async function startProxy(targetPort: number, opts: Partial<ProxyOptions> = {}): Promise<{ proxy: LossyProxy; port: number }> {
  const proxy = new LossyProxy({ listen: { host: HOST, port: 0 }, target: { host: HOST, port: targetPort }, seed: 1, ...opts });
  const { port } = await proxy.listen();
  return { proxy, port };
}

/**
 * Sends `count` datagrams numbered from 0, `perTick` at a time with a short pause between
 * batches so loopback socket buffers never overflow (only the proxy should lose packets).
 */
async function sendSeq(from: Socket, port: number, count: number, opts: { size?: number; perTick?: number } = {}): Promise<void> {
  const { size = 64, perTick = 50 } = opts;
  for (let i = 0; i < count; i++) {
    const b = Buffer.alloc(size);
    b.writeUInt32BE(i, 0);
    b.writeDoubleBE(performance.now(), 4);
    from.send(b, port, HOST);
    if ((i + 1) % perTick === 0) await sleep(1);
  }
}

/** Waits until the proxy has taken in `sent` datagrams, released them all, and the sink has them. */
async function settled(proxy: LossyProxy, got: Arrival[], sent: number): Promise<void> {
  await until(() => {
    const f = proxy.stats().forward;
    return f.received === sent && f.inFlight === 0 && got.length === f.forwarded;
  });
}

/** Closes sockets and proxies when the test ends, pass or fail, so a failure cannot hang the run. */
function cleanup(t: ExecutionContext, ...things: Array<Socket | LossyProxy>): void {
  t.teardown(async () => {
    for (const x of things) {
      try {
        await x.close();
      } catch {
        // already closed
      }
    }
  });
}

test('Bernoulli loss through the proxy is near the target and fully counted', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  const { proxy, port } = await startProxy(portOf(target.socket), { forward: { loss: 0.2 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  await sendSeq(client, port, 2000);
  await settled(proxy, target.got, 2000);
  const f = proxy.stats().forward;
  t.is(f.forwarded + f.droppedLoss, 2000);
  t.true(Math.abs(f.droppedLoss / 2000 - 0.2) < 0.04, `lost ${f.droppedLoss}`);
  t.is(new Set(target.got.map((a) => a.seq)).size, target.got.length);
  t.is(f.receivedBytes, 2000 * 64);
});

test('Gilbert-Elliott loss through the proxy: rate and mean burst near the target', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  const { proxy, port } = await startProxy(portOf(target.socket), { forward: { loss: 0.1, burst: 4 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  const n = 4000;
  await sendSeq(client, port, n, { perTick: 100 });
  await settled(proxy, target.got, n);
  const arrived = new Set(target.got.map((a) => a.seq));
  let lost = 0;
  let bursts = 0;
  for (let i = 0; i < n; i++) {
    if (arrived.has(i)) continue;
    lost++;
    if (i === 0 || arrived.has(i - 1)) bursts++;
  }
  t.is(lost, proxy.stats().forward.droppedLoss);
  t.true(Math.abs(lost / n - 0.1) < 0.035, `loss rate ${lost / n}`);
  t.true(Math.abs(lost / bursts - 4) < 1.2, `mean burst ${lost / bursts}`);
});

test.serial('delay is added in each direction', async (t) => {
  const server = await echo();
  cleanup(t, server);
  const { proxy, port } = await startProxy(portOf(server), { forward: { delayMs: 40 }, back: { delayMs: 10 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  const rtts: number[] = [];
  client.on('message', (m) => rtts.push(performance.now() - m.readDoubleBE(4)));
  await sendSeq(client, port, 8, { perTick: 1 });
  await until(() => rtts.length === 8);
  rtts.sort((a, b) => a - b);
  t.true(rtts[0]! >= 49, `fastest round trip ${rtts[0]} ms`);
  // Generous: a loaded machine can stall the loop; the point is that the delay is not wildly off.
  t.true(rtts[4]! < 50 + 1000, `median round trip ${rtts[4]} ms`);
});

test.serial('jitter varies the delay but keeps packet order', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  const { proxy, port } = await startProxy(portOf(target.socket), { forward: { delayMs: 20, jitterMs: 15 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  await sendSeq(client, port, 200, { perTick: 2 });
  await settled(proxy, target.got, 200);
  t.deepEqual(
    target.got.map((a) => a.seq),
    Array.from({ length: 200 }, (_, i) => i),
  );
  const delays = target.got.map((a) => a.at - a.sentAt);
  const min = Math.min(...delays);
  const max = Math.max(...delays);
  t.true(min >= 20 - 15 - 1, `min delay ${min}`);
  t.true(max < 20 + 15 + 1000, `max delay ${max}`);
  t.true(max - min > 3, `delay spread ${max - min}`);
});

test.serial('rate cap is roughly respected', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  // 4 Mbit/s = 500 kB/s: 150 datagrams of 1000 bytes take about 300 ms to drain.
  const { proxy, port } = await startProxy(portOf(target.socket), { forward: { rateBps: 4e6, queueMs: 5000 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  await sendSeq(client, port, 150, { size: 1000, perTick: 25 });
  await settled(proxy, target.got, 150);
  t.is(target.got.length, 150);
  const span = target.got.at(-1)!.at - target.got[0]!.at;
  const rate = (149 * 1000) / (span / 1000);
  t.true(rate > 0.6 * 500_000 && rate < 1.3 * 500_000, `measured ${Math.round(rate)} B/s over ${span.toFixed(0)} ms`);
});

test.serial('a full bottleneck queue drops the tail and counts it', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  const { proxy, port } = await startProxy(portOf(target.socket), { forward: { rateBps: 4e6, queueMs: 20 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  await sendSeq(client, port, 150, { size: 1000, perTick: 50 });
  await settled(proxy, target.got, 150);
  const f = proxy.stats().forward;
  t.true(f.droppedQueue > 30, `queue drops ${f.droppedQueue}`);
  t.is(f.forwarded + f.droppedQueue, 150);
});

test('replies are routed back to the client that sent', async (t) => {
  const server = await echo();
  cleanup(t, server);
  const { proxy, port } = await startProxy(portOf(server));
  cleanup(t, proxy);
  const [a, b] = await Promise.all([bind(), bind()]);
  cleanup(t, a, b);
  const heard = { a: [] as string[], b: [] as string[] };
  a.on('message', (m) => heard.a.push(m.toString()));
  b.on('message', (m) => heard.b.push(m.toString()));
  for (let i = 0; i < 20; i++) {
    a.send(`a${i}`, port, HOST);
    b.send(`b${i}`, port, HOST);
  }
  await until(() => heard.a.length === 20 && heard.b.length === 20);
  t.true(heard.a.every((m) => m.startsWith('a')));
  t.true(heard.b.every((m) => m.startsWith('b')));
  const s = proxy.stats();
  t.is(s.clients, 2);
  t.is(s.back.forwarded, 40);
});

test('duplicates happen when asked and are counted', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  const { proxy, port } = await startProxy(portOf(target.socket), { forward: { duplicate: 0.3 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  await sendSeq(client, port, 300);
  await settled(proxy, target.got, 300);
  const f = proxy.stats().forward;
  t.true(f.duplicated > 50 && f.duplicated < 130, `duplicated ${f.duplicated}`);
  t.is(target.got.length, 300 + f.duplicated);
  t.is(new Set(target.got.map((a) => a.seq)).size, 300);
});

test.serial('reordering happens when asked and nothing is lost', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  const { proxy, port } = await startProxy(portOf(target.socket), { forward: { reorder: 0.2 } });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  await sendSeq(client, port, 300, { perTick: 3 });
  await settled(proxy, target.got, 300);
  let late = 0;
  let highest = -1;
  for (const a of target.got) {
    if (a.seq < highest) late++;
    highest = Math.max(highest, a.seq);
  }
  const f = proxy.stats().forward;
  t.true(late > 20, `arrived after a successor: ${late}`);
  t.true(f.reordered > 20 && f.reordered <= late, `reordered ${f.reordered}`);
  t.is(new Set(target.got.map((a) => a.seq)).size, 300);
});

/** An echo target that also records which upstream sockets the proxy used. */
async function recordingEcho(): Promise<{ server: Socket; upstreams: RemoteInfo[] }> {
  const server = await bind();
  const upstreams: RemoteInfo[] = [];
  server.on('message', (m, r) => {
    upstreams.push(r);
    server.send(m, r.port, r.address);
  });
  return { server, upstreams };
}

test('only the target may answer through an upstream socket', async (t) => {
  const { server, upstreams } = await recordingEcho();
  cleanup(t, server);
  const { proxy, port } = await startProxy(portOf(server));
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  const heard: string[] = [];
  client.on('message', (m) => heard.push(m.toString()));
  client.send('one', port, HOST);
  await until(() => heard.length === 1);
  const stranger = await bind();
  cleanup(t, stranger);
  stranger.send('forged', upstreams[0]!.port, HOST);
  await until(() => proxy.stats().foreign === 1);
  client.send('two', port, HOST);
  await until(() => heard.length === 2);
  t.deepEqual(heard, ['one', 'two']);
  t.is(proxy.stats().back.received, 2);
});

test('idle client mappings expire and reopen on new traffic', async (t) => {
  const { server, upstreams } = await recordingEcho();
  cleanup(t, server);
  const { proxy, port } = await startProxy(portOf(server), { idleTimeoutMs: 150 });
  cleanup(t, proxy);
  const client = await bind();
  cleanup(t, client);
  const heard: string[] = [];
  client.on('message', (m) => heard.push(m.toString()));
  // Resend on silence: on a stalled machine a 150 ms mapping can expire before its reply lands.
  const ask = async (word: string): Promise<void> => {
    for (let i = 0; i < 50 && !heard.includes(word); i++) {
      client.send(word, port, HOST);
      await until(() => heard.includes(word), 200).catch(() => {});
    }
    t.true(heard.includes(word));
  };
  await ask('one');
  await until(() => proxy.stats().clients === 0, 3000);
  t.true(proxy.stats().clientsExpired >= 1);
  await ask('two');
  t.true(proxy.stats().clientsOpened >= 2);
  // A fresh mapping means a fresh upstream socket.
  t.not(upstreams[0]!.port, upstreams.at(-1)!.port);
});

test('the client table is capped: the least recently active is evicted', async (t) => {
  const server = await echo();
  cleanup(t, server);
  const { proxy, port } = await startProxy(portOf(server), { maxClients: 2 });
  cleanup(t, proxy);
  const clients = await Promise.all([bind(), bind(), bind()]);
  cleanup(t, ...clients);
  for (const c of clients) {
    c.send('x', port, HOST);
    await until(() => proxy.stats().forward.received === clients.indexOf(c) + 1);
  }
  const s = proxy.stats();
  t.is(s.clients, 2);
  t.is(s.clientsEvicted, 1);
});

test('waiting packets are bounded in number and bytes', (t) => {
  const link = new Link<null>({ delayMs: 10_000 }, () => {}, { maxInFlightPackets: 10, maxInFlightBytes: 1_000_000 });
  for (let i = 0; i < 100; i++) link.push(Buffer.alloc(10), null);
  t.is(link.stats().droppedQueue, 90);
  t.is(link.stats().inFlight, 10);
  link.close();
  const bytes = new Link<null>({ delayMs: 10_000 }, () => {}, { maxInFlightBytes: 1000 });
  for (let i = 0; i < 10; i++) bytes.push(Buffer.alloc(300), null);
  t.is(bytes.stats().inFlight, 3);
  bytes.close();
});

test('a sink that throws is counted, not propagated', (t) => {
  const link = new Link<null>({}, () => {
    throw new Error('boom');
  });
  t.notThrows(() => link.push(Buffer.alloc(1), null));
  t.is(link.stats().sendErrors, 1);
  link.close();
});

test('CLI: proxy relays, then prints counters on SIGTERM and writes --stats-json', async (t) => {
  const target = await sink();
  cleanup(t, target.socket);
  const statsFile = join(mkdtempSync(join(tmpdir(), 'psock-proxy-')), 'stats.json');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'proxy', '--listen', `${HOST}:0`, '--to', `${HOST}:${portOf(target.socket)}`,
      '--loss', '10%', '--seed', '7', '--stats-json', statsFile],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  await until(() => /listening on /.test(stderr), 10_000);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]);
  const client = await bind();
  cleanup(t, client);
  await sendSeq(client, port, 200);
  await until(() => target.got.length >= 150);
  await sleep(100);
  child.kill('SIGTERM');
  t.is(await exited, 0);
  const summary = stderr.split('\n').filter((l) => l.startsWith('stats '));
  t.is(summary.length, 1, stderr);
  t.regex(summary[0]!, /^stats forward rx=200 tx=\d+ loss=\d+ queue=0 .*; back rx=0 /);
  const json = JSON.parse(readFileSync(statsFile, 'utf8')) as { seed: number; forward: { received: number; forwarded: number } };
  t.is(json.seed, 7);
  t.is(json.forward.received, 200);
  t.is(json.forward.forwarded, target.got.length);
});
