import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { native } from '../native.js';
import { view } from '../codec/views.js';
import { engineClass, type DeliveryBatch, type Engine, type EngineConstructor, type EngineStats } from './engine-contract.js';
import { alreadyBound, messageTooLarge, notRunning, systemError, type SocketError } from './errors.js';
import { MessageQueue, type Delivery } from './message-queue.js';
import { resolveOptions, type ResolvedOptions, type SocketOptions } from './options.js';
import { Destinations, Senders, toPeerAddress, type PeerAddress, type RemoteInfo } from './peers.js';
import { HostResolver } from './resolve.js';
import { SendBatch, type SendCallback } from './send-batch.js';
import { mergeStats, zeroTcpCounters, type LocalCounters, type SocketStats } from './stats.js';
import { PeerRoutes } from './tcp/routes.js';
import { resolveStream, sameStream, type StreamOptions } from './streams.js';
import { integerIn, invalidType, invalidValue } from './validate.js';

/** Stream 0: what `socket.send` uses. */
const DEFAULT_STREAM = 0;

/** A handle for sending on one logical stream; see {@link PerfectSocket.stream}. */
export interface SocketStream {
  readonly id: number;
  /** As {@link PerfectSocket.send}, on this stream. */
  send(msg: Message, port: number, address?: string | SendCallback, cb?: SendCallback): void;
}

/** The events of a {@link PerfectSocket}, as in node:dgram. */
export interface SocketEvents {
  /** The socket is bound (after `bind`, or the first `send`). */
  listening: [];
  /** One delivered message; `msg` is a view into the batch it came in. */
  message: [msg: Buffer, rinfo: RemoteInfo];
  /** A socket failure: a bind that failed, or a send that failed and had no callback. */
  error: [err: SocketError];
  /** The socket is closed; no events follow. */
  close: [];
  /** A peer went silent for `idleTimeout` ms and was forgotten (a later datagram starts afresh). */
  timeout: [peer: PeerAddress];
  /**
   * The bandwidth estimate towards a peer moved (with `adaptiveRate`; smoothed, so an encoder
   * can follow it): bits per second the path carries, repairs and headers included; aim the
   * encoder at about `bitsPerSecond / (1 + redundancy)` and below.
   */
  bandwidth: [estimate: PeerAddress & { bitsPerSecond: number }];
}

/** What a {@link PerfectSocket} may be sent: bytes, or a string sent as UTF-8. */
export type Message = Uint8Array | string;

type State = 'unbound' | 'binding' | 'bound' | 'closed';

/** The engine, the destination ids it handed out (which only it understands), and the TCP side. */
interface Native {
  engine: Engine;
  destinations: Destinations;
  /** Which peers go over TCP; undefined with the TCP fallback off. */
  routes: PeerRoutes | undefined;
}

/**
 * Rethrows a user callback's exception on the next tick: it still surfaces as an uncaught
 * exception, but neither unwinds into the native caller nor stops the callbacks after it.
 */
function rethrowLater(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}

/**
 * A UDP socket whose datagrams are protected by Reed-Solomon FEC, with node:dgram's shape:
 * `bind`, `send(msg, port, address, cb)`, `'message'` events with rinfo, `address`, `close`;
 * plus an async iterator of messages and {@link PerfectSocket.stats}.
 *
 * The protocol runs on a native I/O thread. JavaScript crosses into it once per event-loop
 * turn, not once per message: sends made during a turn are packed into one slab and handed over
 * together at its end, and received messages arrive in batches that are split into events here.
 * Anything that arrives off the network is checked natively and counted in `stats()` if bad;
 * it never surfaces as an exception. `'error'` is emitted only for socket failures (a bind that
 * failed, a send that failed without a callback).
 *
 * Where UDP is blocked, the same API runs over TCP: see the `tcpFallback` option.
 */
export class PerfectSocket extends EventEmitter<SocketEvents> {
  readonly #options: ResolvedOptions;
  readonly #Engine: EngineConstructor;
  readonly #resolver: HostResolver;
  readonly #senders = new Senders();
  readonly #queues = new Set<MessageQueue>();
  readonly #local: LocalCounters = { sendCalls: 0, iteratorDropped: 0 };
  readonly #tcp = zeroTcpCounters();
  /** Engine destination ids whose UDP path the TCP fallback has settled on for good. */
  readonly #udpSettled = new Set<number>();
  #state: State = 'unbound';
  #native: Native | undefined;
  #bound: PeerAddress | undefined;
  #batch = new SendBatch();
  #flushScheduled = false;
  #finalStats: EngineStats | undefined;
  /** The largest message the format carries; larger ones fail with EMSGSIZE, as in dgram. */
  readonly #maxPayload: number;

  /**
   * @throws TypeError or RangeError for invalid options (see {@link SocketOptions})
   * @throws Error when the native addon has no engine
   */
  constructor(options: SocketOptions | SocketOptions['type']) {
    super();
    this.#options = resolveOptions(options);
    this.#Engine = engineClass();
    this.#maxPayload = native.maxPayload(this.#options.engine);
    this.#resolver = new HostResolver(this.#options.type === 'udp6' ? 6 : 4);
  }

  /**
   * Binds the socket; `'listening'` follows (and `cb`, which is added as its listener). A
   * failure (e.g. EADDRINUSE) is emitted as `'error'` with the code set. With `tcpFallback`,
   * `'listening'` waits until TCP listens too at the same address and port (or failed to,
   * which is counted and not an error).
   *
   * @param port - 0 (the default) picks a free port
   * @param address - numeric or a name; default all addresses (0.0.0.0, or :: for udp6)
   * @throws Error (ERR_SOCKET_ALREADY_BOUND) if bound or binding; ERR_SOCKET_DGRAM_NOT_RUNNING
   *   if closed; TypeError or RangeError for bad arguments
   */
  bind(port?: number | (() => void), address?: string | (() => void), cb?: () => void): this {
    if (typeof port === 'function') [port, address, cb] = [undefined, undefined, port];
    if (typeof address === 'function') [address, cb] = [undefined, address];
    if (this.#state === 'closed') throw notRunning('bind');
    if (this.#state !== 'unbound') throw alreadyBound();
    const p = port === undefined ? 0 : integerIn(port, 'port', 0, 65_535);
    if (address !== undefined && typeof address !== 'string') throw invalidType('address', 'a string', address);
    if (cb !== undefined && typeof cb !== 'function') throw invalidType('callback', 'a function', cb);
    const host = this.#resolver.resolve(address ?? (this.#options.type === 'udp6' ? '::' : '0.0.0.0'));
    const engine = new this.#Engine(this.#options.engine, this.#onBatch);
    this.#native = { engine, destinations: new Destinations(), routes: this.#routesFor(engine) };
    this.#state = 'binding';
    if (cb) this.once('listening', cb);
    if (typeof host === 'string') this.#open(host, p);
    else host.then((h) => this.#open(h, p), (err: unknown) => this.#bindFailed(systemError(err, 'getaddrinfo')));
    return this;
  }

  /** The bound address. @throws Error (ERR_SOCKET_DGRAM_NOT_RUNNING) unless bound */
  address(): PeerAddress {
    if (this.#state !== 'bound' || this.#bound === undefined) throw notRunning('address');
    return { ...this.#bound };
  }

  /**
   * Queues `msg` for `address`:`port`. Messages sent in one event-loop turn reach the engine
   * together at its end; `cb` is called then (with the byte count), or with the error. An
   * unbound socket is bound first, to a free port. A name is looked up once and remembered.
   * A message too large for the format is refused by the engine and counted in `stats().refused`.
   *
   * @param address - default localhost (127.0.0.1, or ::1 for udp6)
   * @throws Error (ERR_SOCKET_DGRAM_NOT_RUNNING) if closed; TypeError or RangeError for bad arguments
   */
  send(msg: Message, port: number, address?: string | SendCallback, cb?: SendCallback): void {
    this.#send(DEFAULT_STREAM, msg, port, address, cb);
  }

  /**
   * A handle to send on logical stream `id` (v1; see {@link StreamOptions}). Before the socket
   * is bound, `options` declares the stream (or redeclares one given in `streams`); after, the
   * stream must already be declared, with the same options if any are given. Messages on it
   * arrive with `rinfo.stream` set to `id`. Over a TCP fallback every stream is carried
   * reliably and in order.
   *
   * @example
   * const control = s.stream(1, { reliable: true, priority: 0 })
   * const video = s.stream(3, { priority: 2, maxDelay: 100 })
   * video.send(packet, 5405, 'receiver.example')
   * @throws TypeError or RangeError for a bad id or options, or a stream declared differently
   */
  stream(id: number, options?: StreamOptions): SocketStream {
    if (this.#options.engine.format === 'seed') throw invalidValue('stream', "used with compat 'v1' (the seed format has one stream)", id);
    const declared = resolveStream(id, options, 'stream');
    const streams = (this.#options.engine.streams ??= []);
    const existing = streams.find((s) => s.id === declared.id);
    if (this.#state === 'unbound') {
      if (existing === undefined) streams.push(declared);
      else if (options !== undefined) Object.assign(existing, { reliable: undefined, priority: undefined, maxDelayMs: undefined }, declared);
    } else if (declared.id !== DEFAULT_STREAM && (existing === undefined || (options !== undefined && !sameStream(existing, declared)))) {
      throw invalidValue('stream', `declared before bind (in the streams option or by stream(${declared.id}, options))`, id);
    }
    const send = (msg: Message, port: number, address?: string | SendCallback, cb?: SendCallback): void =>
      this.#send(declared.id, msg, port, address, cb);
    return { id: declared.id, send };
  }

  #send(stream: number, msg: Message, port: number, address?: string | SendCallback, cb?: SendCallback): void {
    if (typeof address === 'function') [address, cb] = [undefined, address];
    if (this.#state === 'closed') throw notRunning('send');
    if (typeof msg !== 'string' && !(msg instanceof Uint8Array)) {
      throw invalidType('msg', 'a Buffer, Uint8Array or string', msg);
    }
    integerIn(port, 'port', 1, 65_535);
    if (address !== undefined && typeof address !== 'string') throw invalidType('address', 'a string', address);
    if (cb !== undefined && typeof cb !== 'function') throw invalidType('callback', 'a function', cb);
    const host = this.#resolver.resolve(address ?? (this.#options.type === 'udp6' ? '::1' : '127.0.0.1'));
    if (this.#state === 'unbound') this.bind();
    const bytes = typeof msg === 'string' ? Buffer.byteLength(msg) : msg.byteLength;
    if (bytes > this.#maxPayload) {
      this.#sendFailed(messageTooLarge(bytes, this.#maxPayload), cb);
      return;
    }
    if (typeof host === 'string') this.#enqueue(stream, msg, bytes, host, port, cb);
    else host.then((h) => this.#enqueue(stream, msg, bytes, h, port, cb), (err: unknown) => this.#sendFailed(systemError(err, 'getaddrinfo'), cb));
  }

  /**
   * Hands over what is queued, stops the I/O thread and closes the socket; `'close'` follows
   * (and `cb`, added as its listener). Async iterators end after what they hold.
   * @throws Error (ERR_SOCKET_DGRAM_NOT_RUNNING) if already closed
   */
  close(cb?: () => void): this {
    if (this.#state === 'closed') throw notRunning('close');
    if (cb !== undefined && typeof cb !== 'function') throw invalidType('callback', 'a function', cb);
    if (cb) this.once('close', cb);
    if (this.#state === 'bound') this.#flush();
    this.#state = 'closed';
    if (this.#native) {
      this.#native.routes?.close();
      // After close: the I/O thread has stopped and published its last counters.
      this.#native.engine.close();
      this.#finalStats = this.#native.engine.stats();
      this.#native = undefined;
    }
    this.#failWaiting(notRunning('send'));
    for (const queue of this.#queues) queue.end();
    process.nextTick(() => this.emit('close'));
    return this;
  }

  /**
   * The socket's receive buffer size in bytes, as the kernel reports it (Linux doubles what it
   * grants; see the `socketBufferBytes` option), as `dgram.Socket.getRecvBufferSize()`. A
   * receiver that falls behind for a moment drops what does not fit
   * (`stats().receiveBufferDrops`).
   * @throws Error (ERR_SOCKET_DGRAM_NOT_RUNNING) if the socket is not bound
   */
  getRecvBufferSize(): number {
    return this.#bufferSizes('getRecvBufferSize').receive;
  }

  /**
   * The socket's send buffer size in bytes, as the kernel reports it, as
   * `dgram.Socket.getSendBufferSize()`.
   * @throws Error (ERR_SOCKET_DGRAM_NOT_RUNNING) if the socket is not bound
   */
  getSendBufferSize(): number {
    return this.#bufferSizes('getSendBufferSize').send;
  }

  #bufferSizes(what: string): { receive: number; send: number } {
    if (this.#state !== 'bound' || this.#native === undefined) throw notRunning(what);
    return this.#native.engine.bufferSizes();
  }

  /**
   * Messages sent and not yet taken by the I/O thread: this turn's batch and what waits in the
   * engine's queue, as `dgram.Socket.getSendQueueCount()`. Cheap enough to read every turn, so
   * a fast sender can keep its backlog bounded (memory, and latency) without polling `stats()`.
   */
  getSendQueueCount(): number {
    return this.#batch.size + (this.#native?.engine.unsent() ?? 0);
  }

  /** Counters of the protocol, the I/O thread and this object (see {@link SocketStats}). */
  stats(): SocketStats {
    return mergeStats(this.#native?.engine.stats() ?? this.#finalStats, this.#local, this.#tcp);
  }

  /**
   * Received messages as `{ msg, rinfo }`, from now until the socket closes. Each iterator holds
   * at most `iteratorBuffer` messages (option, default 4096) for a slow consumer; past that new
   * ones are dropped for it and counted in `stats().iteratorDropped`.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Delivery> {
    const queue = new MessageQueue(
      this.#options.iteratorBuffer,
      () => this.#local.iteratorDropped++,
      (q) => this.#queues.delete(q),
    );
    if (this.#state === 'closed') queue.end();
    else this.#queues.add(queue);
    return queue;
  }

  #open(host: string, port: number): void {
    const native = this.#native;
    if (this.#state !== 'binding' || native === undefined) return; // closed while looking up
    try {
      this.#bound = toPeerAddress(native.engine.bind(host, port));
    } catch (err) {
      this.#bindFailed(systemError(err, 'bind'));
      return;
    }
    this.#state = 'bound';
    if (this.#batch.size > 0) this.#scheduleFlush();
    const tcp = native.routes?.listen(this.#bound.address, this.#bound.port) ?? Promise.resolve();
    void tcp.then(() =>
      process.nextTick(() => {
        // TCP listens asynchronously, so a close() may have come first: no 'listening' after 'close'.
        if (this.#state !== 'closed') this.emit('listening');
      }),
    );
  }

  #routesFor(engine: Engine): PeerRoutes | undefined {
    const tcp = this.#options.tcp;
    if (tcp === undefined) return undefined;
    return new PeerRoutes(
      { ...tcp, maxFrame: this.#maxPayload, counters: this.#tcp, family: this.#options.type === 'udp6' ? 'IPv6' : 'IPv4' },
      { deliver: this.#deliver, datagramsReceived: () => engine.stats().datagramsReceived ?? 0 },
    );
  }

  #bindFailed(err: SocketError): void {
    if (this.#state !== 'binding') return;
    // A failed bind leaves the engine unusable; a later bind starts a fresh one, with its own ids.
    this.#udpSettled.clear();
    this.#native?.routes?.close();
    this.#native?.engine.close();
    this.#native = undefined;
    this.#state = 'unbound';
    this.#failWaiting(err);
    process.nextTick(() => this.emit('error', err));
  }

  #enqueue(stream: number, msg: Message, bytes: number, host: string, port: number, cb: SendCallback | undefined): void {
    const native = this.#native;
    if (native === undefined) {
      this.#sendFailed(this.#state === 'closed' ? notRunning('send') : notRunning('send (bind failed)'), cb);
      return;
    }
    // Checked first: a peer on TCP needs no engine destination (the engine has a bounded number).
    if (native.routes?.sendOverTcp(msg, bytes, host, port)) {
      if (cb) process.nextTick(() => cb(null, bytes));
      return;
    }
    let peer: number;
    try {
      peer = native.destinations.id(native.engine, host, port);
    } catch (err) {
      this.#sendFailed(err as SocketError, cb);
      return;
    }
    // Once a destination is settled on UDP its messages skip the routes (a set lookup by the
    // engine's numeric id, rather than two by address and port on every message).
    if (native.routes !== undefined && !this.#udpSettled.has(peer) && native.routes.sentOverUdp(msg, bytes, host, port)) {
      this.#udpSettled.add(peer);
    }
    this.#batch.push(msg, bytes, peer, stream, cb);
    this.#scheduleFlush();
  }

  #sendFailed(err: SocketError, cb: SendCallback | undefined): void {
    if (cb) process.nextTick(() => cb(err, 0));
    else process.nextTick(() => this.emit('error', err));
  }

  /** Fails the sends waiting for a bind that will not come (the bind's own error is emitted apart). */
  #failWaiting(err: SocketError): void {
    if (this.#batch.size === 0) return;
    for (const { cb } of this.#batch.take().callbacks) process.nextTick(() => cb(err, 0));
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#state !== 'bound') return;
    this.#flushScheduled = true;
    setImmediate(this.#flush);
  }

  /** One engine call for everything sent this turn. */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const native = this.#native;
    if (this.#state !== 'bound' || native === undefined || this.#batch.size === 0) return;
    const { slab, lengths, peers, streams, callbacks } = this.#batch.take();
    this.#local.sendCalls++;
    let error: SocketError | null = null;
    try {
      if (streams === undefined) native.engine.send(slab, lengths, peers);
      else native.engine.send(slab, lengths, peers, streams);
    } catch (err) {
      error = systemError(err, 'send');
    }
    for (const { cb, bytes } of callbacks) {
      try {
        cb(error, error ? 0 : bytes);
      } catch (err) {
        rethrowLater(err);
      }
    }
    if (error && callbacks.length < lengths.length) this.emit('error', error);
  };

  /** Called by the engine, on this thread, with each batch of delivered messages. */
  readonly #onBatch = (batch: DeliveryBatch): void => {
    if (this.#state === 'closed') return;
    this.#senders.learn(batch.newPeers);
    this.#peerEvents(batch);
    if (this.#queues.size === 0 && this.listenerCount('message') === 0) return; // nobody to tell
    const { slab, lengths, peers } = batch;
    // Streams show in rinfo only on sockets that declared some, so plain sockets keep dgram's shape.
    const streams = this.#options.engine.streams?.length ? batch.streams : undefined;
    const unknown: PeerAddress = { address: '', family: this.#options.type === 'udp6' ? 'IPv6' : 'IPv4', port: 0 };
    let offset = 0;
    // A batch mostly comes from one sender: look its address up once per run of its messages.
    let fromId = -1;
    let from = unknown;
    // A listener may close the socket mid-batch: re-read the state (TS would narrow it away).
    for (let i = 0; i < lengths.length && (this.#state as State) !== 'closed'; i++) {
      const size = lengths[i]!;
      const msg = view(slab, offset, size);
      offset += size;
      if (peers[i] !== fromId) {
        fromId = peers[i]!;
        from = this.#senders.get(fromId) ?? unknown;
      }
      const rinfo: RemoteInfo = { address: from.address, family: from.family, port: from.port, size };
      if (streams !== undefined) rinfo.stream = streams[i]!;
      this.#deliver(msg, rinfo);
    }
  };

  /** Peers that timed out and bandwidth estimates that moved, as events. */
  #peerEvents(batch: DeliveryBatch): void {
    const family = (f: string): 'IPv4' | 'IPv6' => (f === 'IPv6' ? 'IPv6' : 'IPv4');
    for (const peer of batch.timedOut ?? []) {
      this.#emitSafely('timeout', { address: peer.address, family: family(peer.family), port: peer.port });
    }
    for (const change of batch.bandwidth ?? []) {
      this.#emitSafely('bandwidth', { address: change.address, family: family(change.family), port: change.port, bitsPerSecond: change.bitsPerSecond });
    }
  }

  #emitSafely<E extends 'timeout' | 'bandwidth'>(event: E, ...args: SocketEvents[E]): void {
    try {
      (this.emit as (e: E, ...a: SocketEvents[E]) => boolean)(event, ...args);
    } catch (err) {
      rethrowLater(err);
    }
  }

  /** One message to the listeners and iterators, whether it came over UDP or TCP. */
  readonly #deliver = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.#state === 'closed') return;
    try {
      this.emit('message', msg, rinfo);
    } catch (err) {
      rethrowLater(err);
    }
    for (const queue of this.#queues) queue.push({ msg, rinfo });
  };
}

/**
 * Creates a {@link PerfectSocket}, like node:dgram's `createSocket`.
 * @example
 * const s = createSocket({ type: 'udp4', redundancy: 0.25, latency: 120 })
 * s.on('message', (msg, rinfo) => console.log(rinfo.address, msg.length))
 * s.bind(5000)
 */
export function createSocket(options: SocketOptions | SocketOptions['type']): PerfectSocket {
  return new PerfectSocket(options);
}
