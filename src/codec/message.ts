import { native } from '../native.js'
import { splitViews } from './views.js'

/**
 * Seed 000's framing: pads `data` with zero bytes to a multiple of k, splits it into k
 * fragments and encodes them into n (what the seed sends, one fragment per datagram).
 *
 * @param data - the message, at most 65535 bytes (the seed header's 16-bit length)
 * @returns n fragments of `ceil(data.length / k)` bytes each
 */
export function encodeMessage(data: Uint8Array, k: number, n: number): Buffer[] {
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array')
  const joined = native.encodeMessageJoined(data, k, n)
  const length = Math.ceil(data.byteLength / k)
  return splitViews(joined, n, length)
}

/**
 * Inverse of {@link encodeMessage}: decodes any k fragments, joins them and strips the
 * padding.
 *
 * @param shards - at least k fragments of equal length
 * @param indices - the fragment index of each of `shards`
 * @param origLen - the message length before padding
 */
export function decodeMessage(shards: Uint8Array[], indices: number[], k: number, n: number, origLen: number): Buffer {
  return native.decodeMessage(shards, indices, k, n, origLen)
}
