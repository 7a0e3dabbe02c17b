import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { Link, type LinkSettings, type LinkStats } from './link.js';
import { randomSeed } from './prng.js';

/** A host (IP literal or name) and port. */
export interface Endpoint {
  host: string;
  port: number;
}

/** How to build a {@link LossyProxy}. */
export interface ProxyOptions {
  /** Where clients send; port 0 picks a free port. */
  listen: Endpoint;
  /** Where datagrams are relayed; a name is resolved once, at {@link LossyProxy.listen}. */
  target: Endpoint;
  /** Impairments client -> target. */
  forward?: LinkSettings;
  /** Impairments target -> client. */
  back?: LinkSettings;
  /** PRNG seed (default: random; read it back from {@link LossyProxy.seed}). */
  seed?: number;
  /** A client mapping with no traffic either way for this long is closed (default 60 000 ms). */
  idleTimeoutMs?: number;
  /** At most this many client mappings; the least recently active is evicted (default 1024). */
  maxClients?: number;
  /** SO_RCVBUF/SO_SNDBUF to ask for (the kernel may cap it; default 4 MiB). */
  socketBufferBytes?: number;
}

/** Counters for both directions and the client table. */
export interface ProxyStats {
  /** client -> target */
  forward: LinkStats;
  /** target -> client */
  back: LinkStats;
  /** Client mappings open now. */
  clients: number;
  /** Client mappings ever opened. */
  clientsOpened: number;
  clientsExpired: number;
  clientsEvicted: number;
  /** Datagrams reaching an upstream socket from somewhere other than the target, dropped. */
  foreign: number;
  /** Asynchronous socket errors seen (the proxy keeps running). */
  socketErrors: number;
}

interface Client {
  address: string;
  port: number;
  upstream: Socket;
  lastSeen: number;
  closed: boolean;
}

/** The bound address of the listening socket. */
export interface BoundAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

async function resolve(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const { address, family } = await lookup(host);
  return { address, family: family === 6 ? 6 : 4 };
}

function positive(value: number | undefined, name: string, fallback: number): number {
  const v = value ?? fallback;
  if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  return v;
}

/**
 * A UDP relay that impairs traffic. Each client (source address and port) gets its own upstream
 * socket, so the target sees distinct peers and its replies find their way back to the right
 * client. Both directions share one {@link Link} each, like a shared bottleneck.
 *
 * Nothing that arrives from the network can throw into the event loop or grow memory without
 * bound: the client table and the links are capped, and socket errors are counted.
 */
export class LossyProxy {
  /** The PRNG seed in use. */
  readonly seed: number;
  private readonly forward: Link<Client>;
  private readonly back: Link<Client>;
  private readonly clients = new Map<string, Client>();
  private readonly idleTimeoutMs: number;
  private readonly maxClients: number;
  private readonly bufferBytes: number;
  private socket: Socket | undefined;
  private targetAddress = '';
  private targetPort = 0;
  private targetFamily: 4 | 6 = 4;
  private sweeper: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private counts = { clientsOpened: 0, clientsExpired: 0, clientsEvicted: 0, foreign: 0, socketErrors: 0 };

  /**
   * @throws RangeError when an impairment or limit is out of range
   */
  constructor(private readonly options: ProxyOptions) {
    this.seed = (options.seed ?? randomSeed()) >>> 0;
    this.idleTimeoutMs = positive(options.idleTimeoutMs, 'idleTimeoutMs', 60_000);
    this.maxClients = Math.floor(positive(options.maxClients, 'maxClients', 1024));
    this.bufferBytes = positive(options.socketBufferBytes, 'socketBufferBytes', 4 * 1024 * 1024);
    this.forward = new Link(options.forward ?? {}, this.sendUpstream, { seed: this.seed, stream: 0 });
    this.back = new Link(options.back ?? {}, this.sendToClient, { seed: this.seed, stream: 1 });
  }

  /**
   * Resolves the endpoints and binds the listening socket.
   * @returns the bound address (useful with port 0)
   */
  async listen(): Promise<BoundAddress> {
    if (this.socket) throw new Error('listen() was already called');
    const [local, target] = await Promise.all([
      resolve(this.options.listen.host),
      resolve(this.options.target.host),
    ]);
    this.targetAddress = target.address;
    this.targetPort = this.options.target.port;
    this.targetFamily = target.family;
    const socket = createSocket({ type: local.family === 6 ? 'udp6' : 'udp4' });
    this.socket = socket;
    try {
      await new Promise<void>((resolveBind, reject) => {
        socket.once('error', reject);
        socket.bind(this.options.listen.port, local.address, () => {
          socket.off('error', reject);
          resolveBind();
        });
      });
    } catch (err) {
      socket.close();
      this.socket = undefined;
      throw err;
    }
    socket.on('error', () => this.counts.socketErrors++);
    socket.on('message', this.onClientMessage);
    this.tuneBuffers(socket);
    const sweepEvery = Math.min(Math.max(this.idleTimeoutMs / 4, 10), 5000);
    this.sweeper = setInterval(this.sweep, sweepEvery);
    this.sweeper.unref();
    const a = socket.address();
    return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
  }

  /** A snapshot of the counters. */
  stats(): ProxyStats {
    return { forward: this.forward.stats(), back: this.back.stats(), clients: this.clients.size, ...this.counts };
  }

  /** Closes every socket and discards packets still in flight. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((done) => {
      if (this.sweeper) clearInterval(this.sweeper);
      this.forward.close();
      this.back.close();
      for (const client of this.clients.values()) this.closeClient(client);
      this.clients.clear();
      const socket = this.socket;
      if (!socket) return done();
      try {
        socket.close(() => done());
      } catch {
        done();
      }
    });
    return this.closing;
  }

  private tuneBuffers(socket: Socket): void {
    // A deep receive buffer absorbs bursts while the event loop is busy; the kernel caps it.
    try {
      socket.setRecvBufferSize(this.bufferBytes);
      socket.setSendBufferSize(this.bufferBytes);
    } catch {
      // Best effort: the defaults still work, just with more kernel drops under load.
    }
  }

  private readonly onClientMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const key = `${rinfo.address}|${rinfo.port}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      if (this.closing) return;
      client = this.openClient(key, rinfo);
    }
    client.lastSeen = performance.now();
    this.forward.push(msg, client);
  };

  private openClient(key: string, rinfo: RemoteInfo): Client {
    if (this.clients.size >= this.maxClients) this.evictOldest();
    const upstream = createSocket({ type: this.targetFamily === 6 ? 'udp6' : 'udp4' });
    const client: Client = { address: rinfo.address, port: rinfo.port, upstream, lastSeen: 0, closed: false };
    upstream.on('error', () => this.counts.socketErrors++);
    upstream.on('message', (msg, from) => {
      // The upstream port is reachable by anyone; only the target may speak through it.
      if (from.port !== this.targetPort || from.address !== this.targetAddress) {
        this.counts.foreign++;
        return;
      }
      client.lastSeen = performance.now();
      this.back.push(msg, client);
    });
    // Sends issued before the bind completes are queued by dgram.
    upstream.bind(0, () => this.tuneBuffers(upstream));
    this.clients.set(key, client);
    this.counts.clientsOpened++;
    return client;
  }

  private closeClient(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    try {
      client.upstream.close();
    } catch {
      // Already closed by an error path; nothing left to release.
    }
  }

  private evictOldest(): void {
    let oldestKey: string | undefined;
    let oldest = Infinity;
    for (const [key, c] of this.clients) {
      if (c.lastSeen < oldest) {
        oldest = c.lastSeen;
        oldestKey = key;
      }
    }
    if (oldestKey === undefined) return;
    this.closeClient(this.clients.get(oldestKey)!);
    this.clients.delete(oldestKey);
    this.counts.clientsEvicted++;
  }

  private readonly sweep = (): void => {
    const cutoff = performance.now() - this.idleTimeoutMs;
    for (const [key, c] of this.clients) {
      if (c.lastSeen < cutoff) {
        this.closeClient(c);
        this.clients.delete(key);
        this.counts.clientsExpired++;
      }
    }
  };

  private readonly onForwardSent = (err: Error | null): void => {
    if (err) this.forward.counters.sendErrors++;
  };

  private readonly onBackSent = (err: Error | null): void => {
    if (err) this.back.counters.sendErrors++;
  };

  private readonly sendUpstream = (data: Buffer, client: Client): void => {
    if (client.closed) {
      this.forward.counters.sendErrors++;
      return;
    }
    client.upstream.send(data, this.targetPort, this.targetAddress, this.onForwardSent);
  };

  private readonly sendToClient = (data: Buffer, client: Client): void => {
    if (!this.socket || this.closing) return;
    this.socket.send(data, client.port, client.address, this.onBackSent);
  };
}
