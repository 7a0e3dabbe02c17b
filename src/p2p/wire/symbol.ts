/**
 * Data-plane messages (logical stream 2 of the P2P socket, unreliable): a stripe SYMBOL, or a
 * stripe TICK that keeps a stripe audibly alive while the source is quiet. Both start with the
 * same 13-byte header (big-endian):
 *
 *   0      kind      u8   1 SYMBOL, 2 TICK
 *   1      stripe    u8
 *   2      k         u8   source symbols of the block (0 in a TICK)
 *   3      n         u8   symbols of the block: blockSymbols(k, S) (0 in a TICK)
 *   4      index     u8   this symbol's index, < n, with index % S == stripe (0 in a TICK)
 *   5..8   block     u32  block number (in a TICK: the next block to come)
 *   9..12  sentAt    u32  the coordinator's clock when the block was cut, ms (wraps)
 *   13..   shard     SYMBOL only: the Reed-Solomon shard, >= 2 bytes (a TICK has none)
 *
 * A shard of a source symbol is `[length u16][datagram][zero padding]`; all shards of a block
 * have equal length.
 */

import { blockSymbols } from '../stripe/shape.js';

export const SYMBOL = 1;
export const TICK = 2;
export const SYMBOL_HEADER = 13;
/** Largest shard accepted: a datagram of up to MAX_DATAGRAM bytes plus its length prefix. */
export const MAX_DATAGRAM = 1400;
export const MAX_SHARD = MAX_DATAGRAM + 2;

/** A parsed data-plane header (the shard is `msg.subarray(SYMBOL_HEADER)`). */
export interface SymbolHeader {
  kind: typeof SYMBOL | typeof TICK;
  stripe: number;
  k: number;
  n: number;
  index: number;
  block: number;
  sentAt: number;
}

/** Writes a header into `out` at 0. */
export function writeSymbolHeader(out: Uint8Array, h: SymbolHeader): void {
  out[0] = h.kind;
  out[1] = h.stripe;
  out[2] = h.k;
  out[3] = h.n;
  out[4] = h.index;
  const view = new DataView(out.buffer, out.byteOffset, SYMBOL_HEADER);
  view.setUint32(5, h.block >>> 0);
  view.setUint32(9, h.sentAt >>> 0);
}

/** A TICK message for `stripe`. */
export function encodeTick(stripe: number, nextBlock: number, sentAt: number): Buffer {
  const out = Buffer.alloc(SYMBOL_HEADER);
  writeSymbolHeader(out, { kind: TICK, stripe, k: 0, n: 0, index: 0, block: nextBlock, sentAt });
  return out;
}

/**
 * Parses and checks a data-plane message from the network. Returns undefined for anything
 * malformed: unknown kind, stripe out of `stripes`, impossible k/n/index, a shard too short or
 * too long, a TICK with a body.
 */
export function parseSymbol(msg: Uint8Array, stripes: number): SymbolHeader | undefined {
  if (msg.byteLength < SYMBOL_HEADER) return undefined;
  const kind = msg[0]!;
  const stripe = msg[1]!;
  const k = msg[2]!;
  const n = msg[3]!;
  const index = msg[4]!;
  if (stripe >= stripes) return undefined;
  const view = new DataView(msg.buffer, msg.byteOffset, SYMBOL_HEADER);
  const block = view.getUint32(5);
  const sentAt = view.getUint32(9);
  if (kind === TICK) {
    if (msg.byteLength !== SYMBOL_HEADER || k !== 0 || n !== 0 || index !== 0) return undefined;
    return { kind: TICK, stripe, k, n, index, block, sentAt };
  }
  if (kind !== SYMBOL) return undefined;
  const shard = msg.byteLength - SYMBOL_HEADER;
  if (k < 1 || n !== blockSymbols(k, stripes) || index >= n || index % stripes !== stripe) return undefined;
  if (shard < 2 || shard > MAX_SHARD) return undefined;
  return { kind: SYMBOL, stripe, k, n, index, block, sentAt };
}
