import { Buffer } from 'node:buffer'
import { native } from '../native.js'
import { SlabAllocator } from './slab.js'
import { asBuffer, splitViews } from './views.js'

/**
 * Shards up to this size are copied into a staging buffer and cross to Rust as one; larger
 * ones cross one by one, where the copy would cost more than describing them to N-API.
 */
const STAGE_MAX_SHARD = 4096

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
  #staging = Buffer.alloc(0)

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
    if (m > 0 && length <= STAGE_MAX_SHARD && this.#stage(shards, length)) {
      native.encodeStaged(k, n, parity, this.#staging)
    } else {
      // Also the path for malformed input: Rust names what is wrong with it.
      native.encodeParity(k, n, parity, ...shards)
    }
    const out = new Array<Buffer>(k)
    for (let i = 0; i < k; i++) out[i] = asBuffer(shards[i]!)
    return out.concat(splitViews(parity, m, length))
  }

  /** Copies well-formed shards back to back into the staging buffer; false if malformed. */
  #stage(shards: Uint8Array[], length: number): boolean {
    if (shards.length !== this.k) return false
    if (this.#staging.byteLength < this.k * length) this.#staging = Buffer.allocUnsafeSlow(this.k * STAGE_MAX_SHARD)
    for (let i = 0; i < shards.length; i++) {
      const shard = shards[i]
      if (!(shard instanceof Uint8Array) || shard.byteLength !== length) return false
      this.#staging.set(shard, i * length)
    }
    return true
  }
}
