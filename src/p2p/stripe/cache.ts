import { Buffer } from 'node:buffer';
import { seqDiff } from './seq.js';

interface Cached {
  block: number;
  msg: Buffer;
  /** Local ms after which the symbol is of no use (its block's deadline). */
  expires: number;
}

/**
 * The recent symbols of each stripe, as relayed, so that a child that just switched to this node
 * can be sent what it missed while its old parent was silent (a backfill): within the latency
 * budget a parent switch then loses nothing. Bounded per stripe; expired symbols are dropped.
 */
export class SymbolCache {
  readonly #rings: Cached[][];
  readonly #perStripe: number;

  constructor(stripes: number, perStripe: number) {
    this.#rings = Array.from({ length: stripes }, () => []);
    this.#perStripe = perStripe;
  }

  /** Keeps a copy of `msg` (a symbol of `block` on `stripe`) until `expires`. */
  add(stripe: number, block: number, msg: Uint8Array, expires: number): void {
    const ring = this.#rings[stripe];
    if (ring === undefined) return;
    ring.push({ block, msg: Buffer.from(msg), expires });
    if (ring.length > this.#perStripe) ring.splice(0, ring.length - this.#perStripe);
  }

  /** The symbols of `stripe` from block `from` on that are still of use at `now`, oldest first. */
  since(stripe: number, from: number, now: number): Buffer[] {
    const ring = this.#rings[stripe];
    if (ring === undefined) return [];
    let drop = 0;
    while (drop < ring.length && ring[drop]!.expires <= now) drop++;
    if (drop > 0) ring.splice(0, drop);
    return ring.filter((c) => seqDiff(c.block, from) >= 0).map((c) => c.msg);
  }
}
