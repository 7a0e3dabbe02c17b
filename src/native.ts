/**
 * The native addon, loaded through the loader napi-rs generates (it picks the binary for this
 * platform and libc). Everything else imports the addon from here.
 */
import { createRequire } from 'node:module'
import type * as Generated from '../native/binding.cjs'

/** Exports registered by hand in crates/node (raw N-API callbacks the generator cannot see). */
interface HandRegistered {
  /** Writes the `n - k` parity shards of `shards`, back to back, into `parity`. */
  encodeParity(k: number, n: number, parity: Uint8Array, ...shards: Uint8Array[]): void
  /** As `encodeParity`, with the k shards back to back in `staging`. */
  encodeStaged(k: number, n: number, parity: Uint8Array, staging: Uint8Array): void
  /** Writes the data shards missing from `indices` into `out`; the shards (each `length`
   * bytes) back to back in `staging`, their indices as bytes. */
  recoverStaged(k: number, n: number, out: Uint8Array, staging: Uint8Array, indices: Uint8Array, length: number): void
}

const require = createRequire(import.meta.url)

export const native: typeof Generated & HandRegistered = require('../native/binding.cjs')
