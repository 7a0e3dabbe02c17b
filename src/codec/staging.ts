import { Buffer } from 'node:buffer'

/**
 * Shards up to this size are copied into a staging buffer and cross to Rust as one; larger
 * ones cross one by one, where the copy would cost more than describing them to N-API.
 */
export const STAGE_MAX_SHARD = 4096

/**
 * A reusable buffer that shards are copied into back to back, so they cross the N-API
 * boundary as one typed array: for MTU-sized shards one `TypedArray.set` each (about 70 ns)
 * is cheaper than N-API describing each shard (about 125 ns), measured.
 */
export class Staging {
  #buffer = Buffer.alloc(0)
  /** The last view handed out, over `#buffer`: reused while the staged size stays the same. */
  #view = Buffer.alloc(0)

  /**
   * Copies `shards` back to back; undefined (nothing staged) when a shard is not a Uint8Array
   * of `length` bytes, so the caller takes the general path, whose errors name the problem.
   */
  stage(shards: readonly unknown[], length: number): Buffer | undefined {
    if (length === 0 || length > STAGE_MAX_SHARD) return undefined
    const bytes = shards.length * length
    if (this.#buffer.byteLength < bytes) {
      this.#buffer = Buffer.allocUnsafeSlow(Math.max(bytes, 64 * 1024))
      this.#view = this.#buffer.subarray(0, bytes)
    }
    const buffer = this.#buffer
    for (let i = 0; i < shards.length; i++) {
      const shard = shards[i]
      if (!(shard instanceof Uint8Array) || shard.byteLength !== length) return undefined
      buffer.set(shard, i * length)
    }
    if (this.#view.byteLength !== bytes) this.#view = buffer.subarray(0, bytes)
    return this.#view
  }
}
