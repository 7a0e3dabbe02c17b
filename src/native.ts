/**
 * The native addon, loaded through the loader napi-rs generates: it tries the binary built in
 * this checkout (`native/perfect-socket.<platform>.node`), then the per-platform package npm
 * installed as an optional dependency (`perfect-socket-<platform>`). Everything else imports the
 * addon from here.
 */
import { createRequire } from 'node:module'
import type * as Generated from '../native/binding.cjs'

/** Exports registered by hand in crates/node (raw N-API callbacks the generator cannot see). */
interface HandRegistered {
  /** Writes the `n - k` parity shards into `parity` (one buffer holding them back to back, or
   * one each). `data` holds the k shards back to back, or is null and they come first. */
  encodeInto(k: number, n: number, data: Uint8Array | null, ...rest: Uint8Array[]): void
  /** Writes the data shards missing from `indices` into `out`; the shards (each `length`
   * bytes) back to back in `staging`, their indices as bytes. */
  recoverStaged(k: number, n: number, out: Uint8Array, staging: Uint8Array, indices: Uint8Array, length: number): void
}

const require = createRequire(import.meta.url)

/** The platforms a prebuilt binary is published for, as napi-rs names their packages. */
const PREBUILT = ['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

/** This machine as napi-rs names platforms, e.g. `linux-x64-gnu`. */
export function platformName(): string {
  const { platform, arch } = process
  if (platform === 'win32') return `${platform}-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
  return `${platform}-${arch}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
}

function load(): typeof Generated & HandRegistered {
  try {
    return require('../native/binding.cjs')
  } catch (error) {
    const platform = platformName()
    const why = PREBUILT.includes(platform)
      ? `the package perfect-socket-${platform} is not installed (was it skipped by --omit=optional or --no-optional, or installed on another platform?); reinstall perfect-socket on this machine`
      : `no prebuilt binary exists for ${platform} (published: ${PREBUILT.join(', ')}); build from source with a Rust toolchain: npm run build`
    throw new Error(`perfect-socket: cannot load its native addon for ${platform}: ${why}`, { cause: error })
  }
}

export const native = load()
