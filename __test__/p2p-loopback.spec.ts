import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { Collector, matchDelivery, replay, splitDatagrams, syntheticTs } from '../src/media/index.js';
import { startCoordinator, startPeer, type CoordinatorState, type Peer } from '../src/index.js';
import { cli } from './helpers/cli.js';
import { until } from './helpers/wait.js';

// Small runs on plain loopback (no namespace, no loss): what the CLIs and the API do end to end.

const HOST = '127.0.0.1';

test('3 peers: the stream arrives whole at each; a graceful leave moves its children without loss; the state page serves the tree', async (t) => {
  const coordinator = await startCoordinator({ listen: { host: HOST, port: 0 }, from: { host: HOST, port: 0 }, web: { host: HOST, port: 0 } });
  t.teardown(() => coordinator.close());
  const collectors: Collector[] = [];
  const peers: Peer[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await Collector.open({ host: HOST });
    collectors.push(c);
    t.teardown(() => c.close());
    const p = await startPeer({ coordinator: { host: HOST, port: coordinator.address.port }, to: { host: HOST, port: c.port }, bind: { host: HOST } });
    peers.push(p);
    t.teardown(() => p.close({ graceful: false }));
  }
  await sleep(800);
  const datagrams = splitDatagrams(syntheticTs({ packets: 7 * 400 }));
  const sending = replay(datagrams, { target: { host: HOST, port: coordinator.input.port }, bitrate: 2_000_000 });
  await sleep(1000);
  // The peer with the most children leaves; they are told (BYE) and switch at once.
  const leaver = peers.reduce((a, b) => (b.stats().children > a.stats().children ? b : a));
  await leaver.close();
  const sent = await sending;
  for (const [i, p] of peers.entries()) if (p !== leaver) await collectors[i]!.waitFor(datagrams.length, 3000);
  for (const [i, p] of peers.entries()) {
    if (p === leaver) continue;
    const report = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, collectors[i]!.arrivals);
    t.is(report.deliveredFraction, 1, `${p.id}: ${report.missing.length} missing`);
    t.is(report.outOfOrder, 0, 'block order kept');
    t.true(report.identical);
    t.true(report.latencyMs!.max < 1000, `max latency ${report.latencyMs!.max} ms`);
  }
  await until(() => coordinator.stats().leaves === 1, 2000);
  const res = await fetch(`http://${HOST}:${coordinator.web!.port}/state.json`);
  const state = (await res.json()) as CoordinatorState;
  t.is(state.peers.length, 2);
  t.like(state.stream, { stripes: 4, k: 9, n: 12, latencyMs: 1000 });
  t.is(state.counters.leaves, 1);
  t.true(state.rootUploadRatio > 0 && state.rootUploadRatio <= 2, `root ${state.rootUploadRatio}x`);
  for (const p of state.peers) t.true(p.parents.every((x) => x !== null), `${p.id} has a parent in every stripe`);
});

test('a peer refuses to start when no coordinator answers', async (t) => {
  await t.throwsAsync(startPeer({ coordinator: { host: HOST, port: 9 }, to: { host: HOST, port: 9 }, joinTimeoutMs: 300 }), { message: /no answer from the coordinator/ });
});

test('CLI: coordinator and peer start, report, and stop cleanly on SIGTERM; a bad flag exits 2', async (t) => {
  const coordinator = cli(t, ['coordinator', '--listen', `${HOST}:0`, '--from', `udp://${HOST}:0`]);
  const port = await coordinator.listening();
  const peer = cli(t, ['peer', '--coordinator', `${HOST}:${port}`, '--to', `udp://${HOST}:9`, '--listen', `${HOST}:0`, '--upload', '3x']);
  await until(() => /joined as p\d/.test(peer.stderr()), 15_000);
  peer.child.kill('SIGTERM');
  t.is(await peer.exited, 0);
  const stats = JSON.parse(peer.stderr().trim().split('\n').pop()!) as { slots: number; id: string };
  t.is(stats.slots, 7, '3x the stream at a third of it per stripe copy, with link overhead');
  coordinator.child.kill('SIGTERM');
  t.is(await coordinator.exited, 0);
  const counters = JSON.parse(coordinator.stderr().trim().split('\n').pop()!) as { joins: number; leaves: number };
  t.like(counters, { joins: 1, leaves: 1 });
  const bad = cli(t, ['peer', '--coordinator', `${HOST}:${port}`, '--to', 'psock://127.0.0.1:9']);
  t.is(await bad.exited, 2);
  t.regex(bad.stderr(), /^perfect-socket peer: --to .*accepted: udp:\/\/HOST:PORT\n$/);
});
