import { Buffer } from 'node:buffer';
import { Encoder } from '../../codec/encoder.js';
import { MAX_DATAGRAM, SYMBOL, SYMBOL_HEADER, writeSymbolHeader } from '../wire/symbol.js';
import { blockSymbols, maxSourcesPerBlock } from './shape.js';

/** Settings of a {@link StripeEncoder}. */
export interface StripeEncoderOptions {
  /** Stripes, S >= 2. */
  stripes: number;
  /** Source datagrams per full block. */
  k: number;
  /** A block closes this long after its first datagram even if short of k, ms. */
  blockTimeMs: number;
}

/** Counters of a {@link StripeEncoder}. */
export interface StripeEncoderCounters {
  datagramsIn: number;
  bytesIn: number;
  /** Datagrams larger than MAX_DATAGRAM (or empty), dropped. */
  oversize: number;
  blocks: number;
  /** Blocks closed by the time bound with fewer than k datagrams. */
  shortBlocks: number;
  symbolsOut: number;
}

/** One encoded block: `symbols[i]` is a complete SYMBOL message for stripe `i % stripes`. */
export interface EncodedBlock {
  block: number;
  sentAt: number;
  symbols: Buffer[];
}

/**
 * The coordinator's stripe code: groups source datagrams into blocks of k (or fewer, when
 * the block's time bound passes first), prefixes each with its length, pads them to equal
 * size, Reed-Solomon encodes them into n symbols and hands each as a ready SYMBOL message to
 * `emit`. Pure apart from the codec: the caller supplies the clock and calls {@link poll} on
 * a timer (or after each push).
 */
export class StripeEncoder {
  readonly stripes: number;
  readonly k: number;
  readonly blockTimeMs: number;
  readonly counters: StripeEncoderCounters = { datagramsIn: 0, bytesIn: 0, oversize: 0, blocks: 0, shortBlocks: 0, symbolsOut: 0 };
  readonly #emit: (block: EncodedBlock) => void;
  readonly #encoders = new Map<number, Encoder>();
  #pending: Buffer[] = [];
  #openedAt = 0;
  #sentAt = 0;
  #next = 0;

  /** @throws RangeError for stripes, k or blockTimeMs out of range */
  constructor(options: StripeEncoderOptions, emit: (block: EncodedBlock) => void) {
    const { stripes, k, blockTimeMs } = options;
    if (!Number.isInteger(stripes) || stripes < 2 || stripes > 16) throw new RangeError(`stripes must be an integer from 2 to 16, got ${stripes}`);
    const maxK = maxSourcesPerBlock(stripes);
    if (!Number.isInteger(k) || k < 1 || k > maxK) throw new RangeError(`k must be an integer from 1 to ${maxK} with ${stripes} stripes, got ${k}`);
    if (!(blockTimeMs > 0 && blockTimeMs <= 10_000)) throw new RangeError(`blockTimeMs must be a number above 0 and at most 10000, got ${blockTimeMs}`);
    this.stripes = stripes;
    this.k = k;
    this.blockTimeMs = blockTimeMs;
    this.#emit = emit;
  }

  /** The number the next block will get. */
  get nextBlock(): number {
    return this.#next;
  }

  /**
   * Adds a source datagram received at `now` (local ms) whose coordinator time is `sentAt`
   * (u32 ms). Emits a block when k are gathered. Returns false (counted) for a datagram that
   * is empty or larger than MAX_DATAGRAM.
   */
  push(datagram: Uint8Array, now: number, sentAt: number): boolean {
    if (datagram.byteLength === 0 || datagram.byteLength > MAX_DATAGRAM) {
      this.counters.oversize++;
      return false;
    }
    this.counters.datagramsIn++;
    this.counters.bytesIn += datagram.byteLength;
    if (this.#pending.length === 0) {
      this.#openedAt = now;
      this.#sentAt = sentAt;
    }
    // Copied: the caller's buffer may be a view into a batch that is reused.
    this.#pending.push(Buffer.from(datagram));
    if (this.#pending.length >= this.k) this.#close();
    return true;
  }

  /** Closes the open block if its time bound has passed. Returns ms until it will (or Infinity). */
  poll(now: number): number {
    if (this.#pending.length === 0) return Infinity;
    const left = this.#openedAt + this.blockTimeMs - now;
    if (left > 0) return left;
    this.#close();
    return Infinity;
  }

  /** Closes the open block now, however short (e.g. at shutdown). */
  flush(): void {
    if (this.#pending.length > 0) this.#close();
  }

  #close(): void {
    const sources = this.#pending;
    this.#pending = [];
    const k = sources.length;
    const n = blockSymbols(k, this.stripes);
    let longest = 0;
    for (const d of sources) longest = Math.max(longest, d.byteLength);
    const shardLen = longest + 2;
    // One zeroed slab: every shard's padding is already zero.
    const slab = Buffer.alloc(k * shardLen);
    const shards: Buffer[] = [];
    for (let i = 0; i < k; i++) {
      const shard = slab.subarray(i * shardLen, (i + 1) * shardLen);
      shard.writeUInt16BE(sources[i]!.byteLength, 0);
      shard.set(sources[i]!, 2);
      shards.push(shard);
    }
    const coded = this.#encoder(k, n).encode(shards);
    const block = this.#next;
    this.#next = (this.#next + 1) >>> 0;
    const out = Buffer.allocUnsafe(n * (SYMBOL_HEADER + shardLen));
    const symbols: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const msg = out.subarray(i * (SYMBOL_HEADER + shardLen), (i + 1) * (SYMBOL_HEADER + shardLen));
      writeSymbolHeader(msg, { kind: SYMBOL, stripe: i % this.stripes, k, n, index: i, block, sentAt: this.#sentAt });
      msg.set(coded[i]!, SYMBOL_HEADER);
      symbols.push(msg);
    }
    this.counters.blocks++;
    if (k < this.k) this.counters.shortBlocks++;
    this.counters.symbolsOut += n;
    this.#emit({ block, sentAt: this.#sentAt, symbols });
  }

  #encoder(k: number, n: number): Encoder {
    const key = k * 256 + n;
    let e = this.#encoders.get(key);
    if (e === undefined) this.#encoders.set(key, (e = new Encoder(k, n)));
    return e;
  }
}
