/**
 * One end-to-end P2P run, for __test__/p2p.spec.ts, which starts it in a fresh network namespace
 * where nftables drops 1% of UDP datagrams to ports 20000-20999 (every coordinator/peer socket;
 * the stream's input and the peers' outputs use other ports and are not dropped).
 *
 * Arguments: peers, stream seconds, crashes, ms between crashes (0: all at once).
 * A coordinator on 127.0.0.1:20000 and PEERS peers on 20001.. join; once the tree settles, a
 * synthetic MPEG-TS stream is replayed at BITRATE into the coordinator; from 4 s in, KILLS
 * interior peers (ones with children at that moment) are crashed, KILL_SPACING_MS apart, and
 * then one more peer leaves gracefully. Every peer's output goes to its own collector in this process, so
 * latency is measured on one clock from the replayer's send to the collector's arrival. Prints
 * one JSON line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Collector, matchDelivery, PACKETS_PER_DATAGRAM, replay, splitDatagrams, syntheticTs, type Arrival } from '../../src/media/index.js';
import { startCoordinator, startPeer, type Peer } from '../../src/index.js';

const HOST = '127.0.0.1';
const PEERS = Number(process.argv[2] ?? 20);
const STREAM_S = Number(process.argv[3] ?? 16);
const KILLS = Number(process.argv[4] ?? 4);
/** ms between the crashes (0: all at once). */
const KILL_SPACING_MS = Number(process.argv[5] ?? 2500);
const BITRATE = 2_000_000;
const LATENCY_MS = 1000;
const COORDINATOR_PORT = 20_000;
const INPUT_PORT = 19_999;

const coordinator = await startCoordinator({ listen: { host: HOST, port: COORDINATOR_PORT }, from: { host: HOST, port: INPUT_PORT }, latencyMs: LATENCY_MS });
const peers: Peer[] = [];
const collectors: Collector[] = [];
for (let i = 0; i < PEERS; i++) {
  const collector = await Collector.open({ host: HOST });
  collectors.push(collector);
  peers.push(await startPeer({ coordinator: { host: HOST, port: COORDINATOR_PORT }, to: { host: HOST, port: collector.port }, bind: { host: HOST, port: COORDINATOR_PORT + 1 + i } }));
}
// Let the tree settle (rebalancing after the joins) before the stream starts.
await sleep(2500);
const shapeBefore = coordinator.state().shape;

const packets = Math.floor((BITRATE * STREAM_S) / 8 / 188);
const datagrams = splitDatagrams(syntheticTs({ packets }));
const rootBefore = coordinator.stats();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
const sending = replay(datagrams, { target: { host: HOST, port: INPUT_PORT }, bitrate: BITRATE });

const gone = new Set<number>();
const kills: Array<{ id: string; children: number; atS: number }> = [];
await sleep(4000);
for (let j = 0; j < KILLS; j++) {
  const interior = peers.map((p, i) => ({ i, children: p.stats().children })).filter((x) => x.children > 0 && !gone.has(x.i));
  const victim = interior[(j * 7 + 3) % interior.length]!;
  gone.add(victim.i);
  kills.push({ id: peers[victim.i]!.id, children: victim.children, atS: (performance.now() - wallBefore) / 1000 });
  await peers[victim.i]!.close({ graceful: false });
  if (KILL_SPACING_MS > 0) await sleep(KILL_SPACING_MS);
}
if (KILL_SPACING_MS === 0) await sleep(2500);
// One graceful leave (a leaf or not, whichever comes first among the rest).
const leaver = peers.findIndex((_, i) => !gone.has(i));
gone.add(leaver);
const left = peers[leaver]!.id;
await peers[leaver]!.close();

const sent = await sending;
await sleep(1500);
const cpu = process.cpuUsage(cpuBefore);
const wallS = (performance.now() - wallBefore) / 1000;
const rootAfter = coordinator.stats();

/** Arrivals within the latency budget: a synthetic packet carries its number at byte 4. */
function inBudget(arrivals: readonly Arrival[]): Arrival[] {
  return arrivals.filter((a) => {
    const index = Math.floor(a.data.readUInt32BE(4) / PACKETS_PER_DATAGRAM);
    const at = sent.sendTimes[index];
    return at !== undefined && a.at - at <= LATENCY_MS;
  });
}

const results = peers.map((p, i) => {
  if (gone.has(i)) return undefined;
  const all = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, collectors[i]!.arrivals);
  const timely = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, inBudget(collectors[i]!.arrivals));
  const s = p.stats();
  return {
    id: s.id,
    inBudget: timely.deliveredFraction,
    delivered: all.deliveredFraction,
    unmatched: all.unmatched,
    duplicates: all.duplicates,
    p50: all.latencyMs?.p50 ?? NaN,
    p99: all.latencyMs?.p99 ?? NaN,
    max: all.latencyMs?.max ?? NaN,
    blocksLost: s.assembler.blocksLost,
    linkRecovered: s.socket.recovered,
    linkRetransmitsReceived: s.socket.retransmitsReceived,
    switches: s.switches,
    malformed: s.malformedControl + s.malformedData,
    rejoins: s.rejoins,
    backfilledSymbols: s.backfilledSymbols,
    parents: s.parents,
    bytesSent: s.socket.bytesSent,
  };
}).filter((r) => r !== undefined);

const outBytes = rootAfter.socket.bytesSent - rootBefore.socket.bytesSent;
const inBytes = rootAfter.streamBytesIn - rootBefore.streamBytesIn;
const state = coordinator.state();
process.stdout.write(`${JSON.stringify({
  peers: results,
  kills,
  left,
  rootUploadRatio: outBytes / inBytes,
  rootSlots: rootAfter.rootSlots,
  coordinator: { joins: rootAfter.joins, leaves: rootAfter.leaves, crashes: rootAfter.crashes, moves: rootAfter.moves, malformed: rootAfter.malformedControl, peers: rootAfter.peers },
  shapeBefore,
  shapeAfter: state.shape,
  statePeers: state.peers.length,
  replayMaxLateMs: sent.maxLateMs,
  datagramsSent: sent.sent,
  cpuShare: (cpu.user + cpu.system) / 1000 / (wallS * 1000),
  wallS,
})}\n`);
for (const [i, p] of peers.entries()) if (!gone.has(i)) await p.close();
await coordinator.close();
for (const c of collectors) await c.close();
