import { native } from '../native.js'
import { SlabAllocator } from './slab.js'
import { Staging } from './staging.js'
import { asBuffer, view } from './views.js'

/**
 * Systematic Reed-Solomon decoder, byte-compatible with zfec's `Decoder(k, n)`.
 *
 * @example
 * ```ts
 * const data = new Decoder(4, 16).decode([s15, s1, s9, s12], [15, 1, 9, 12]) // 4 data shards
 * ```
 */
export class Decoder {
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
   * Decodes the k data shards, in order, from any k (or more) distinct shards.
   * Data shards that were given come back as views of the input; the rest are rebuilt.
   *
   * @param shards - at least k `Uint8Array`s of equal length
   * @param indices - `indices[i]` is the shard index (`0..n-1`) of `shards[i]`; no repeats
   * @throws TypeError for arrays of the wrong kind or length; RangeError for an index out of
   *   range or repeated.
   */
  decode(shards: Uint8Array[], indices: number[]): Buffer[] {
    const rebuilt = this.#recover(shards, indices)
    const out = new Array<Buffer>(this.k)
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!
      if (index < this.k) out[index] = asBuffer(shards[i]!)
    }
    const length = shards[0]!.byteLength
    let next = 0
    for (let d = 0; d < this.k; d++) {
      if (out[d] === undefined) out[d] = view(rebuilt, next++ * length, length)
    }
    return out
  }

  /** The missing data shards back to back: staged when the input is well-formed, else the
   * general path, whose errors name what is wrong. */
  #recover(shards: Uint8Array[], indices: number[]): Buffer {
    const { k, n } = this
    if (Array.isArray(shards) && Array.isArray(indices) && shards.length === indices.length && shards.length >= k && shards.length <= n) {
      let missing = k
      let byteIndices = true
      for (const index of indices) {
        if (!Number.isInteger(index) || index < 0 || index > 255) byteIndices = false
        else if (index < k) missing--
      }
      const length = shards[0] instanceof Uint8Array ? shards[0].byteLength : 0
      const staged = byteIndices ? this.#staging.stage(shards, length) : undefined
      if (staged !== undefined) {
        // A repeated index makes `missing` wrong, but Rust refuses the repeat before using it.
        const out = this.#slab.take(Math.max(missing, 0) * length)
        native.recoverStaged(k, n, out, staged, Uint8Array.from(indices), length)
        return out
      }
    }
    return native.recover(k, n, shards, indices)
  }
}
