import { native } from '../native.js'
import { asBuffer } from './views.js'

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
    const rebuilt = native.recover(this.k, this.n, shards, indices)
    const out = new Array<Buffer>(this.k)
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!
      if (index < this.k) out[index] = asBuffer(shards[i]!)
    }
    const length = shards[0]!.byteLength
    let next = 0
    for (let d = 0; d < this.k; d++) {
      if (out[d] === undefined) out[d] = rebuilt.subarray(next * length, ++next * length)
    }
    return out
  }
}
