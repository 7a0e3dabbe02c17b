import { Buffer } from 'node:buffer';
import { Decoder } from '../../codec/decoder.js';
import { SYMBOL_HEADER, type SymbolHeader } from '../wire/symbol.js';
import { seqDiff } from './seq.js';

/** Counters of a {@link StripeAssembler}. */
export interface AssemblerCounters {
  /** Symbols new to this peer. */
  symbolsIn: number;
  /** Symbols of the blocks seen (n each): what would have come with nothing lost upstream. */
  symbolsExpected: number;
  /** Copies of symbols already held. */
  duplicates: number;
  /** Symbols of blocks already given up or past their deadline. */
  stale: number;
  /** Symbols of blocks too far ahead of the output (beyond the window), dropped. */
  outOfWindow: number;
  /** Symbols whose shape disagrees with the block's first symbol (k, n, length). */
  inconsistent: number;
  blocksDecoded: number;
  /** Blocks decoded with parity symbols among the first k in (a source symbol missing or later). */
  blocksRepaired: number;
  /** Blocks not decodable by their deadline (or malformed inside), skipped. */
  blocksLost: number;
  /** Blocks decoded in time but not released before their deadline (a stalled loop), dropped. */
  blocksLate: number;
  datagramsOut: number;
  bytesOut: number;
}

interface Entry {
  k: number;
  n: number;
  shardLen: number;
  deadline: number;
  seen: Uint8Array;
  count: number;
  shards: (Buffer | undefined)[] | undefined;
  /** The source datagrams once decoded; [] after release. */
  datagrams: Buffer[] | undefined;
  released: boolean;
}

/** A missing block is given up this long before the deadline of a later block that is held. */
const SKIP_AHEAD_MS = 100;

/** Whether an added symbol was new (forward it), or why not. */
export type AddResult = 'new' | 'duplicate' | 'stale' | 'outOfWindow' | 'inconsistent';

/**
 * A peer's receiving end of the stripe code: collects symbols per block, decodes a block as
 * soon as any k of its n symbols are in, and releases source datagrams in block order. A
 * block still short of k at its deadline is counted lost and skipped; a block missing
 * entirely (not one symbol) is skipped once a later block is within 100 ms of its deadline
 * (blocks are cut in time order, so the missing one's deadline is no later). A decoded block
 * that could not be released before its deadline is late and dropped. Keeps at most `maxBlocks` blocks; deduplicates symbols until
 * their block's deadline, so the caller forwards each symbol once.
 */
export class StripeAssembler {
  readonly counters: AssemblerCounters = {
    symbolsIn: 0, symbolsExpected: 0, duplicates: 0, stale: 0, outOfWindow: 0, inconsistent: 0,
    blocksDecoded: 0, blocksRepaired: 0, blocksLost: 0, blocksLate: 0, datagramsOut: 0, bytesOut: 0,
  };
  readonly #maxBlocks: number;
  readonly #output: (datagram: Buffer) => void;
  readonly #blocks = new Map<number, Entry>();
  readonly #decoders = new Map<number, Decoder>();
  /** The next block to release; undefined until the first symbol. */
  #next: number | undefined;

  /** @throws RangeError for maxBlocks out of range */
  constructor(options: { maxBlocks: number }, output: (datagram: Buffer) => void) {
    if (!Number.isInteger(options.maxBlocks) || options.maxBlocks < 2 || options.maxBlocks > 65_536) {
      throw new RangeError(`maxBlocks must be an integer from 2 to 65536, got ${options.maxBlocks}`);
    }
    this.#maxBlocks = options.maxBlocks;
    this.#output = output;
  }

  /** The oldest block not yet released (what a backfill should start at), undefined before any symbol. */
  get nextBlock(): number | undefined {
    return this.#next;
  }

  /** Blocks held (released ones included, until their deadline). */
  get blocksHeld(): number {
    return this.#blocks.size;
  }

  /**
   * Adds the symbol `msg` (header `h`, already checked by parseSymbol) whose block is due by
   * `deadline` (local ms). Decodes and releases what it can.
   */
  add(h: SymbolHeader, msg: Uint8Array, deadline: number, now: number): AddResult {
    if (deadline <= now) return this.#count('stale');
    this.#next ??= h.block;
    let entry = this.#blocks.get(h.block);
    if (entry === undefined) {
      if (seqDiff(h.block, this.#next) < 0) return this.#count('stale');
      if (seqDiff(h.block, this.#next) >= this.#maxBlocks) return this.#count('outOfWindow');
      entry = { k: h.k, n: h.n, shardLen: msg.byteLength - SYMBOL_HEADER, deadline, seen: new Uint8Array(h.n), count: 0, shards: new Array(h.n), datagrams: undefined, released: false };
      this.#blocks.set(h.block, entry);
      this.counters.symbolsExpected += h.n;
    } else if (entry.k !== h.k || entry.n !== h.n || entry.shardLen !== msg.byteLength - SYMBOL_HEADER) {
      return this.#count('inconsistent');
    }
    if (entry.seen[h.index]) return this.#count('duplicate');
    entry.seen[h.index] = 1;
    this.counters.symbolsIn++;
    if (entry.shards !== undefined && entry.datagrams === undefined) {
      // Copied: msg is a view into a delivery batch.
      entry.shards[h.index] = Buffer.from(msg.subarray(SYMBOL_HEADER));
      if (++entry.count === entry.k) this.#decode(entry);
    }
    if (entry.datagrams !== undefined) this.#release(now);
    return 'new';
  }

  /** Gives up blocks past their deadline and releases what follows them; ms until the next deadline. */
  poll(now: number): number {
    this.#release(now);
    let soonest = Infinity;
    for (const [block, e] of this.#blocks) {
      if (e.deadline <= now) {
        if (e.released) this.#blocks.delete(block);
      } else soonest = Math.min(soonest, e.deadline - now);
    }
    return soonest;
  }

  #count(result: Exclude<AddResult, 'new'>): AddResult {
    this.counters[result === 'duplicate' ? 'duplicates' : result]++;
    return result;
  }

  #decode(e: Entry): void {
    const shards: Buffer[] = [];
    const indices: number[] = [];
    let sourcesOnly = true;
    for (let i = 0; i < e.n && shards.length < e.k; i++) {
      const s = e.shards![i];
      if (s === undefined) continue;
      shards.push(s);
      indices.push(i);
      if (i >= e.k) sourcesOnly = false;
    }
    const data = sourcesOnly ? shards : this.#decoder(e.k, e.n).decode(shards, indices);
    e.shards = undefined;
    const datagrams: Buffer[] = [];
    for (const shard of data) {
      const len = shard.readUInt16BE(0);
      if (len === 0 || len > e.shardLen - 2) {
        // Only a sender that lies makes this; the block is unusable.
        e.datagrams = [];
        this.counters.inconsistent++;
        return;
      }
      datagrams.push(shard.subarray(2, 2 + len));
    }
    this.counters.blocksDecoded++;
    if (!sourcesOnly) this.counters.blocksRepaired++;
    e.datagrams = datagrams;
  }

  /** Releases blocks in order from #next while they are decoded or given up. */
  #release(now: number): void {
    while (this.#next !== undefined) {
      const e = this.#blocks.get(this.#next);
      if (e === undefined) {
        if (!this.#laterBlockExpired(now)) return;
        this.counters.blocksLost++;
      } else if (e.datagrams !== undefined) {
        // Decoded in time but released after the deadline (it waited behind an earlier block
        // and this peer's loop stalled past both deadlines): late, dropped, as everywhere.
        const late = e.deadline <= now && e.datagrams.length > 0;
        if (late) this.counters.blocksLate++;
        else {
          for (const d of e.datagrams) {
            this.counters.datagramsOut++;
            this.counters.bytesOut += d.byteLength;
            this.#output(d);
          }
        }
        if (e.datagrams.length === 0) this.counters.blocksLost++;
        e.datagrams = [];
        e.released = true;
      } else if (e.deadline <= now) {
        this.counters.blocksLost++;
        e.shards = undefined;
        e.datagrams = [];
        e.released = true;
      } else return;
      this.#next = (this.#next + 1) >>> 0;
      this.#evict();
    }
  }

  /**
   * Whether to give up the missing block #next: some later block is held and within SKIP_AHEAD_MS
   * of its deadline. The missing block's own deadline is no later (blocks are cut in time order),
   * and waiting longer would make the later blocks late too.
   */
  #laterBlockExpired(now: number): boolean {
    for (const [block, e] of this.#blocks) if (seqDiff(block, this.#next!) > 0 && e.deadline - SKIP_AHEAD_MS <= now) return true;
    return false;
  }

  /** Keeps the window bounded: released blocks beyond maxBlocks behind the output go first. */
  #evict(): void {
    if (this.#blocks.size <= this.#maxBlocks) return;
    for (const [block] of this.#blocks) {
      if (this.#blocks.size <= this.#maxBlocks) return;
      if (seqDiff(block, this.#next!) < 0) this.#blocks.delete(block);
    }
  }

  #decoder(k: number, n: number): Decoder {
    const key = k * 256 + n;
    let d = this.#decoders.get(key);
    if (d === undefined) this.#decoders.set(key, (d = new Decoder(k, n)));
    return d;
  }
}
