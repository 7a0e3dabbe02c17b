import type { Buffer } from 'node:buffer';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TcpCounters } from '../stats.js';
import { FrameLink, WRITE_LIMIT_BYTES } from './link.js';

/** How long a connection attempt may take; a firewall that drops SYNs would otherwise hang it. */
export const CONNECT_TIMEOUT_MS = 3000;

/** Reconnect delays after a lost connection: doubling from the first to the last. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

/** Settings both ends of a TCP path share. */
export interface TcpSettings {
  /** The largest frame body accepted: the socket's largest message. */
  maxFrame: number;
  /** Counters both ends add to (the socket's). */
  counters: TcpCounters;
}

/** What a {@link TcpClient} tells its owner. */
export interface ClientEvents {
  /** A frame from the peer. */
  frame(body: Buffer): void;
  /** The first connection is up: the path works. */
  up(): void;
  /** The first connection could not be made: nothing takes TCP there, or TCP is blocked too. */
  failed(): void;
}

type ClientState = 'first' | 'up' | 'down' | 'closed';

/**
 * The one TCP connection a socket keeps to a peer it fell back for.
 *
 * Reconnect policy: the first attempt decides whether TCP works at all; if it fails (refused,
 * reset, or no answer within {@link CONNECT_TIMEOUT_MS}) the client gives up for good and says
 * so (`failed`), and the peer stays on UDP. Once a connection has worked, the path is known
 * good, so a lost connection is retried without end while the socket is open, after 100 ms,
 * doubling to 5 s between attempts. Frames written meanwhile wait, at most
 * {@link WRITE_LIMIT_BYTES} of them, the oldest dropped (and counted) first: a live stream
 * wants what is recent. What the lost connection held unsent is gone, as datagrams would be.
 */
export class TcpClient {
  readonly #host: string;
  readonly #port: number;
  readonly #settings: TcpSettings;
  readonly #events: ClientEvents;
  #state: ClientState = 'first';
  #link: FrameLink | undefined;
  #retryMs = RETRY_FIRST_MS;
  #retry: NodeJS.Timeout | undefined;
  #waiting: Buffer[] = [];
  #waitingBytes = 0;

  /** Starts connecting to `host` (numeric) and `port` at once. */
  constructor(host: string, port: number, settings: TcpSettings, events: ClientEvents) {
    this.#host = host;
    this.#port = port;
    this.#settings = settings;
    this.#events = events;
    this.#attempt();
  }

  /** Sends one encoded frame now, or once reconnected (see the class's policy). */
  write(frame: Buffer): void {
    if (this.#state === 'up' && this.#link !== undefined) {
      this.#link.write(frame);
      return;
    }
    if (this.#state === 'closed') {
      this.#settings.counters.tcpDropped++;
      return;
    }
    this.#waiting.push(frame);
    this.#waitingBytes += frame.byteLength;
    while (this.#waitingBytes > WRITE_LIMIT_BYTES) {
      this.#waitingBytes -= this.#waiting.shift()!.byteLength;
      this.#settings.counters.tcpDropped++;
    }
  }

  /** Hands over what the connection holds, then closes it; no reconnect follows. */
  close(): void {
    this.#state = 'closed';
    clearTimeout(this.#retry);
    this.#settings.counters.tcpDropped += this.#waiting.length;
    this.#waiting = [];
    this.#link?.end();
  }

  #attempt(): void {
    const socket = connect({ host: this.#host, port: this.#port });
    const failed = (): void => {
      this.#settings.counters.tcpErrors++;
    };
    const ended = (): void => this.#lost();
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error('connect timed out')));
    socket.on('error', failed);
    socket.once('close', ended);
    socket.once('connect', () => {
      socket.setTimeout(0);
      // From here the link counts the connection's errors and reports its end.
      socket.off('error', failed);
      socket.off('close', ended);
      if (this.#state === 'closed') socket.destroy();
      else this.#opened(socket);
    });
  }

  #opened(socket: Socket): void {
    const { counters, maxFrame } = this.#settings;
    counters.tcpConnections++;
    const first = this.#state === 'first';
    this.#state = 'up';
    this.#retryMs = RETRY_FIRST_MS;
    this.#link = new FrameLink(socket, maxFrame, counters, {
      frame: (body) => this.#events.frame(body),
      closed: () => {
        this.#link = undefined;
        this.#lost();
      },
    });
    for (const frame of this.#waiting) this.#link.write(frame);
    this.#waiting = [];
    this.#waitingBytes = 0;
    if (first) this.#events.up();
  }

  /** A connection (or an attempt) ended: give up, or try again later, as the policy says. */
  #lost(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'first') {
      this.#state = 'closed';
      this.#events.failed();
      return;
    }
    this.#state = 'down';
    this.#retry = setTimeout(() => {
      if (this.#state === 'down') this.#attempt();
    }, this.#retryMs).unref();
    this.#retryMs = Math.min(2 * this.#retryMs, RETRY_MAX_MS);
  }
}

/**
 * The listening side: accepts connections from peers that fell back to TCP, at most
 * `maxConnections` at once (Node closes any past that at once; counted as errors).
 */
export class TcpListener {
  readonly #server: Server;
  readonly #counters: TcpCounters;
  #closed = false;

  /** @param onConnection - called with each accepted connection (already counted) */
  constructor(counters: TcpCounters, maxConnections: number, onConnection: (socket: Socket) => void) {
    this.#counters = counters;
    this.#server = createServer((socket) => {
      counters.tcpConnections++;
      onConnection(socket);
    });
    this.#server.maxConnections = maxConnections;
    this.#server.on('drop', () => counters.tcpErrors++);
  }

  /**
   * Listens on `host`:`port`. Never rejects: a port taken (or refused) for TCP is counted in
   * `tcpListenErrors` and the socket carries on with UDP alone.
   * @returns whether it listens
   */
  listen(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const failed = (): void => {
        this.#counters.tcpListenErrors++;
        resolve(false);
      };
      this.#server.once('error', failed);
      this.#server.listen({ host, port, exclusive: true }, () => {
        this.#server.off('error', failed);
        // Closed while the listen was under way: a listening server would outlive its socket.
        if (this.#closed) this.#server.close();
        // Later server errors (rare: accept failures) are counted, never thrown.
        this.#server.on('error', () => this.#counters.tcpErrors++);
        resolve(true);
      });
    });
  }

  /** Stops accepting; connections already accepted are closed by their owner. */
  close(): void {
    this.#closed = true;
    if (this.#server.listening) this.#server.close();
  }
}
