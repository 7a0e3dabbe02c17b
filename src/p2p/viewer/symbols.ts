/**
 * The symbols the viewer carries: the live datagrams cut into Reed-Solomon blocks (k source
 * symbols, then n - k repair symbols made by the first browser that forwards the block over a
 * lossy WebRTC data channel). The same bytes travel over the WebSocket and browser to browser,
 * so every browser rebuilds losses the same way. static/viewer.js parses this format; keep them
 * in step (the spec checks a framed symbol against it).
 *
 * Symbol = 16-byte header, big-endian, then the payload:
 *
 * | offset | size | field                                                            |
 * | ------ | ---- | ---------------------------------------------------------------- |
 * | 0      | 1    | version, 1                                                       |
 * | 1      | 1    | k, source symbols in the block                                   |
 * | 2      | 1    | n, all symbols in the block (n - k repairs)                      |
 * | 3      | 1    | index in the block, 0..n-1 (< k: source)                         |
 * | 4      | 4    | block number (wraps at 2^32)                                     |
 * | 8      | 8    | float64: server wall clock (ms since epoch) when it got the data  |
 *
 * A source symbol's payload is a u16 length and the datagram, not padded; for the code it counts
 * as zero-padded to `2 + maxDatagram` bytes, the length of every repair symbol's payload. A
 * length of 0 is padding that closes a block early when the stream pauses.
 */

/** Header bytes before each symbol's payload. */
export const SYMBOL_HEADER = 16;
/** The format's version byte. */
export const SYMBOL_VERSION = 1;

/** Block shape and limits for {@link BlockFramer}. */
export interface BlockShape {
  /** Source symbols per block (1..255). */
  k: number;
  /** All symbols per block, k..255 (repairs are n - k). */
  n: number;
  /** The longest datagram carried; longer ones are dropped and counted. */
  maxDatagram: number;
}

/**
 * Cuts datagrams into source symbols and numbers them into blocks. It makes no repair symbols:
 * the WebSocket is lossless, so repairs would only add server egress; the first browser that
 * forwards a block over a lossy data channel computes them (static/zfec.js).
 */
export class BlockFramer {
  readonly shape: BlockShape;
  #block = 0;
  #index = 0;
  #dropped = 0;

  constructor(shape: BlockShape) {
    const { k, n, maxDatagram } = shape;
    if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 1 && k <= n && n <= 255)) {
      throw new RangeError(`need integers 1 <= k <= n <= 255, got k=${k} n=${n}`);
    }
    if (!(Number.isInteger(maxDatagram) && maxDatagram >= 1 && maxDatagram <= 65_535)) {
      throw new RangeError(`maxDatagram must be 1..65535, got ${maxDatagram}`);
    }
    this.shape = { k, n, maxDatagram };
  }

  /** Datagrams dropped for being longer than `maxDatagram`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True when a block is partly filled (so {@link pad} would close it). */
  get open(): boolean {
    return this.#index > 0;
  }

  /**
   * Frames one datagram as the next source symbol.
   * @param now - wall clock, ms since epoch (carried so browsers can show the stream's age)
   * @returns the symbol, or undefined when the datagram is too long
   */
  frame(datagram: Uint8Array, now: number): Uint8Array | undefined {
    if (datagram.length > this.shape.maxDatagram) {
      this.#dropped++;
      return undefined;
    }
    return this.#next(datagram, now);
  }

  /** Closes a partly filled block with empty source symbols, so browsers can finish it. */
  pad(now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.#index > 0) out.push(this.#next(new Uint8Array(0), now));
    return out;
  }

  #next(datagram: Uint8Array, now: number): Uint8Array {
    const { k, n } = this.shape;
    const symbol = new Uint8Array(SYMBOL_HEADER + 2 + datagram.length);
    const view = new DataView(symbol.buffer);
    symbol[0] = SYMBOL_VERSION;
    symbol[1] = k;
    symbol[2] = n;
    symbol[3] = this.#index;
    view.setUint32(4, this.#block);
    view.setFloat64(8, now);
    view.setUint16(SYMBOL_HEADER, datagram.length);
    symbol.set(datagram, SYMBOL_HEADER + 2);
    if (++this.#index === k) {
      this.#index = 0;
      this.#block = (this.#block + 1) >>> 0;
    }
    return symbol;
  }
}
