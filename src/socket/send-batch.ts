import { Buffer } from 'node:buffer';

/** Called once a message is handed to the engine (`error` null, `bytes` its length), or failed. */
export type SendCallback = (error: Error | null, bytes: number) => void;

/** The arguments of one `Engine.send` call, and who to tell once it is made. */
export interface PackedBatch {
  slab: Uint8Array;
  lengths: Uint32Array;
  peers: Uint32Array;
  /** Each message's stream; undefined when all went on stream 0. */
  streams: Uint8Array | undefined;
  callbacks: Array<{ cb: SendCallback; bytes: number }>;
}

/** Initial slab size; it doubles as needed and starts the next turn at the last turn's size. */
const INITIAL_SLAB = 16 * 1024;

/**
 * Messages sent during one event-loop turn, packed into a single slab so the engine is called
 * once per turn rather than once per message. Each message is copied in when it is sent, so the
 * caller may reuse its buffer at once (as with node:dgram, where sends are copied out).
 */
export class SendBatch {
  #slab = Buffer.allocUnsafe(INITIAL_SLAB);
  #used = 0;
  #lengths: number[] = [];
  #peers: number[] = [];
  #streams: number[] = [];
  #anyStream = false;
  #callbacks: Array<{ cb: SendCallback; bytes: number }> = [];

  /** Messages waiting. */
  get size(): number {
    return this.#lengths.length;
  }

  /** Copies in a message of `bytes` bytes (a string is written as UTF-8). */
  push(message: Uint8Array | string, bytes: number, peer: number, stream: number, cb: SendCallback | undefined): void {
    if (this.#used + bytes > this.#slab.byteLength) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.#slab.byteLength, this.#used + bytes));
      this.#slab.copy(grown, 0, 0, this.#used);
      this.#slab = grown;
    }
    if (typeof message === 'string') this.#slab.write(message, this.#used, 'utf8');
    else this.#slab.set(message, this.#used);
    this.#used += bytes;
    this.#lengths.push(bytes);
    this.#peers.push(peer);
    this.#streams.push(stream);
    if (stream !== 0) this.#anyStream = true;
    if (cb) this.#callbacks.push({ cb, bytes });
  }

  /** Hands over what is waiting as one slab and starts an empty batch. */
  take(): PackedBatch {
    const packed: PackedBatch = {
      slab: this.#slab.subarray(0, this.#used),
      lengths: Uint32Array.from(this.#lengths),
      peers: Uint32Array.from(this.#peers),
      streams: this.#anyStream ? Uint8Array.from(this.#streams) : undefined,
      callbacks: this.#callbacks,
    };
    // The slab is reused: Engine.send copies it out before returning (see crates/node
    // engine/commands.rs), and a fresh slab per turn cost a page fault per 4 KiB.
    this.#used = 0;
    this.#lengths = [];
    this.#peers = [];
    this.#streams = [];
    this.#anyStream = false;
    this.#callbacks = [];
    return packed;
  }
}
