/**
 * Turns symbols (format in ../symbols.ts) from any number of feeds back into the datagram stream,
 * in order: first copy of each symbol wins, Reed-Solomon (zfec.js) rebuilds a block's missing
 * datagrams once any k of its n symbols are in, a datagram still missing a third into the latency
 * budget makes it ask for its block again, and one still missing when the budget is spent is
 * skipped. It also hands every symbol it holds to the children's senders exactly once, adding
 * the repair symbols of blocks that came without them (from the lossless WebSocket).
 *
 * No DOM and no timers: the page calls `push` per message and `tick` on an interval, and the
 * Node specs drive it with a fake clock.
 * @module
 */
import { decode, encodeRepair } from './zfec.js';

/** Symbol header bytes (../symbols.ts). */
export const HEADER = 16;
/** Blocks kept behind the release point (late copies of older ones are ignored). */
const KEEP_BLOCKS = 8;

/** Signed distance a - b between u32 block numbers (they wrap). */
const diff = (a, b) => (a - b) | 0;

/**
 * @typedef {object} AssemblerOptions
 * @property {number} symbolSize repair symbol payload length (2 + the longest datagram)
 * @property {number} latencyMs how long a missing datagram is waited for
 * @property {() => number} now a monotonic clock, ms
 * @property {(datagram: Uint8Array, serverTime: number) => void} onDatagram in order, once each
 * @property {(block: number) => void} [onAsk] asks the server for a block FEC could not rebuild
 * @property {() => ((symbol: Uint8Array) => void)[]} [children] senders to pass symbols on to
 */

/**
 * @typedef {{ block: number, k: number, n: number, payload: (Uint8Array|undefined)[],
 *   raw: (Uint8Array|undefined)[], ts: number[], count: number, complete: boolean,
 *   forwarded: Uint8Array }} Block
 */

export class Assembler {
  /** @param {AssemblerOptions} o */
  constructor(o) {
    this.o = o;
    /** @type {Map<number, Block>} */
    this.blocks = new Map();
    /** @type {{block: number, index: number} | null} */
    this.next = null;
    this.newest = 0;
    this.stuckSince = -1;
    this.askedFor = -1;
    /** Source datagrams rebuilt by Reed-Solomon. */
    this.recovered = 0;
    /** Source datagrams skipped (missing past the budget). */
    this.lost = 0;
    /** Datagrams released. */
    this.released = 0;
    /** Blocks asked again. */
    this.asks = 0;
    /** Symbols that failed to parse or contradict their block. */
    this.malformed = 0;
  }

  /**
   * Takes one symbol from any feed.
   * @param {Uint8Array} u8
   * @returns {boolean} true when it was new (not a copy, not malformed, not too old)
   */
  push(u8) {
    if (u8.length < HEADER + 2 || u8[0] !== 1) { this.malformed++; return false; }
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    const k = u8[1], n = u8[2], index = u8[3];
    const blockNo = dv.getUint32(4);
    const ts = dv.getFloat64(8);
    if (k === 0 || index >= n || k > n) { this.malformed++; return false; }
    if (this.next === null) {
      // Join at a block boundary: the datagrams before this one in its block are not coming.
      this.next = { block: index === 0 ? blockNo : (blockNo + 1) >>> 0, index: 0 };
      this.newest = blockNo;
    }
    if (diff(blockNo, this.next.block) < -KEEP_BLOCKS) return false;
    let b = this.blocks.get(blockNo);
    if (!b) {
      b = { block: blockNo, k, n, payload: new Array(n), raw: new Array(n), ts: new Array(n).fill(ts), count: 0, complete: false, forwarded: new Uint8Array(n) };
      this.blocks.set(blockNo, b);
    }
    if (b.k !== k || b.n !== n) { this.malformed++; return false; }
    if (b.raw[index]) return false; // the other parent's copy, or a resend of one we had
    if (diff(blockNo, this.newest) > 0) this.newest = blockNo;
    b.raw[index] = u8;
    b.payload[index] = u8.subarray(HEADER);
    b.ts[index] = ts;
    b.count++;
    this.#forward(b, index);
    if (b.count >= b.k && !b.complete) {
      try {
        this.#complete(b);
      } catch {
        this.malformed++; // e.g. a repair symbol of the wrong length: its gaps are skipped in time
      }
    }
    this.tick();
    return true;
  }

  /** Rebuilds missing source symbols once k are in, and sends children what they lack. */
  #complete(b) {
    b.complete = true;
    const { symbolSize } = this.o;
    const missing = [];
    for (let i = 0; i < b.k; i++) if (!b.payload[i]) missing.push(i);
    if (missing.length > 0) {
      const idx = [], shards = [];
      for (let i = 0; i < b.n; i++) if (b.payload[i]) { idx.push(i); shards.push(b.payload[i]); }
      const data = decode(b.k, b.n, shards, idx, symbolSize);
      for (const i of missing) {
        const full = data[i];
        const len = Math.min((full[0] << 8) | full[1], symbolSize - 2);
        b.payload[i] = full.subarray(0, 2 + len);
        b.raw[i] = withHeader(b, i, b.payload[i]);
        if (len > 0) this.recovered++;
      }
    }
    if (this.#children().length === 0) return;
    const sources = b.payload.slice(0, b.k);
    for (let i = 0; i < b.n; i++) {
      if (b.forwarded[i]) continue;
      if (!b.raw[i]) b.raw[i] = withHeader(b, i, encodeRepair(b.k, b.n, sources, i, symbolSize));
      this.#forward(b, i);
    }
  }

  #children() {
    return this.o.children ? this.o.children() : [];
  }

  #forward(b, index) {
    const sends = this.#children();
    if (sends.length === 0) return;
    b.forwarded[index] = 1;
    for (const send of sends) send(b.raw[index]);
  }

  /** Releases what is in order; asks for, then skips, what is overdue. Call it on a timer too. */
  tick() {
    const next = this.next;
    if (next === null) return;
    for (;;) {
      const b = this.blocks.get(next.block);
      if (b && b.payload[next.index]) {
        const p = b.payload[next.index];
        const len = (p[0] << 8) | p[1];
        if (len > 0) {
          this.released++;
          this.o.onDatagram(p.subarray(2, 2 + len), b.ts[next.index]);
        }
        this.stuckSince = -1;
        this.#advance(b.k);
        continue;
      }
      // Missing: wait only while something later is in (else the stream is just not here yet).
      const later = diff(this.newest, next.block) > 0 || (b !== undefined && b.raw.some((r, i) => r !== undefined && i > next.index));
      if (!later) { this.stuckSince = -1; return; }
      const now = this.o.now();
      if (this.stuckSince < 0) this.stuckSince = now;
      // FEC could not rebuild it (yet): a third into the budget, ask for the block once.
      if (now - this.stuckSince >= this.o.latencyMs / 3 && this.askedFor !== next.block) {
        this.askedFor = next.block;
        this.asks++;
        this.o.onAsk?.(next.block);
      }
      if (now - this.stuckSince < this.o.latencyMs) return;
      // Overdue: skip it. stuckSince stays set, so the rest of a gap goes at once rather than one
      // budget per datagram (which would never catch up with a live stream).
      if (b) {
        this.lost++;
        this.#advance(b.k);
      } else {
        // A whole block (or more) missing: jump to the first block held after it.
        let to = this.newest;
        for (const key of this.blocks.keys()) if (diff(key, next.block) > 0 && diff(key, to) < 0) to = key;
        const k = this.blocks.get(to)?.k ?? 1;
        this.lost += k * Math.min(diff(to, next.block), 1000);
        next.block = to;
        next.index = 0;
        this.#prune();
      }
    }
  }

  #advance(k) {
    const next = /** @type {{block: number, index: number}} */ (this.next);
    if (++next.index >= k) {
      next.block = (next.block + 1) >>> 0;
      next.index = 0;
      this.#prune();
    }
  }

  #prune() {
    const at = /** @type {{block: number, index: number}} */ (this.next).block;
    for (const key of this.blocks.keys()) if (diff(key, at) < -KEEP_BLOCKS) this.blocks.delete(key);
  }
}

/** A symbol for a rebuilt or computed payload, stamped with the block's latest server time. */
function withHeader(b, index, payload) {
  const out = new Uint8Array(HEADER + payload.length);
  const dv = new DataView(out.buffer);
  out[0] = 1; out[1] = b.k; out[2] = b.n; out[3] = index;
  dv.setUint32(4, b.block);
  dv.setFloat64(8, Math.max(...b.ts));
  out.set(payload, HEADER);
  return out;
}
