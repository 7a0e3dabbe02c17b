import { createSocket as createDgram, type Socket as DgramSocket } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import type { PerfectSocket, SocketStream } from '../socket/socket.js';
import type { RemoteInfo } from '../socket/peers.js';
import type { SocketStats } from '../socket/stats.js';
import { lookupHost } from '../socket/resolve.js';
import { ClockMap, localNow } from './clock.js';
import { Fanout } from './fanout.js';
import { CONTROL_STREAM, createLinkSocket, DATA_STREAM, REPORT_STREAM } from './link.js';
import { Upstreams } from './parents.js';
import { resolvePeerOptions, type PeerOptions, type ResolvedPeerOptions } from './peer-options.js';
import { StripeAssembler, type AssemblerCounters } from './stripe/assembler.js';
import { SymbolCache } from './stripe/cache.js';
import { seqDiff } from './stripe/seq.js';
import { encodeControl, formatAddr, P2P_VERSION, parseControl, REJOIN, splitAddr, type Control, type NodeRef, type Placed } from './wire/control.js';
import { encodeTick, parseSymbol, TICK } from './wire/symbol.js';

export type { PeerOptions } from './peer-options.js';

/** One parent switch, as the peer saw it. */
export interface SwitchRecord {
  stripe: number;
  reason: 'silent' | 'starved' | 'refused' | 'bye';
  from: string | null;
  to: string | null;
  /** ms from the old parent's last message to the switch decision. */
  silentMs: number;
  /** ms from the old parent's last message to the first message from the new one (undefined until then). */
  gapMs: number | undefined;
}

/** Counters of a {@link Peer}. */
export interface PeerStats {
  id: string;
  homeStripe: number;
  /** Parent id per stripe ("root" for the coordinator), null while orphaned. */
  parents: (string | null)[];
  children: number;
  /** Stripe copies this peer may serve. */
  slots: number;
  assembler: AssemblerCounters;
  symbolsForwarded: number;
  bytesForwarded: number;
  /** Backfills sent to children that switched to this peer, and the symbols they carried. */
  backfills: number;
  backfilledSymbols: number;
  /** Datagrams written to the output, and sends that failed. */
  datagramsOut: number;
  outputErrors: number;
  /** Messages off the network that failed their checks (dropped). */
  malformedControl: number;
  malformedData: number;
  /** Well-formed messages from a node that had no business sending them (dropped). */
  unsolicited: number;
  switches: SwitchRecord[];
  moves: number;
  /** Times the coordinator had lost track of this peer and it joined again. */
  rejoins: number;
  socket: SocketStats;
}

/** The events of a {@link Peer}. */
export interface PeerEvents {
  /** A parent was given up (silent, refused, said bye) and a backup taken (or none was left). */
  switch: [record: SwitchRecord];
  /** The coordinator moved a stripe to a new parent. */
  move: [stripe: number, parent: string];
  /** A stream datagram, as it goes out to `to` (in order, once): what a browser viewer is fed. */
  datagram: [datagram: Buffer];
}

/** A running peer; see {@link startPeer}. */
export interface Peer extends EventEmitter<PeerEvents> {
  /** The id the coordinator gave it. */
  readonly id: string;
  /** The peer's socket address (what its children send to). */
  readonly address: { address: string; port: number };
  stats(): PeerStats;
  /**
   * Stops the peer. Graceful (the default): tells the coordinator (LEAVE) and its neighbours
   * (BYE) so children switch at once. `{ graceful: false }` vanishes without a word, as a crash
   * would (what the coordinator's and children's failure detection is for).
   */
  close(options?: { graceful?: boolean }): Promise<void>;
}

const GRACE_MS = 1000;
const REFRESH_MS = 400;
const CHILD_EXPIRY_MS = 1300;
const TICK_MS = 20;
/** Blocks are given up this long before the latency budget ends, to leave time for the output hop. */
const DEADLINE_MARGIN_MS = 15;
const MAX_SWITCH_LOG = 256;
const REFUSAL_RETRIES = 2;
/** A parent that sends only ticks this long, while other stripes flow, is given up too. */
const STARVE_MS = 1500;
/** Recent symbols kept per stripe for backfills (about 2 s of a stripe at 2 Mbit/s). */
const CACHE_PER_STRIPE = 128;
const STRIPE_TICK_MS = 100;
/** A timer this much later than due means the event loop was stalled (a busy machine). */
const STALL_MS = 40;
const LEAVE_WAIT_MS = 300;
const REFUSAL_RETRY_MS = 100;

class PeerNode extends EventEmitter<PeerEvents> implements Peer {
  readonly #o: ResolvedPeerOptions;
  readonly #socket: PerfectSocket;
  readonly #control: SocketStream;
  readonly #reports: SocketStream;
  readonly #clock = new ClockMap();
  #coordinatorAddr = '';
  #coordinator = { host: '', port: 0 };
  #output: DgramSocket | undefined;
  #placed: Placed | undefined;
  #upstreams: Upstreams | undefined;
  #fanout: Fanout | undefined;
  #assembler: StripeAssembler | undefined;
  #cache: SymbolCache | undefined;
  /** Per stripe, the newest block a symbol of it came for (where a backfill starts). */
  readonly #lastBlockOn: (number | undefined)[] = [];
  #leaving = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #waiter: ((msg: Control) => boolean) | undefined;
  readonly #counters = { datagramsOut: 0, outputErrors: 0, malformedControl: 0, malformedData: 0, unsolicited: 0, moves: 0 };
  readonly #switches: SwitchRecord[] = [];
  #lastForwarded: number[] = [];
  /** Per stripe, how often the current parent refused us in a row. */
  readonly #refusals = new Map<number, number>();
  /** Per stripe, the switch waiting for its first message from the new parent. */
  readonly #pendingGap = new Map<number, { record: SwitchRecord; lastHeard: number }>();
  #lastRefresh = 0;
  #lastTickAt = 0;
  #lastRejoin = -Infinity;
  #rejoins = 0;
  #rttMs = 0;
  #lastReport = 0;
  #lastOrphanReport = 0;
  #reported = { blocks: 0, lost: 0, symbols: 0, expected: 0, bytesIn: 0, bytesOut: 0, at: 0 };

  constructor(options: ResolvedPeerOptions) {
    super();
    this.#o = options;
    this.#socket = createLinkSocket(options.link);
    this.#control = this.#socket.stream(CONTROL_STREAM);
    this.#reports = this.#socket.stream(REPORT_STREAM);
    this.#socket.on('message', this.#onMessage);
    this.#socket.on('error', () => {});
  }

  get id(): string {
    return this.#placed?.id ?? '';
  }

  get address(): { address: string; port: number } {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  async start(): Promise<void> {
    const { address } = await lookupHost(this.#o.coordinator.host);
    this.#coordinator = { host: address, port: this.#o.coordinator.port };
    this.#coordinatorAddr = formatAddr(address, this.#o.coordinator.port);
    const output = createDgram('udp4');
    output.on('error', () => this.#counters.outputErrors++);
    output.connect(this.#o.to.port, this.#o.to.host);
    await once(output, 'connect');
    this.#output = output;
    this.#socket.bind(this.#o.bind.port, this.#o.bind.host);
    await Promise.race([once(this.#socket, 'listening'), once(this.#socket, 'error').then(([e]) => Promise.reject(e as Error))]);
    const end = localNow() + this.#o.joinTimeoutMs;
    // 1. The round trip and the clock offset (the placement weighs RTT).
    let rttMs = -1;
    while (rttMs < 0) {
      if (localNow() >= end || this.#closed) throw new Error(`no answer from the coordinator at ${this.#coordinatorAddr} within ${this.#o.joinTimeoutMs} ms`);
      const sent = localNow();
      this.#sendControl(this.#coordinator, { t: 'ping', at: sent });
      const pong = await this.#await((m) => m.t === 'pong' && m.at === sent, Math.min(500, end - localNow()));
      if (pong?.t === 'pong') rttMs = this.#clock.measure(sent, localNow(), pong.now);
    }
    this.#rttMs = rttMs;
    // 2. The join: one round trip.
    this.#sendControl(this.#coordinator, { t: 'join', v: P2P_VERSION, ...this.#o.budget, rttMs });
    const answer = await this.#await((m) => m.t === 'placed' || m.t === 'refused', Math.max(1, end - localNow()));
    if (answer === undefined) throw new Error(`the coordinator at ${this.#coordinatorAddr} did not place this peer within ${this.#o.joinTimeoutMs} ms`);
    if (answer.t === 'refused') throw new Error(`the coordinator refused the join: ${answer.reason}`);
    this.#onPlaced(answer as Placed);
  }

  #onPlaced(p: Placed): void {
    const now = localNow();
    this.#placed = p;
    this.#upstreams = new Upstreams(p.stripes, this.#o.silenceMs);
    this.#fanout = new Fanout(p.stripes, p.slots, this.#socket.stream(DATA_STREAM));
    this.#lastForwarded = new Array<number>(p.stripes).fill(now);
    this.#assembler = new StripeAssembler({ maxBlocks: 1024 }, this.#emitDatagram);
    this.#cache = new SymbolCache(p.stripes, CACHE_PER_STRIPE);
    for (const a of p.parents) {
      if (a.parent === null) {
        this.#upstreams.stripes[a.stripe]!.backups = a.backups;
        continue;
      }
      this.#upstreams.assign(a.stripe, a.parent, a.backups, now, GRACE_MS);
      this.#subscribe(a.stripe, a.parent);
    }
    this.#lastRefresh = now;
    this.#lastTickAt = now;
    this.#lastReport = now;
    this.#reported.at = now;
    this.#timer = setInterval(this.#onTick, TICK_MS);
  }

  #await(match: (msg: Control) => boolean, ms: number): Promise<Control | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve(undefined);
      }, ms);
      this.#waiter = (msg) => {
        if (!match(msg)) return false;
        clearTimeout(timer);
        this.#waiter = undefined;
        resolve(msg);
        return true;
      };
    });
  }

  #resolve = (ref: NodeRef): string => (ref.addr === '' ? this.#coordinatorAddr : ref.addr);

  #target(ref: NodeRef): { host: string; port: number } {
    return ref.addr === '' ? this.#coordinator : splitAddr(ref.addr);
  }

  #sendControl(to: { host: string; port: number }, msg: Control): void {
    if (this.#closed) return;
    this.#control.send(encodeControl(msg), to.port, to.host);
  }

  #sendReport(msg: Control): void {
    if (!this.#closed) this.#reports.send(encodeControl(msg), this.#coordinator.port, this.#coordinator.host);
  }

  /**
   * SUBSCRIBE; after a switch or move (`backfill`) it asks for what this stripe missed: from the
   * newest block it had on this stripe, not from what this peer still needs itself (it may have
   * decoded a block without the stripe, while a child below it, short of another stripe too,
   * cannot).
   */
  #subscribe(stripe: number, parent: NodeRef, backfill = false): void {
    const from = backfill ? (this.#lastBlockOn[stripe] ?? this.#assembler?.nextBlock) : undefined;
    this.#sendControl(this.#target(parent), from === undefined ? { t: 'sub', stripe, id: this.id } : { t: 'sub', stripe, id: this.id, from });
  }

  readonly #emitDatagram = (d: Buffer): void => {
    this.#counters.datagramsOut++;
    this.#output?.send(d);
    this.emit('datagram', d);
  };

  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.#closed) return;
    if (rinfo.stream === DATA_STREAM) this.#onData(msg, rinfo);
    else if (rinfo.stream === CONTROL_STREAM || rinfo.stream === REPORT_STREAM) {
      const control = parseControl(msg);
      if (control === undefined) this.#counters.malformedControl++;
      // The unreliable stream carries only a second copy of BYE (a lost one must not wait for a resend).
      else if (rinfo.stream === REPORT_STREAM && control.t !== 'bye') this.#counters.unsolicited++;
      else this.#onControl(control, rinfo);
    } else this.#counters.malformedData++;
  };

  #onData(msg: Buffer, rinfo: RemoteInfo): void {
    const placed = this.#placed;
    if (placed === undefined) return void this.#counters.unsolicited++;
    const h = parseSymbol(msg, placed.stripes);
    if (h === undefined) return void this.#counters.malformedData++;
    const now = localNow();
    const from = formatAddr(rinfo.address, rinfo.port);
    const up = this.#upstreams!;
    if (!up.accepts(h.stripe, from, now, this.#resolve)) return void this.#counters.unsolicited++;
    const s = up.stripes[h.stripe]!;
    const current = s.parent !== null && this.#resolve(s.parent) === from;
    if (current) {
      up.heard(h.stripe, now, h.kind !== TICK);
      this.#refusals.delete(h.stripe);
      const pending = this.#pendingGap.get(h.stripe);
      if (pending !== undefined) {
        pending.record.gapMs = now - pending.lastHeard;
        this.#pendingGap.delete(h.stripe);
      }
    }
    if (h.kind === TICK) return;
    const deadline = this.#clock.toLocal(h.sentAt, now) + placed.latencyMs - DEADLINE_MARGIN_MS;
    if (this.#assembler!.add(h, msg, deadline, now) === 'new') {
      this.#fanout!.forward(h.stripe, msg);
      this.#lastForwarded[h.stripe] = now;
      this.#cache!.add(h.stripe, h.block, msg, deadline);
      const last = this.#lastBlockOn[h.stripe];
      if (last === undefined || seqDiff(h.block, last) > 0) this.#lastBlockOn[h.stripe] = h.block;
    }
  }

  #onControl(m: Control, rinfo: RemoteInfo): void {
    if (this.#leaving) return;
    const from = formatAddr(rinfo.address, rinfo.port);
    const fromCoordinator = from === this.#coordinatorAddr;
    if (this.#waiter !== undefined && fromCoordinator && this.#waiter(m)) return;
    const now = localNow();
    const fanout = this.#fanout;
    const up = this.#upstreams;
    if (fanout === undefined || up === undefined) return void this.#counters.unsolicited++;
    switch (m.t) {
      case 'sub': {
        if (this.#leaving) return;
        const known = fanout.has(rinfo, m.stripe);
        const ok = fanout.subscribe(rinfo, m.stripe, m.id, now);
        if (!known) this.#sendControl({ host: rinfo.address, port: rinfo.port }, { t: 'suback', stripe: m.stripe, ok });
        if (ok && m.from !== undefined) fanout.backfill(rinfo, m.stripe, this.#cache!.since(m.stripe, m.from, now), now);
        return;
      }
      case 'unsub':
        return fanout.unsubscribe(rinfo, m.stripe);
      case 'suback': {
        const s = up.stripes[m.stripe];
        if (m.ok || s?.parent == null || this.#resolve(s.parent) !== from) return;
        // A full parent is often one whose leaving child's UNSUB is still on its way (both were
        // moved at once): ask again shortly, then give up on it.
        const tries = this.#refusals.get(m.stripe) ?? 0;
        if (tries < REFUSAL_RETRIES) {
          this.#refusals.set(m.stripe, tries + 1);
          const parent = s.parent;
          setTimeout(() => {
            if (!this.#closed && up.stripes[m.stripe]!.parent === parent) this.#subscribe(m.stripe, parent, true);
          }, REFUSAL_RETRY_MS).unref();
        } else {
          this.#refusals.delete(m.stripe);
          this.#switch(m.stripe, 'refused', now);
        }
        return;
      }
      case 'bye': {
        fanout.remove(from);
        for (const s of up.stripes) if (s.parent !== null && this.#resolve(s.parent) === from) this.#switch(s.stripe, 'bye', now);
        return;
      }
      case 'move': {
        if (!fromCoordinator || m.stripe >= up.stripes.length) return void this.#counters.unsolicited++;
        this.#counters.moves++;
        const old = up.assign(m.stripe, m.parent, m.backups, now, GRACE_MS);
        this.#subscribe(m.stripe, m.parent, true);
        // The old parent is told unless it is the one that failed (it may be gone).
        if (old !== null && !up.stripes[m.stripe]!.failed.has(old.id)) this.#sendControl(this.#target(old), { t: 'unsub', stripe: m.stripe });
        this.emit('move', m.stripe, m.parent.id);
        return;
      }
      case 'refused':
        // The coordinator declared us dead (our reports were held up) and forgot us: join again,
        // keeping the current parents until the new placement comes.
        if (!fromCoordinator || m.reason !== REJOIN || now - this.#lastRejoin < 1000) return void this.#counters.unsolicited++;
        this.#lastRejoin = now;
        this.#rejoins++;
        this.#sendControl(this.#coordinator, { t: 'join', v: P2P_VERSION, ...this.#o.budget, rttMs: this.#rttMs });
        return;
      case 'placed':
        if (!fromCoordinator) return void this.#counters.unsolicited++;
        return this.#replaced(m, now);
      default:
        // pong after the join, or messages meant for a coordinator.
        this.#counters.unsolicited++;
    }
  }

  /** A new placement after a rejoin: a new id and slots; each stripe moves as on a MOVE. */
  #replaced(p: Placed, now: number): void {
    const old = this.#placed!;
    if (p.stripes !== old.stripes) return void this.#counters.unsolicited++;
    this.#placed = { ...p, latencyMs: old.latencyMs };
    this.#fanout!.slots = p.slots;
    const up = this.#upstreams!;
    for (const a of p.parents) {
      if (a.parent === null) continue;
      const previous = up.assign(a.stripe, a.parent, a.backups, now, GRACE_MS);
      this.#subscribe(a.stripe, a.parent, true);
      if (previous !== null) this.#sendControl(this.#target(previous), { t: 'unsub', stripe: a.stripe });
    }
  }

  /** Gives up `stripe`'s parent, takes the next backup, tells the coordinator. */
  #switch(stripe: number, reason: SwitchRecord['reason'], now: number): void {
    const up = this.#upstreams!;
    const lastHeard = up.stripes[stripe]!.lastHeard;
    const sw = up.fail(stripe, now, GRACE_MS);
    if (sw.to !== null) this.#subscribe(stripe, sw.to, true);
    // The old parent may only be slow or orphaned itself: free its slot (lost if it is gone).
    if (sw.from !== null && reason !== 'bye') this.#sendControl(this.#target(sw.from), { t: 'unsub', stripe });
    if (sw.from !== null) this.#sendControl(this.#coordinator, { t: 'lost', stripe, parent: sw.from.id, using: sw.to });
    const record: SwitchRecord = { stripe, reason, from: sw.from?.id ?? null, to: sw.to?.id ?? null, silentMs: now - lastHeard, gapMs: undefined };
    if (this.#switches.length < MAX_SWITCH_LOG) this.#switches.push(record);
    // The gap runs from the last message of the parent given up, across any further switches.
    const earlier = this.#pendingGap.get(stripe);
    this.#pendingGap.set(stripe, { record, lastHeard: earlier?.lastHeard ?? lastHeard });
    this.#lastOrphanReport = now;
    this.emit('switch', record);
  }

  readonly #onTick = (): void => {
    if (this.#closed) return;
    const now = localNow();
    const up = this.#upstreams!;
    const stalled = now - this.#lastTickAt - TICK_MS;
    this.#lastTickAt = now;
    this.#assembler!.poll(now);
    // After a stall of our own loop the parents' messages are still queued: judge silence on
    // the next tick, with the stall not counted as silence.
    if (stalled > STALL_MS) up.pause(stalled);
    else for (const { stripe, reason } of up.silent(now, this.#o.silenceMs, STARVE_MS)) this.#switch(stripe, reason, now);
    // Children hear from us at least every TICK_INTERVAL_MS per stripe, data or not: a parent
    // that is alive but starved must not look dead (its whole subtree would switch at once).
    for (let s = 0; s < this.#lastForwarded.length; s++) {
      if (now - this.#lastForwarded[s]! < STRIPE_TICK_MS) continue;
      this.#lastForwarded[s] = now;
      this.#fanout!.forward(s, encodeTick(s, 0, this.#clock.remoteNow(now)));
    }
    if (now - this.#lastRefresh >= REFRESH_MS) {
      this.#lastRefresh = now;
      for (const s of up.stripes) if (s.parent !== null) this.#subscribe(s.stripe, s.parent);
      this.#fanout!.expire(now - CHILD_EXPIRY_MS);
    }
    // An orphaned stripe (no backup left) asks the coordinator again every second.
    if (now - this.#lastOrphanReport >= 1000) {
      for (const s of up.stripes) {
        if (s.parent === null && s.previous !== null) {
          this.#lastOrphanReport = now;
          this.#sendControl(this.#coordinator, { t: 'lost', stripe: s.stripe, parent: s.previous.id, using: null });
        }
      }
    }
    if (now - this.#lastReport >= this.#o.reportMs) {
      this.#lastReport = now;
      this.#report(now);
    }
  };

  #report(now: number): void {
    const a = this.#assembler!.counters;
    const sock = this.#socket.stats();
    const r = this.#reported;
    const seconds = Math.max(0.001, (now - r.at) / 1000);
    const symbols = a.symbolsIn;
    const missing = this.#expectedSymbols() - r.expected;
    const got = symbols - r.symbols;
    this.#sendReport({
      t: 'report',
      blocks: Math.max(0, a.blocksDecoded - r.blocks),
      lost: Math.max(0, a.blocksLost - r.lost),
      rawLoss: missing > 0 ? Math.min(1, Math.max(0, 1 - got / missing)) : 0,
      inBps: Math.max(0, ((sock.bytesReceived - r.bytesIn) * 8) / seconds),
      outBps: Math.max(0, ((sock.bytesSent - r.bytesOut) * 8) / seconds),
      parents: this.#upstreams!.stripes.map((s) => s.parent?.id ?? ''),
    });
    this.#reported = { blocks: a.blocksDecoded, lost: a.blocksLost, symbols, expected: this.#expectedSymbols(), bytesIn: sock.bytesReceived, bytesOut: sock.bytesSent, at: now };
  }

  #expectedSymbols(): number {
    return this.#assembler!.counters.symbolsExpected;
  }

  stats(): PeerStats {
    const up = this.#upstreams;
    const fanout = this.#fanout;
    return {
      id: this.id,
      homeStripe: this.#placed?.home ?? -1,
      parents: up?.stripes.map((s) => s.parent?.id ?? null) ?? [],
      children: fanout?.used ?? 0,
      slots: fanout?.slots ?? 0,
      assembler: { ...(this.#assembler?.counters ?? new StripeAssembler({ maxBlocks: 2 }, () => {}).counters) },
      symbolsForwarded: fanout?.sent ?? 0,
      bytesForwarded: fanout?.bytes ?? 0,
      backfills: fanout?.backfills ?? 0,
      backfilledSymbols: fanout?.backfilledSymbols ?? 0,
      ...this.#counters,
      switches: this.#switches.map((s) => ({ ...s })),
      rejoins: this.#rejoins,
      socket: this.#socket.stats(),
    };
  }

  async close(options: { graceful?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    const graceful = options.graceful ?? true;
    if (graceful && this.#placed !== undefined && !this.#leaving) {
      // Stop reacting (no switches, reports, new children), but keep relaying until the socket
      // closes: children take the stripes from elsewhere as soon as they read the BYE.
      this.#leaving = true;
      clearInterval(this.#timer);
      this.#sendControl(this.#coordinator, { t: 'leave' });
      const neighbours = new Map<string, { host: string; port: number }>();
      for (const c of this.#fanout!.addresses()) neighbours.set(formatAddr(c.host, c.port), c);
      for (const p of this.#upstreams!.parents()) if (p.addr !== '') neighbours.set(p.addr, splitAddr(p.addr));
      const bye = encodeControl({ t: 'bye' });
      for (const n of neighbours.values()) {
        this.#sendControl(n, { t: 'bye' });
        // A second copy on the unreliable stream: no wait behind an unacknowledged message.
        this.#reports.send(bye, n.port, n.host);
      }
      // Long enough for the reliable stream to deliver (and resend) on a sane path.
      await new Promise((r) => setTimeout(r, LEAVE_WAIT_MS));
    }
    this.#closed = true;
    clearInterval(this.#timer);
    this.#waiter = undefined;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    if (this.#output !== undefined) await new Promise<void>((resolve) => this.#output!.close(() => resolve()));
  }
}

/**
 * Starts a viewer of a P2P stream: reaches the coordinator (a PING for the round trip, then a
 * JOIN answered by its placement: a parent and backups per stripe), subscribes to its parents,
 * decodes the stripe code and writes the stream's datagrams to `options.to` in order, and
 * relays the symbols of the stripes its children take from it the moment they arrive. A parent
 * silent for `silenceMs` is replaced by a backup in one round trip; the coordinator is told.
 *
 * @example
 * const peer = await startPeer({ coordinator: { host: '10.0.0.1', port: 7000 }, to: { host: '127.0.0.1', port: 5004 } })
 * // ffplay udp://127.0.0.1:5004
 * await peer.close()
 * @returns the peer once placed and subscribed
 * @throws TypeError or RangeError (synchronously) for bad options; the promise rejects when the
 *   coordinator cannot be reached within `joinTimeoutMs` or refuses the join
 */
export function startPeer(options: PeerOptions): Promise<Peer> {
  const node = new PeerNode(resolvePeerOptions(options));
  return node.start().then(
    () => node,
    async (err: unknown) => {
      await node.close({ graceful: false });
      throw err;
    },
  );
}
