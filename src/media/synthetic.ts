import { createRng } from '../proxy/prng.js';
import { TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-packets.js';

/** What {@link syntheticTs} makes. */
export interface SyntheticTsOptions {
  /** Number of 188-byte packets. */
  packets: number;
  /** PIDs to cycle through, one packet each in turn (default [0x100, 0x101]). */
  pids?: number[];
  /** Seed for the payload bytes (default 1): the same seed gives the same stream. */
  seed?: number;
}

/**
 * Makes a transport stream without ffmpeg, for machines that lack it: packets with the sync byte,
 * a PID, payload-only adaptation control and a per-PID continuity counter, then a 4-byte packet
 * number and seeded random bytes. Every packet is distinct, so every datagram is too. It is not
 * decodable media (no PAT/PMT, no PES); use it to measure delivery and latency, not decoding.
 * @throws RangeError when `packets` or a PID is out of range
 */
export function syntheticTs(options: SyntheticTsOptions): Buffer {
  const { packets, pids = [0x100, 0x101], seed = 1 } = options;
  if (!Number.isInteger(packets) || packets < 0) throw new RangeError(`packets must be an integer >= 0, got ${packets}`);
  if (pids.length === 0) throw new RangeError('pids must not be empty');
  for (const pid of pids) {
    // 0x1FFF is the null PID, which receivers discard; 0..0x1F are reserved tables.
    if (!Number.isInteger(pid) || pid < 0x20 || pid > 0x1ffe) throw new RangeError(`pid ${pid} is out of range 0x20..0x1ffe`);
  }
  const rng = createRng(seed);
  const out = Buffer.allocUnsafe(packets * TS_PACKET_SIZE);
  const counters = new Map<number, number>();
  for (let i = 0; i < packets; i++) {
    const off = i * TS_PACKET_SIZE;
    const pid = pids[i % pids.length]!;
    const cc = counters.get(pid) ?? 0;
    counters.set(pid, (cc + 1) & 0x0f);
    out[off] = TS_SYNC_BYTE;
    out[off + 1] = (pid >> 8) & 0x1f;
    out[off + 2] = pid & 0xff;
    out[off + 3] = 0x10 | cc; // not scrambled, payload only
    out.writeUInt32BE(i, off + 4);
    for (let j = off + 8; j < off + TS_PACKET_SIZE; j += 4) out.writeUInt32BE((rng() * 2 ** 32) >>> 0, j);
  }
  return out;
}
