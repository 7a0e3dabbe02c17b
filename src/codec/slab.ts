import { Buffer } from 'node:buffer'
import { view } from './views.js'
/**
 * Size of each slab: several encodes' parity per allocation, yet below malloc's mmap
 * threshold, so a slab the GC has freed is recycled from the heap instead of mapped afresh
 * (fresh pages cost a page fault each on first write, which measured as much as the encode).
 */
const SLAB_BYTES = 64 * 1024

/**
 * Hands out fresh, never-reused regions of large slabs, so the hot path pays one typed-array
 * view per region instead of one ArrayBuffer allocation (which costs microseconds in V8).
 * A slab is freed by the garbage collector once no region of it is referenced.
 */
export class SlabAllocator {
  #slab = Buffer.alloc(0)
  #used = 0

  /** A region of `bytes` bytes, uninitialised, that no other caller will get. */
  take(bytes: number): Buffer {
    if (bytes > SLAB_BYTES / 4) return Buffer.allocUnsafeSlow(bytes)
    if (this.#used + bytes > this.#slab.byteLength) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.#used = 0
    }
    const region = view(this.#slab, this.#used, bytes)
    // Keep regions 8-byte aligned so SIMD loads stay aligned to the slab's start.
    this.#used += (bytes + 7) & ~7
    return region
  }
}
