import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PeerMap } from '../peer-map.js';
import type { PeerAddress, RemoteInfo } from '../peers.js';
import { FallbackDecision } from './fallback.js';
import { encodeFrame } from './framing.js';
import { FrameLink } from './link.js';
import { Replay, ReplayBudget } from './replay.js';
import { TcpClient, TcpListener, type TcpSettings } from './transport.js';

/** What the routes need from their socket. */
export interface RouteHost {
  /** Hands a message that came over TCP to the application, as a datagram's would be. */
  deliver(msg: Buffer, rinfo: RemoteInfo): void;
  /** Datagrams the socket has read so far, from anyone (the engine's socket-wide counter). */
  datagramsReceived(): number;
}

/** How the routes of one socket behave. */
export interface RouteSettings extends TcpSettings {
  /** ms of sending to a peer without hearing anything before UDP counts as blocked. */
  fallbackAfter: number;
  /** TCP connections accepted at once, at most. */
  maxConnections: number;
  /** The socket's address family, for the rinfo of messages from peers reached over TCP. */
  family: PeerAddress['family'];
  /** The clock, ms. Injected so a test can run the decision on a virtual clock. */
  now?: () => number;
}

/** Something that takes encoded frames: an accepted connection or a client of ours. */
interface FrameSink {
  write(frame: Buffer): unknown;
}

/** A peer whose UDP path is on trial: what it was sent meanwhile is kept for a replay. */
interface Trial {
  host: string;
  port: number;
  replay: Replay;
  decision: FallbackDecision;
  /** The connection being tried once the decision said 'tcp'. */
  client?: TcpClient;
}

/**
 * Which way each peer's messages go: over UDP (the engine), or over a TCP connection, either
 * one the peer opened to us (it fell back) or one we opened after UDP to it stayed silent.
 *
 * The UDP path to a new destination is on trial from its first message: the decision is heard
 * (UDP works) or times out after `fallbackAfter` (see {@link FallbackDecision}). Until it is
 * settled, messages still go over UDP, and a copy of each is kept; if UDP turns out blocked,
 * the copies go first over the new TCP connection, so the peer misses nothing that was sent
 * during the trial. If only the replies were blocked, the peer gets those messages twice.
 *
 * Evidence is socket-wide: the engine counts datagrams received per socket, not per peer, and
 * its control packets (feedback, pings) never reach JavaScript. So any datagram arriving during
 * a trial settles every open trial as 'udp'. Exact for a socket that sends to one peer at a time;
 * a socket that also hears from other peers will not fall back for a silent one.
 */
export class PeerRoutes {
  readonly #settings: RouteSettings;
  readonly #host: RouteHost;
  readonly #now: () => number;
  readonly #budget = new ReplayBudget();
  readonly #accepted = new PeerMap<FrameLink>();
  readonly #tcp = new PeerMap<TcpClient>();
  readonly #trials = new PeerMap<Trial>();
  /** Trials that said 'tcp' and wait for their first connection; still on UDP meanwhile. */
  readonly #connecting = new PeerMap<Trial>();
  /** Destinations UDP reaches; bounded as the socket's destinations are (the engine caps them). */
  readonly #udp = new PeerMap<true>();
  #listener: TcpListener | undefined;
  #timer: NodeJS.Timeout | undefined;
  #received = 0;
  #closed = false;

  constructor(settings: RouteSettings, host: RouteHost) {
    this.#settings = settings;
    this.#host = host;
    this.#now = settings.now ?? (() => performance.now());
  }

  /** Accepts TCP on `host`:`port` (the UDP socket's address). Never rejects; see {@link TcpListener.listen}. */
  listen(host: string, port: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    const { counters, maxConnections } = this.#settings;
    this.#listener = new TcpListener(counters, maxConnections, (socket) => this.#accept(socket));
    return this.#listener.listen(host, port);
  }

  /**
   * Sends one message for `host` (numeric) and `port` over TCP, if that peer is reached so.
   * @returns true when it went over TCP; false when the caller sends it over UDP (and then
   *   reports it with {@link sentOverUdp})
   */
  sendOverTcp(message: Uint8Array | string, bytes: number, host: string, port: number): boolean {
    if (this.#accepted.size === 0 && this.#tcp.size === 0) return false;
    const sink: FrameSink | undefined = this.#accepted.get(host, port) ?? this.#tcp.get(host, port);
    sink?.write(encodeFrame(message, bytes));
    return sink !== undefined;
  }

  /**
   * Notes a message that went over UDP: the first to a destination opens its trial, and while
   * the trial is open a copy is kept. Called only for destinations the engine accepted, so
   * what is tracked here is bounded by its destination table.
   * @returns true once the destination is settled on UDP for good: the caller need not report
   *   its messages any more (the decision is never revisited)
   */
  sentOverUdp(message: Uint8Array | string, bytes: number, host: string, port: number): boolean {
    if (this.#closed) return false;
    if (this.#udp.get(host, port)) return true;
    const trial = this.#trials.get(host, port) ?? this.#connecting.get(host, port) ?? this.#startTrial(host, port);
    trial.replay.keep(message, bytes);
    return false;
  }

  /**
   * Moves the open trials on: heard, timed out, or still waiting. Runs on a timer while any
   * trial is open; public so that a test can drive it with a virtual clock.
   */
  poll(): void {
    const now = this.#now();
    const received = this.#host.datagramsReceived();
    const heard = received > this.#received;
    this.#received = received;
    for (const trial of this.#trials.values()) {
      if (heard) trial.decision.heard(now);
      const verdict = trial.decision.poll(now);
      if (verdict === 'pending') continue;
      this.#trials.delete(trial.host, trial.port);
      if (verdict === 'udp') this.#settleUdp(trial);
      else this.#fallBack(trial);
    }
    if (this.#trials.size === 0) this.#stopTimer();
  }

  /** Closes every TCP connection (handing over what they hold) and the listener; ends the trials. */
  close(): void {
    this.#closed = true;
    this.#stopTimer();
    this.#listener?.close();
    for (const link of this.#accepted.values()) link.end();
    for (const client of this.#tcp.values()) client.close();
    for (const trial of [...this.#trials.values(), ...this.#connecting.values()]) {
      trial.client?.close();
      trial.replay.clear();
    }
    this.#accepted.clear();
    this.#tcp.clear();
    this.#trials.clear();
    this.#connecting.clear();
    this.#settings.counters.fallbackPending = 0;
  }

  #startTrial(host: string, port: number): Trial {
    const decision = new FallbackDecision(this.#settings.fallbackAfter);
    decision.start(this.#now());
    const trial: Trial = { host, port, decision, replay: new Replay(this.#budget) };
    this.#trials.set(host, port, trial);
    this.#settings.counters.fallbackPending++;
    if (this.#timer === undefined) {
      // Only what arrives from now on is evidence.
      this.#received = this.#host.datagramsReceived();
      const every = Math.max(1, Math.min(100, this.#settings.fallbackAfter / 4));
      this.#timer = setInterval(() => this.poll(), every).unref();
    }
    return trial;
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #settleUdp(trial: Trial): void {
    trial.replay.clear();
    this.#udp.set(trial.host, trial.port, true);
    this.#settings.counters.fallbackPending--;
  }

  /** UDP stayed silent: open a TCP connection; UDP carries on until it is up (or fails). */
  #fallBack(trial: Trial): void {
    const { counters } = this.#settings;
    const { host, port } = trial;
    counters.fallbacks++;
    this.#connecting.set(host, port, trial);
    const client = new TcpClient(host, port, this.#settings, {
      frame: (body) => this.#host.deliver(body, this.#rinfo(trial, body)),
      up: () => {
        this.#connecting.delete(host, port);
        for (const frame of trial.replay.take(counters)) client.write(frame);
        this.#tcp.set(host, port, client);
        counters.fallbackPending--;
      },
      failed: () => {
        // Nothing takes TCP there (a peer with TCP off, or TCP blocked too): stay on UDP.
        this.#connecting.delete(host, port);
        this.#settleUdp(trial);
      },
    });
    trial.client = client;
  }

  #rinfo(trial: Trial, body: Buffer): RemoteInfo {
    return { address: trial.host, family: this.#settings.family, port: trial.port, size: body.byteLength };
  }

  /** A peer that fell back to us: its frames are messages from it, our replies go back on it. */
  #accept(socket: Socket): void {
    const { remoteAddress: address, remotePort: port, remoteFamily } = socket;
    if (this.#closed || address === undefined || port === undefined) {
      socket.destroy();
      return;
    }
    const family = remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4';
    const link = new FrameLink(socket, this.#settings.maxFrame, this.#settings.counters, {
      frame: (body) => this.#host.deliver(body, { address, family, port, size: body.byteLength }),
      closed: () => {
        if (this.#accepted.get(address, port) === link) this.#accepted.delete(address, port);
      },
    });
    this.#accepted.set(address, port, link);
  }
}
