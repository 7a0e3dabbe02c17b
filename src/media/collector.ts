import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

/** One received datagram. */
export interface Arrival {
  data: Buffer;
  /** `performance.now()` when the 'message' event ran. */
  at: number;
}

/** Where a {@link Collector} listens. */
export interface CollectorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (read it from {@link Collector.port}). */
  port?: number;
  /** SO_RCVBUF to ask for, so event-loop pauses don't drop datagrams in the kernel (default 4 MiB). */
  recvBufferBytes?: number;
}

/**
 * A UDP socket that keeps every datagram it receives with its arrival time, in arrival order.
 * Run it in the same process as the {@link replay | replayer} so send and arrival times share one
 * clock; then hand {@link Collector.arrivals} to {@link matchDelivery}.
 */
export class Collector {
  /** Everything received so far, in arrival order. */
  readonly arrivals: Arrival[] = [];
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('message', (data, _from) => {
      this.arrivals.push({ data, at: performance.now() });
      for (const wake of this.waiters) wake();
    });
    // A stray ICMP error must not crash the measurement; datagrams simply stop arriving.
    socket.on('error', () => {});
  }

  /** Binds a collector. */
  static async open(options: CollectorOptions = {}): Promise<Collector> {
    const socket = createSocket('udp4');
    socket.bind(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(socket, 'listening');
    try {
      socket.setRecvBufferSize(options.recvBufferBytes ?? 4 * 1024 * 1024);
    } catch {
      // Best effort: the kernel may cap or refuse it.
    }
    return new Collector(socket);
  }

  /** The bound port. */
  get port(): number {
    return this.socket.address().port;
  }

  /** The bound address. */
  get host(): string {
    return this.socket.address().address;
  }

  /**
   * Resolves true once at least `count` datagrams have arrived, or false after `timeoutMs`.
   */
  waitFor(count: number, timeoutMs: number): Promise<boolean> {
    if (this.arrivals.length >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = (): void => {
        if (this.arrivals.length >= count) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The received bytes back to back, in arrival order: the stream a player would have got. */
  concat(): Buffer {
    return Buffer.concat(this.arrivals.map((a) => a.data));
  }

  /** Stops receiving. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
