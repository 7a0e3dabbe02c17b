/**
 * Measurement harness for live MPEG-TS over UDP.
 *
 * ```ts
 * import { generateTs, splitDatagrams, Collector, replay, matchDelivery, checkTs } from './media/index.js'
 *
 * const { path, bitrate } = await generateTs({ durationS: 5 })      // cached ffmpeg test stream
 * const datagrams = splitDatagrams(readFileSync(path))              // 7 TS packets (1316 B) each
 * const collector = await Collector.open()                          // receiving end
 * const sent = await replay(datagrams, { target: { host: '127.0.0.1', port: collector.port }, bitrate })
 * await collector.waitFor(datagrams.length, 500)                   // or a fixed drain time
 * const report = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, collector.arrivals)
 * const errors = await checkTs(collector.concat())                 // ffmpeg's decode errors
 * await collector.close()
 * ```
 *
 * Replayer and collector must run in one process: latency is arrival time minus send time, both
 * read from `performance.now()`.
 * @packageDocumentation
 */
export { checkTs } from './check.js';
export { Collector, type Arrival, type CollectorOptions } from './collector.js';
export { ffmpegAvailable, generateTs, type GeneratedTs, type GenerateTsOptions } from './generate.js';
export { matchDelivery, type DeliveryReport, type LatencySummary, type SentLog } from './match.js';
export { muxRateFromPcr } from './pcr.js';
export { replay, type ReplayOptions, type ReplayResult } from './replayer.js';
export { syntheticTs, type SyntheticTsOptions } from './synthetic.js';
export {
  assertTs,
  DATAGRAM_SIZE,
  packetCount,
  PACKETS_PER_DATAGRAM,
  pidAt,
  splitDatagrams,
  TS_PACKET_SIZE,
  TS_SYNC_BYTE,
} from './ts-packets.js';
