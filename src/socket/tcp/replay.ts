import type { Buffer } from 'node:buffer';
import type { TcpCounters } from '../stats.js';
import { encodeFrame } from './framing.js';

/**
 * Bytes the replays of all peers may hold together. About a second of a 100 Mbit/s stream;
 * past it the oldest kept messages go first (counted in `tcpDropped` if they are needed).
 */
export const REPLAY_LIMIT_BYTES = 16 * 1024 * 1024;

/** The byte budget the replays of one socket share. */
export class ReplayBudget {
  used = 0;
  constructor(readonly limit = REPLAY_LIMIT_BYTES) {}
}

/**
 * Copies of the messages sent to a peer over UDP while it was not yet known whether UDP gets
 * through. If it does not, they are what the peer missed, and go over TCP first, in order; if it
 * does, they are let go.
 */
export class Replay {
  readonly #budget: ReplayBudget;
  #frames: Buffer[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(budget: ReplayBudget) {
    this.#budget = budget;
  }

  /** Keeps a copy of one message, as the frame it would travel in. */
  keep(message: Uint8Array | string, bytes: number): void {
    const frame = encodeFrame(message, bytes);
    while (this.#budget.used + frame.byteLength > this.#budget.limit && this.#head < this.#frames.length) {
      this.#release(this.#frames[this.#head]!);
      this.#frames[this.#head++] = undefined as unknown as Buffer;
      this.#dropped++;
    }
    if (this.#budget.used + frame.byteLength > this.#budget.limit) {
      this.#dropped++;
      return;
    }
    this.#frames.push(frame);
    this.#bytes += frame.byteLength;
    this.#budget.used += frame.byteLength;
  }

  /** The kept frames, oldest first, for sending over TCP; those dropped to stay in budget count as lost. */
  take(counters: TcpCounters): Buffer[] {
    const frames = this.#frames.slice(this.#head);
    counters.tcpDropped += this.#dropped;
    this.clear();
    return frames;
  }

  /** Lets the copies go: UDP got them there. */
  clear(): void {
    this.#budget.used -= this.#bytes;
    this.#frames = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#dropped = 0;
  }

  #release(frame: Buffer): void {
    this.#bytes -= frame.byteLength;
    this.#budget.used -= frame.byteLength;
  }
}
