import { performance } from 'node:perf_hooks';
import { createLossModel, type LossModel } from './loss-model.js';
import { createRng, type Rng } from './prng.js';
import { ReleaseQueue } from './release-queue.js';

/** Impairments for one direction. Omitted fields mean "no impairment". */
export interface LinkSettings {
  /** Loss probability in [0, 1]. */
  loss?: number;
  /** Mean loss-burst length in packets; when set, loss follows the Gilbert-Elliott model. */
  burst?: number;
  /** Fixed one-way delay, ms. */
  delayMs?: number;
  /** Delay varies uniformly within +-jitterMs; packet order is kept (see {@link Link}). */
  jitterMs?: number;
  /** Probability in [0, 1] that a packet is held back until the next one has passed it. */
  reorder?: number;
  /** Probability in [0, 1] that a packet is delivered twice. */
  duplicate?: number;
  /** Bottleneck rate in bits per second (UDP payload bytes); 0 or undefined = unlimited. */
  rateBps?: number;
  /** Bottleneck queue limit, as ms of backlog at `rateBps`; arrivals beyond it are dropped. */
  queueMs?: number;
}

/** Per-direction counters. */
export interface LinkCounters {
  /** Datagrams that entered this direction. */
  received: number;
  receivedBytes: number;
  /** Datagrams handed to the socket, duplicates included. */
  forwarded: number;
  forwardedBytes: number;
  droppedLoss: number;
  /** Tail drops: bottleneck queue full, or the in-flight memory cap reached. */
  droppedQueue: number;
  /** Extra copies made. */
  duplicated: number;
  /** Packets actually overtaken by a later one. */
  reordered: number;
  /** Sends the socket refused. */
  sendErrors: number;
}

/** Counters plus the packets currently waiting for release. */
export interface LinkStats extends LinkCounters {
  inFlight: number;
}

/** Tuning that is not an impairment. */
export interface LinkOptions {
  /** PRNG seed; the same seed and traffic give the same decisions. */
  seed?: number;
  /** Distinguishes the PRNG streams of links sharing a seed (e.g. the two directions). */
  stream?: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Memory bound on waiting packets (default 65536). */
  maxInFlightPackets?: number;
  /** Memory bound on waiting bytes (default 64 MiB). */
  maxInFlightBytes?: number;
  /** How long a reorder-selected packet waits for a successor before going out anyway (default 50 ms). */
  reorderHoldMs?: number;
}

const LIVE = 0;
const STALE = 1;
const DONE = 2;

interface Pending<T> {
  time: number;
  seq: number;
  data: Buffer;
  to: T;
  copies: number;
  state: number;
  reordered: boolean;
}

/** Releases up to this early so sub-millisecond gaps (rate pacing) don't each cost a 1 ms timer. */
const EARLY_MS = 0.25;

function probability(value: number | undefined, name: string): number {
  const p = value ?? 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${value}`);
  return p;
}

function nonNegative(value: number | undefined, name: string, fallback = 0): number {
  const v = value ?? fallback;
  if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return v;
}

function zeroCounters(): LinkCounters {
  return {
    received: 0,
    receivedBytes: 0,
    forwarded: 0,
    forwardedBytes: 0,
    droppedLoss: 0,
    droppedQueue: 0,
    duplicated: 0,
    reordered: 0,
    sendErrors: 0,
  };
}

/**
 * One direction of an impaired network path. Packets pass a rate-limited bottleneck with a bounded
 * queue (tail drop), then a lossy, delaying wire; loss comes after the queue because a packet lost
 * on the wire has still used the bottleneck's capacity.
 *
 * Jitter keeps order: a packet never leaves before the one ahead of it, as on a real path where
 * delay varies by queueing. Reordering is separate and explicit: a chosen packet is held until
 * the next packet has gone out, then follows it, so `reorder` means "arrives after its successor"
 * whatever the packet rate.
 *
 * All waiting packets sit in one heap ordered by release time and drained by a single timer.
 * `sink` is called to send; `T` is whatever the sink needs to address the packet.
 */
export class Link<T> {
  /** Live counters; read them via {@link Link.stats} for a snapshot. */
  readonly counters: LinkCounters = zeroCounters();

  private readonly loss: LossModel;
  private readonly jitterRng: Rng;
  private readonly reorderRng: Rng;
  private readonly duplicateRng: Rng;
  private readonly delayMs: number;
  private readonly jitterMs: number;
  private readonly reorderP: number;
  private readonly duplicateP: number;
  private readonly bytesPerMs: number;
  private readonly queueMs: number;
  private readonly holdMs: number;
  private readonly maxPackets: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  private readonly queue = new ReleaseQueue<Pending<T>>();
  private held: Pending<T>[] = [];
  private seq = 0;
  private lastRelease = -Infinity;
  private bottleneckFreeAt = -Infinity;
  private inFlightPackets = 0;
  private inFlightBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  /**
   * @param settings - the impairments; see {@link LinkSettings}
   * @param sink - sends one datagram; must not throw (exceptions are counted as send errors)
   * @param options - seed, clock and memory bounds
   * @throws RangeError naming the setting that is out of range
   */
  constructor(
    settings: LinkSettings,
    private readonly sink: (data: Buffer, to: T) => void,
    options: LinkOptions = {},
  ) {
    const seed = options.seed ?? 0;
    const stream = (options.stream ?? 0) * 8;
    this.loss = createLossModel(probability(settings.loss, 'loss'), settings.burst, createRng(seed, stream));
    this.jitterRng = createRng(seed, stream + 1);
    this.reorderRng = createRng(seed, stream + 2);
    this.duplicateRng = createRng(seed, stream + 3);
    this.delayMs = nonNegative(settings.delayMs, 'delayMs');
    this.jitterMs = nonNegative(settings.jitterMs, 'jitterMs');
    this.reorderP = probability(settings.reorder, 'reorder');
    this.duplicateP = probability(settings.duplicate, 'duplicate');
    this.bytesPerMs = nonNegative(settings.rateBps, 'rateBps') / 8000;
    this.queueMs = nonNegative(settings.queueMs, 'queueMs', 100);
    this.holdMs = nonNegative(options.reorderHoldMs, 'reorderHoldMs', 50);
    this.maxPackets = nonNegative(options.maxInFlightPackets, 'maxInFlightPackets', 65536);
    this.maxBytes = nonNegative(options.maxInFlightBytes, 'maxInFlightBytes', 64 * 1024 * 1024);
    this.now = options.now ?? (() => performance.now());
  }

  /** A copy of the counters, with the number of packets still waiting. */
  stats(): LinkStats {
    return { ...this.counters, inFlight: this.inFlightPackets };
  }

  /** Takes one datagram into this direction. Never throws. */
  push(data: Buffer, to: T): void {
    if (this.closed) return;
    const c = this.counters;
    const size = data.length;
    c.received++;
    c.receivedBytes += size;
    if (this.inFlightPackets >= this.maxPackets || this.inFlightBytes + size > this.maxBytes) {
      c.droppedQueue++;
      return;
    }
    const now = this.now();
    let departure = now;
    if (this.bytesPerMs > 0) {
      // Serialisation queue: admit while the backlog is within the limit, so an empty queue
      // always takes at least one packet however large.
      const start = Math.max(now, this.bottleneckFreeAt);
      if (start - now > this.queueMs) {
        c.droppedQueue++;
        return;
      }
      departure = this.bottleneckFreeAt = start + size / this.bytesPerMs;
    }
    if (this.loss.drop()) {
      c.droppedLoss++;
      return;
    }
    let time = departure + this.delayMs;
    if (this.jitterMs > 0) time = Math.max(departure, time + (2 * this.jitterRng() - 1) * this.jitterMs);
    let copies = 1;
    if (this.duplicateP > 0 && this.duplicateRng() < this.duplicateP) {
      copies = 2;
      c.duplicated++;
    }
    if (this.reorderP > 0 && this.reorderRng() < this.reorderP) {
      // Held back: goes out after its successor, or after holdMs if none comes. It does not
      // move lastRelease, so the successor is not made to wait behind it.
      const entry = this.enqueue(Math.max(time, this.lastRelease) + this.holdMs, data, to, copies);
      this.held.push(entry);
      this.arm();
      return;
    }
    time = Math.max(time, this.lastRelease);
    this.lastRelease = time;
    if (this.queue.size === 0 && time <= now) {
      this.emit(data, to, copies);
      return;
    }
    this.enqueue(time, data, to, copies);
    if (this.held.length > 0) this.releaseHeldAfter(time);
    this.arm();
  }

  /** Stops the timer and discards waiting packets. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.queue.clear();
    this.held = [];
    this.inFlightPackets = 0;
    this.inFlightBytes = 0;
  }

  private enqueue(time: number, data: Buffer, to: T, copies: number): Pending<T> {
    const entry: Pending<T> = { time, seq: ++this.seq, data, to, copies, state: LIVE, reordered: false };
    this.queue.push(entry);
    this.inFlightPackets++;
    this.inFlightBytes += data.length;
    return entry;
  }

  /** Moves held packets to just behind the packet released at `time`. */
  private releaseHeldAfter(time: number): void {
    for (const h of this.held) {
      if (h.state !== LIVE) continue;
      // The heap cannot re-key in place; retire the old entry and queue a replacement.
      h.state = STALE;
      const moved: Pending<T> = { ...h, time, seq: ++this.seq, state: LIVE, reordered: true };
      this.queue.push(moved);
    }
    this.held = [];
  }

  private emit(data: Buffer, to: T, copies: number): void {
    const c = this.counters;
    for (let i = 0; i < copies; i++) {
      c.forwarded++;
      c.forwardedBytes += data.length;
      try {
        this.sink(data, to);
      } catch {
        c.sendErrors++;
      }
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.drain();
  };

  private drain(): void {
    const limit = this.now() + EARLY_MS;
    for (let e = this.queue.peek(); e !== undefined && e.time <= limit; e = this.queue.peek()) {
      this.queue.pop();
      if (e.state !== LIVE) continue;
      e.state = DONE;
      this.inFlightPackets--;
      this.inFlightBytes -= e.data.length;
      if (e.reordered) this.counters.reordered++;
      this.emit(e.data, e.to, e.copies);
    }
    if (this.held.length > 0 && this.held.every((h) => h.state !== LIVE)) this.held = [];
    this.arm();
  }

  /** Makes sure the timer fires by the earliest live release time. */
  private arm(): void {
    let top = this.queue.peek();
    while (top !== undefined && top.state !== LIVE) {
      this.queue.pop();
      top = this.queue.peek();
    }
    if (top === undefined || this.closed || top.time >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = top.time;
    const wait = Math.max(0, Math.ceil(top.time - this.now()));
    this.timer = setTimeout(this.onTimer, wait);
    // The sockets keep the process alive; a pending release alone should not.
    this.timer.unref();
  }
}
