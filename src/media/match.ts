import { createHash } from 'node:crypto';
import type { Arrival } from './collector.js';
import { packetCount } from './ts-packets.js';

/** Latency percentiles, ms, from send to arrival. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Samples: unique delivered datagrams. */
  count: number;
}

/** How one run went, from the receiver's side. */
export interface DeliveryReport {
  datagramsSent: number;
  tsPacketsSent: number;
  bytesSent: number;
  /** Distinct sent datagrams that arrived at least once. */
  datagramsDelivered: number;
  tsPacketsDelivered: number;
  bytesDelivered: number;
  /** TS packets delivered / sent (1 when nothing was sent). */
  deliveredFraction: number;
  /** Extra copies of datagrams already delivered. */
  duplicates: number;
  /** Delivered datagrams that arrived after one sent later than them. */
  outOfOrder: number;
  /** Datagrams received that are byte-identical to no sent datagram. */
  unmatched: number;
  /** True when every datagram received is byte-identical to one sent (`unmatched` is 0). */
  identical: boolean;
  /** Indices of sent datagrams that never arrived, ascending. */
  missing: number[];
  /** Undefined when nothing was delivered. */
  latencyMs: LatencySummary | undefined;
}

/** What was sent: the datagrams and, for each, when (same clock as the arrivals). */
export interface SentLog {
  datagrams: readonly Buffer[];
  /** `performance.now()` at each send; datagrams with NaN or no entry were never sent and are left out. */
  sendTimes: ArrayLike<number>;
}

/** Whether datagram i was sent: it has a send time (the log may be shorter than the datagrams). */
function wasSent(sendTimes: ArrayLike<number>, i: number): boolean {
  const t = sendTimes[i];
  return t !== undefined && !Number.isNaN(t);
}

function digest(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('base64');
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function summarize(latencies: number[]): LatencySummary | undefined {
  if (latencies.length === 0) return undefined;
  const s = Float64Array.from(latencies).sort();
  return { p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), max: s[s.length - 1]!, count: s.length };
}

/** Smallest undelivered index in ascending `candidates` greater than `after`, or -1. */
function firstUndeliveredAfter(candidates: number[], delivered: Uint8Array, after: number): number {
  let lo = 0;
  let hi = candidates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (candidates[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < candidates.length; i++) if (!delivered[candidates[i]!]) return candidates[i]!;
  return -1;
}

/**
 * Matches received datagrams to sent ones by content and measures the run.
 *
 * Datagrams with the same bytes (a stream's null-packet padding repeats exactly) share a hash
 * entry listing their indices in send order. An arrival takes the first undelivered index after
 * the last one matched, so identical datagrams match in order and a lost one does not shift the
 * rest; failing that (a late or reordered arrival), the first undelivered index at all; failing
 * that, it is a duplicate. Only datagrams that were actually sent can match. Byte identity is
 * checked, not assumed from the hash.
 */
export function matchDelivery(sent: SentLog, arrivals: readonly Arrival[]): DeliveryReport {
  const { datagrams, sendTimes } = sent;
  const byHash = new Map<string, number[]>();
  let datagramsSent = 0;
  let tsPacketsSent = 0;
  let bytesSent = 0;
  for (let i = 0; i < datagrams.length; i++) {
    if (!wasSent(sendTimes, i)) continue;
    const d = datagrams[i]!;
    datagramsSent++;
    tsPacketsSent += packetCount(d);
    bytesSent += d.length;
    const key = digest(d);
    const list = byHash.get(key);
    if (list) list.push(i);
    else byHash.set(key, [i]);
  }
  const delivered = new Uint8Array(datagrams.length);
  const latencies: number[] = [];
  let datagramsDelivered = 0;
  let tsPacketsDelivered = 0;
  let bytesDelivered = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let unmatched = 0;
  let last = -1;
  let highest = -1;
  for (const { data, at } of arrivals) {
    const candidates = byHash.get(digest(data));
    if (candidates === undefined || !datagrams[candidates[0]!]!.equals(data)) {
      unmatched++;
      continue;
    }
    let index = firstUndeliveredAfter(candidates, delivered, last);
    if (index < 0) index = firstUndeliveredAfter(candidates, delivered, -1);
    if (index < 0) {
      duplicates++;
      continue;
    }
    delivered[index] = 1;
    datagramsDelivered++;
    tsPacketsDelivered += packetCount(data);
    bytesDelivered += data.length;
    latencies.push(at - sendTimes[index]!);
    if (index < highest) outOfOrder++;
    highest = Math.max(highest, index);
    last = index;
  }
  const missing: number[] = [];
  for (let i = 0; i < datagrams.length; i++) if (!delivered[i] && wasSent(sendTimes, i)) missing.push(i);
  return {
    datagramsSent,
    tsPacketsSent,
    bytesSent,
    datagramsDelivered,
    tsPacketsDelivered,
    bytesDelivered,
    deliveredFraction: tsPacketsSent === 0 ? 1 : tsPacketsDelivered / tsPacketsSent,
    duplicates,
    outOfOrder,
    unmatched,
    identical: unmatched === 0,
    missing,
    latencyMs: summarize(latencies),
  };
}
