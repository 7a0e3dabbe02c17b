import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { TcpCounters } from '../stats.js';
import { FrameDecoder } from './framing.js';

/**
 * Bytes a connection may hold unsent in user space. A TCP stream that cannot keep up with a
 * live source would otherwise queue without bound; past this, frames are dropped and counted,
 * as a full UDP socket buffer drops datagrams.
 */
export const WRITE_LIMIT_BYTES = 4 * 1024 * 1024;

/** How long a closing connection may take to hand over what it holds before it is cut. */
const CLOSE_GRACE_MS = 2000;

/** What a {@link FrameLink} reports to its owner. */
export interface LinkEvents {
  /** One frame's body arrived. */
  frame(body: Buffer): void;
  /** The connection is gone (closed by either side, failed, or cut for malformed input). */
  closed(): void;
}

/**
 * One TCP connection carrying frames both ways. Nothing it reads throws: a malformed stream is
 * counted and the connection dropped, an error counted and the connection closed.
 */
export class FrameLink {
  readonly #socket: Socket;
  readonly #counters: TcpCounters;
  #corked = false;
  #gone = false;

  constructor(socket: Socket, maxFrame: number, counters: TcpCounters, events: LinkEvents) {
    this.#socket = socket;
    this.#counters = counters;
    // Frames are whole messages of a live stream: send each at once rather than wait to fill a
    // segment (writes of one event-loop turn are still joined, see write()).
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const decoder = new FrameDecoder(maxFrame, (body) => {
      counters.tcpFramesReceived++;
      events.frame(body);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.#gone || decoder.push(chunk)) return;
      counters.tcpMalformed++;
      this.destroy();
    });
    socket.on('error', () => counters.tcpErrors++);
    socket.once('close', () => {
      this.#gone = true;
      events.closed();
    });
  }

  /** Whether the connection is closed or closing: writes are dropped. */
  get gone(): boolean {
    return this.#gone;
  }

  /**
   * Writes one encoded frame. Writes made in one event-loop turn go to the kernel together.
   * @returns false when the frame was dropped (connection gone, or too much already waiting)
   */
  write(frame: Buffer): boolean {
    const socket = this.#socket;
    if (this.#gone || socket.writableLength + frame.byteLength > WRITE_LIMIT_BYTES) {
      this.#counters.tcpDropped++;
      return false;
    }
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    socket.write(frame);
    this.#counters.tcpFramesSent++;
    return true;
  }

  /** Hands over what is written, then closes; cut after a grace period if the peer stalls. */
  end(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Closes at once, dropping what is unsent. */
  destroy(): void {
    this.#gone = true;
    this.#socket.destroy();
  }
}
