import { performance } from 'node:perf_hooks';
import { seqDiff } from './stripe/seq.js';

/** Local monotonic time, ms. */
export function localNow(): number {
  return performance.now();
}

/** The coordinator's clock as it goes on the wire: wall-clock ms, as u32 (wraps every 49.7 days). */
export function coordinatorNow(): number {
  return Math.floor(performance.timeOrigin + performance.now()) >>> 0;
}

/**
 * A peer's view of the coordinator's clock, from one PING/PONG exchange: the coordinator read
 * `remote` about half-way between the local times `sent` and `received`.
 */
export class ClockMap {
  #offset = 0;

  /** Records an exchange; returns the round-trip time, ms. */
  measure(sent: number, received: number, remote: number): number {
    this.#offset = remote - (sent + received) / 2;
    return Math.max(0, received - sent);
  }

  /** The coordinator's clock now (u32 ms), as estimated here. */
  remoteNow(now: number = localNow()): number {
    return Math.floor(now + this.#offset) >>> 0;
  }

  /** The local time at which the coordinator's clock read `remote` (u32 ms). */
  toLocal(remote: number, now: number = localNow()): number {
    const remoteNow = Math.floor(now + this.#offset) >>> 0;
    return now - seqDiff(remoteNow, remote);
  }
}
