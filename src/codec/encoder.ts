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
    const staged = m > 0 && shards.length === k ? this.#staging.stage(shards, length) : undefined
    if (staged !== undefined) {
      native.encodeStaged(k, n, parity, staged)
    } else {
      // Also the path for malformed input: Rust names what is wrong with it.
      native.encodeParity(k, n, parity, ...shards)
    }
    const out = new Array<Buffer>(n)
    for (let i = 0; i < k; i++) out[i] = asBuffer(shards[i]!)
    return splitViews(parity, m, length, out, k)
  }
}
