import { Buffer } from 'node:buffer'
/** A Buffer over the same memory as `bytes`, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Splits `slab` into `count` consecutive views of `length` bytes each. */
export function splitViews(slab: Buffer, count: number, length: number): Buffer[] {
  const views = new Array<Buffer>(count)
  for (let i = 0; i < count; i++) views[i] = slab.subarray(i * length, (i + 1) * length)
  return views
}
