import { Buffer } from 'node:buffer'
import { native } from '../native.js'
import { SlabAllocator } from './slab.js'
import { Staging } from './staging.js'
import { asBuffer, splitViews } from './views.js'

/**
 * Systematic Reed-Solomon encoder, byte-compatible with zfec's `Encoder(k, n)`.
 *
 * @example
 * ```ts
 * const shards = new Encoder(4, 16).encode([a, b, c, d]) // 16 shards: a..d, then 12 parity
 * ```
 */
export class Encoder {
  /** Number of data shards. */
  readonly k: number
  /** Number of shards in all (data + parity). */
  readonly n: number
  readonly #slab = new SlabAllocator()
  readonly #staging = new Staging()

  /**
   * @param k - data shards, an integer with `1 <= k <= n`
   * @param n - total shards, an integer with `k <= n <= 256`
   * @throws TypeError when k or n is not a number; RangeError when out of range.
   */
  constructor(k: number, n: number) {
    native.checkShape(k, n)
    this.k = k
    this.n = n
  }

  /**
   * Encodes k equal-length data shards into n shards. Entries `0..k-1` of the result are
   * views of the input shards (not copies); entries `k..n-1` are the parity shards, views into
   * freshly allocated memory.
   *
   * @param shards - exactly k `Uint8Array`s (Buffers included) of equal length
   * @throws TypeError when shards is not an array of k Uint8Arrays of equal length.
   */
  encode(shards: Uint8Array[]): Buffer[] {
    if (!Array.isArray(shards)) throw new TypeError('shards must be an array')
    const { k, n } = this
    const length = shards[0] instanceof Uint8Array ? shards[0].byteLength : 0
    const m = n - k
    const parity = this.#slab.take(m * length)
    this.#encode(shards, length, parity)
    const out = new Array<Buffer>(n)
    for (let i = 0; i < k; i++) out[i] = asBuffer(shards[i]!)
    return splitViews(parity, m, length, out, k)
  }

  /**
   * Writes the n - k parity shards of `data` into `parity`, memory the caller owns and may
   * reuse: the same code as {@link Encoder.encode}, allocating nothing, for a sender that hands
   * each block's parity to the network and then encodes the next block into the same memory.
   *
   * @param data - the k data shards: an array of k `Uint8Array`s of equal length, or one
   *   `Uint8Array` holding them back to back (k x shard bytes)
   * @param parity - n - k `Uint8Array`s of the shard length, or one holding them back to back;
   *   none may overlap another buffer
   * @throws TypeError when either is not of that form, or a parity buffer overlaps another.
   *
   * @example
   * ```ts
   * const parity = Buffer.alloc(4 * 1200)
   * encoder.encodeInto(block, parity) // block: 16 x 1200 bytes, for an Encoder(16, 20)
   * ```
   */
  encodeInto(data: Uint8Array | Uint8Array[], parity: Uint8Array | Uint8Array[]): void {
    if (!(parity instanceof Uint8Array) && !Array.isArray(parity)) throw new TypeError('parity must be a Uint8Array or an array of them')
    if (data instanceof Uint8Array) {
      this.#call(data, parity)
    } else if (Array.isArray(data)) {
      this.#encode(data, data[0] instanceof Uint8Array ? data[0].byteLength : 0, parity)
    } else {
      throw new TypeError('data must be a Uint8Array or an array of them')
    }
  }

  /** Encodes an array of shards: staged into one buffer when they are MTU-sized, else passed
   * one by one after a null `data`; also the path for malformed input, whose errors Rust words. */
  #encode(shards: Uint8Array[], length: number, parity: Uint8Array | Uint8Array[]): void {
    const staged = shards.length === this.k ? this.#staging.stage(shards, length) : undefined
    if (staged !== undefined) this.#call(staged, parity)
    else native.encodeInto(this.k, this.n, null, ...shards, ...(parity instanceof Uint8Array ? [parity] : parity))
  }

  /** The hot path, shards back to back in `data`: a direct call when the parity is one buffer. */
  #call(data: Uint8Array, parity: Uint8Array | Uint8Array[]): void {
    if (parity instanceof Uint8Array) native.encodeInto(this.k, this.n, data, parity)
    else native.encodeInto(this.k, this.n, data, ...parity)
  }
}
