import { Buffer } from 'node:buffer'
/** A Buffer over the same memory as `bytes`, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Splits `slab` into `count` consecutive views of `length` bytes each, written into `into`
 * from index `at` (a new array by default). */
export function splitViews(slab: Buffer, count: number, length: number, into: Buffer[] = new Array<Buffer>(count), at = 0): Buffer[] {
  for (let i = 0; i < count; i++) into[at + i] = slab.subarray(i * length, (i + 1) * length)
  return into
}
