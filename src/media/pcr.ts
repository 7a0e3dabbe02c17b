import { pidAt, TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-packets.js';

/** The PCR clock ticks at 27 MHz. */
const PCR_HZ = 27_000_000;

/** Reads the PCR (in 27 MHz ticks) of the packet at `off`, or undefined when it carries none. */
function pcrAt(ts: Uint8Array, off: number): number | undefined {
  const hasAdaptation = (ts[off + 3]! & 0x20) !== 0;
  if (!hasAdaptation || ts[off + 4]! < 7 || (ts[off + 5]! & 0x10) === 0) return undefined;
  const b = off + 6;
  // 33-bit base at 90 kHz, 6 reserved bits, 9-bit extension at 27 MHz.
  const base = ts[b]! * 2 ** 25 + ts[b + 1]! * 2 ** 17 + ts[b + 2]! * 2 ** 9 + ts[b + 3]! * 2 + (ts[b + 4]! >> 7);
  const ext = ((ts[b + 4]! & 0x01) << 8) | ts[b + 5]!;
  return base * 300 + ext;
}

/**
 * Measures a transport stream's mux rate from its program clock references: bytes between the
 * first and last PCR of the PCR-carrying PID, over the time between them. For a constant-rate
 * stream (ffmpeg's `-muxrate`) this is the rate to replay it at.
 * @returns bits per second, or undefined when the stream has fewer than two PCRs on one PID
 */
export function muxRateFromPcr(ts: Uint8Array): number | undefined {
  let pid = -1;
  let first: { off: number; pcr: number } | undefined;
  let last: { off: number; pcr: number } | undefined;
  for (let off = 0; off + TS_PACKET_SIZE <= ts.length; off += TS_PACKET_SIZE) {
    if (ts[off] !== TS_SYNC_BYTE) continue;
    const pcr = pcrAt(ts, off);
    if (pcr === undefined) continue;
    const p = pidAt(ts, off);
    if (pid < 0) pid = p;
    if (p !== pid) continue;
    if (first === undefined) first = { off, pcr };
    else last = { off, pcr };
  }
  if (first === undefined || last === undefined || last.pcr <= first.pcr) return undefined;
  return ((last.off - first.off) * 8 * PCR_HZ) / (last.pcr - first.pcr);
}
