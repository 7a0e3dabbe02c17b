import { Buffer } from 'node:buffer';

/**
 * Messages on a TCP connection: each is a frame, a u32 big-endian length and then that many
 * bytes. TCP keeps order and loses nothing, so no FEC and no header beyond the length.
 */

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** One message as a frame: the length prefix and the bytes (a string is written as UTF-8). */
export function encodeFrame(message: Uint8Array | string, bytes: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bytes);
  frame.writeUInt32BE(bytes, 0);
  if (typeof message === 'string') frame.write(message, FRAME_HEADER_BYTES, 'utf8');
  else frame.set(message, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Cuts a byte stream into frames as its chunks arrive, however they are split or joined.
 *
 * A length above `maxFrame` marks the stream malformed: the peer is broken or hostile, and
 * reading on would mean holding a frame we would refuse anyway. So at most one frame (plus the
 * chunk in hand) is ever buffered, whatever the peer claims.
 */
export class FrameDecoder {
  readonly #maxFrame: number;
  readonly #onFrame: (frame: Buffer) => void;
  #chunks: Buffer[] = [];
  /** Index of the first chunk not yet used up. */
  #head = 0;
  #buffered = 0;
  /** The body length of the frame being read, or -1 while its length prefix is incomplete. */
  #need = -1;
  #malformed = false;

  /**
   * @param maxFrame - the largest body accepted, bytes
   * @param onFrame - called with each complete frame's body (a view into the received chunk
   *   when it came in one)
   */
  constructor(maxFrame: number, onFrame: (frame: Buffer) => void) {
    this.#maxFrame = maxFrame;
    this.#onFrame = onFrame;
  }

  /** Whether a frame longer than allowed was announced; once true, input is ignored. */
  get malformed(): boolean {
    return this.#malformed;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Takes the next chunk of the stream and hands on every frame it completes.
   * @returns false when the stream is (or was already) malformed: drop the connection
   */
  push(chunk: Buffer): boolean {
    if (this.#malformed) return false;
    if (this.#head > 0) {
      // Used-up chunks go now, so a stream that always ends mid-frame does not pile them up.
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.byteLength;
    }
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < FRAME_HEADER_BYTES) return true;
        const length = this.#take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.#maxFrame) {
          this.#malformed = true;
          this.#chunks = [];
          this.#head = 0;
          this.#buffered = 0;
          return false;
        }
        this.#need = length;
      }
      if (this.#buffered < this.#need) return true;
      const frame = this.#take(this.#need);
      this.#need = -1;
      this.#onFrame(frame);
    }
  }

  /** The next `n` buffered bytes: a view when one chunk holds them, else a copy. */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[this.#head]!;
    let out: Buffer;
    if (first.byteLength >= n) {
      out = first.subarray(0, n);
      this.#consume(first, n);
    } else {
      out = Buffer.allocUnsafe(n);
      for (let filled = 0; filled < n; ) {
        const chunk = this.#chunks[this.#head]!;
        const used = Math.min(chunk.byteLength, n - filled);
        chunk.copy(out, filled, 0, used);
        filled += used;
        this.#consume(chunk, used);
      }
    }
    this.#buffered -= n;
    return out;
  }

  /**
   * Drops `used` bytes off the front of the head chunk. An index rather than shift(), so a
   * peer that trickles a frame in many tiny chunks costs linear time, not quadratic.
   */
  #consume(chunk: Buffer, used: number): void {
    if (used < chunk.byteLength) {
      this.#chunks[this.#head] = chunk.subarray(used);
      return;
    }
    if (++this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    }
  }
}
