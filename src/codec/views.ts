import { Buffer } from 'node:buffer'
/** A Buffer over the same memory as `bytes`, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A Buffer over `length` bytes of `bytes` from `offset`, without copying. Made with
 * `Buffer.from(arrayBuffer, offset, length)`, in half the time of `subarray` (about 50 against
 * 100 ns, measured on Node 20): the codec makes one per parity or rebuilt shard. */
export function view(bytes: Uint8Array, offset: number, length: number): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, length)
}

/** Splits `slab` into `count` consecutive views of `length` bytes each, written into `into`
 * from index `at` (a new array by default). */
export function splitViews(slab: Uint8Array, count: number, length: number, into: Buffer[] = new Array<Buffer>(count), at = 0): Buffer[] {
  for (let i = 0; i < count; i++) into[at + i] = view(slab, i * length, length)
  return into
}
