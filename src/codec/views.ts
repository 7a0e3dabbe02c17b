import { Buffer } from 'node:buffer'
/** A Buffer over the same memory as `bytes`, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Splits `slab` into `count` consecutive views of `length` bytes each, written into `into`
 * from index `at` (a new array by default). `Buffer.from(arrayBuffer, offset, length)` makes a
 * view in half the time of `subarray` (about 50 against 100 ns, measured on Node 20). */
export function splitViews(slab: Uint8Array, count: number, length: number, into: Buffer[] = new Array<Buffer>(count), at = 0): Buffer[] {
  const buffer = slab.buffer
  const start = slab.byteOffset
  for (let i = 0; i < count; i++) into[at + i] = Buffer.from(buffer, start + i * length, length)
  return into
}
