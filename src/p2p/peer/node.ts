import { createSocket as createDgram, type Socket as DgramSocket } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import type { RemoteInfo } from '../../socket/peers.js';
import { ClockMap, localNow } from '../clock.js';
import { Fanout } from '../fanout.js';
import { CONTROL_STREAM, DATA_STREAM, REPORT_STREAM } from '../link.js';
import { Upstreams } from '../parents.js';
import type { ResolvedPeerOptions } from '../peer-options.js';
import { StripeAssembler } from '../stripe/assembler.js';
import { SymbolCache } from '../stripe/cache.js';
import { seqDiff } from '../stripe/seq.js';
import { formatAddr, parseControl, REJOIN, splitAddr, type Control, type NodeRef, type Placed } from '../wire/control.js';
import { encodeTick, parseSymbol, TICK } from '../wire/symbol.js';
import { ControlChannel, type Endpoint } from './control-channel.js';
import { joinCoordinator, joinMessage } from './join.js';
import { ReportWindow } from './report.js';
import { SwitchLog } from './switch-log.js';
import type { Peer, PeerEvents, PeerStats, SwitchRecord } from './types.js';

const GRACE_MS = 1000;
const REFRESH_MS = 400;
const CHILD_EXPIRY_MS = 1300;
const TICK_MS = 20;
/** Blocks are given up this long before the latency budget ends, to leave time for the output hop. */
const DEADLINE_MARGIN_MS = 15;
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

/**
 * The peer itself: its place in the stripe trees (parents per stripe, children), the data path
 * (decode, relay, output), and the reactions to its neighbours and the coordinator.
 */
export class PeerNode extends EventEmitter<PeerEvents> implements Peer {
  readonly #o: ResolvedPeerOptions;
  readonly #channel: ControlChannel;
  readonly #clock = new ClockMap();
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
  readonly #counters = { datagramsOut: 0, outputErrors: 0, malformedControl: 0, malformedData: 0, unsolicited: 0, moves: 0 };
  readonly #switches = new SwitchLog();
  #lastForwarded: number[] = [];
  /** Per stripe, how often the current parent refused us in a row. */
  readonly #refusals = new Map<number, number>();
  #lastRefresh = 0;
  #lastTickAt = 0;
  #lastRejoin = -Infinity;
  #rejoins = 0;
  #rttMs = 0;
  #lastReport = 0;
  #lastOrphanReport = 0;
  readonly #reports = new ReportWindow();

  constructor(options: ResolvedPeerOptions) {
    super();
    this.#o = options;
    this.#channel = new ControlChannel(options.link);
    this.#channel.socket.on('message', this.#onMessage);
    this.#channel.socket.on('error', () => {});
  }

  get id(): string {
    return this.#placed?.id ?? '';
  }

  get address(): { address: string; port: number } {
    const a = this.#channel.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Opens the output, binds, joins; resolves once placed and subscribed. */
  async start(): Promise<void> {
    await this.#channel.locate(this.#o.coordinator);
    const output = createDgram('udp4');
    output.on('error', () => this.#counters.outputErrors++);
    output.connect(this.#o.to.port, this.#o.to.host);
    await once(output, 'connect');
    this.#output = output;
    await this.#channel.bind(this.#o.bind);
    const { placed, rttMs } = await joinCoordinator(this.#channel, this.#clock, this.#o);
    this.#rttMs = rttMs;
    this.#onPlaced(placed);
  }

  #onPlaced(p: Placed): void {
    const now = localNow();
    this.#placed = p;
    this.#upstreams = new Upstreams(p.stripes, this.#o.silenceMs);
    this.#fanout = new Fanout(p.stripes, p.slots, this.#channel.socket.stream(DATA_STREAM));
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
    this.#reports.start(now);
    this.#timer = setInterval(this.#onTick, TICK_MS);
  }

  /** Tells the parent of `stripe` that it no longer is. */
  #unsubscribe(parent: NodeRef, stripe: number): void {
    this.#channel.send(this.#channel.target(parent), { t: 'unsub', stripe });
  }

  /**
   * SUBSCRIBE; after a switch or move (`backfill`) it asks for what this stripe missed: from the
   * newest block it had on this stripe, not from what this peer still needs itself (it may have
   * decoded a block without the stripe, while a child below it, short of another stripe too,
   * cannot).
   */
  #subscribe(stripe: number, parent: NodeRef, backfill = false): void {
    const from = backfill ? (this.#lastBlockOn[stripe] ?? this.#assembler?.nextBlock) : undefined;
    this.#channel.send(this.#channel.target(parent), from === undefined ? { t: 'sub', stripe, id: this.id } : { t: 'sub', stripe, id: this.id, from });
  }

  readonly #emitDatagram = (d: Buffer): void => {
    this.#counters.datagramsOut++;
    this.#output?.send(d);
    this.emit('datagram', d);
  };

  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.#channel.closed) return;
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
    if (!up.accepts(h.stripe, from, now, this.#channel.resolve)) return void this.#counters.unsolicited++;
    const s = up.stripes[h.stripe]!;
    const current = s.parent !== null && this.#channel.resolve(s.parent) === from;
    if (current) {
      up.heard(h.stripe, now, h.kind !== TICK);
      this.#refusals.delete(h.stripe);
      this.#switches.heard(h.stripe, now);
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
    const fromCoordinator = from === this.#channel.coordinatorAddr;
    if (fromCoordinator && this.#channel.answers(m)) return;
    const now = localNow();
    const fanout = this.#fanout;
    const up = this.#upstreams;
    if (fanout === undefined || up === undefined) return void this.#counters.unsolicited++;
    switch (m.t) {
      case 'sub': {
        const known = fanout.has(rinfo, m.stripe);
        const ok = fanout.subscribe(rinfo, m.stripe, m.id, now);
        if (!known) this.#channel.send({ host: rinfo.address, port: rinfo.port }, { t: 'suback', stripe: m.stripe, ok });
        if (ok && m.from !== undefined) fanout.backfill(rinfo, m.stripe, this.#cache!.since(m.stripe, m.from, now), now);
        return;
      }
      case 'unsub':
        return fanout.unsubscribe(rinfo, m.stripe);
      case 'suback':
        return this.#onSubAck(m.stripe, m.ok, from, up, now);
      case 'bye': {
        fanout.remove(from);
        for (const s of up.stripes) if (s.parent !== null && this.#channel.resolve(s.parent) === from) this.#switch(s.stripe, 'bye', now);
        return;
      }
      case 'move': {
        if (!fromCoordinator || m.stripe >= up.stripes.length) return void this.#counters.unsolicited++;
        this.#counters.moves++;
        const old = up.assign(m.stripe, m.parent, m.backups, now, GRACE_MS);
        this.#subscribe(m.stripe, m.parent, true);
        // The old parent is told unless it is the one that failed (it may be gone).
        if (old !== null && !up.stripes[m.stripe]!.failed.has(old.id)) this.#unsubscribe(old, m.stripe);
        this.emit('move', m.stripe, m.parent.id);
        return;
      }
      case 'refused':
        // The coordinator declared us dead (our reports were held up) and forgot us: join again,
        // keeping the current parents until the new placement comes.
        if (!fromCoordinator || m.reason !== REJOIN || now - this.#lastRejoin < 1000) return void this.#counters.unsolicited++;
        this.#lastRejoin = now;
        this.#rejoins++;
        this.#channel.send(this.#channel.coordinator, joinMessage(this.#o, this.#rttMs));
        return;
      case 'placed':
        if (!fromCoordinator) return void this.#counters.unsolicited++;
        return this.#replaced(m, now);
      default:
        // pong after the join, or messages meant for a coordinator.
        this.#counters.unsolicited++;
    }
  }

  /** A SUBACK from `from`: a refusal by the current parent of `stripe` is retried, then given up on. */
  #onSubAck(stripe: number, ok: boolean, from: string, up: Upstreams, now: number): void {
    const s = up.stripes[stripe];
    if (ok || s?.parent == null || this.#channel.resolve(s.parent) !== from) return;
    // A full parent is often one whose leaving child's UNSUB is still on its way (both were
    // moved at once): ask again shortly, then give up on it.
    const tries = this.#refusals.get(stripe) ?? 0;
    if (tries < REFUSAL_RETRIES) {
      this.#refusals.set(stripe, tries + 1);
      const parent = s.parent;
      setTimeout(() => {
        if (!this.#channel.closed && up.stripes[stripe]!.parent === parent) this.#subscribe(stripe, parent, true);
      }, REFUSAL_RETRY_MS).unref();
    } else {
      this.#refusals.delete(stripe);
      this.#switch(stripe, 'refused', now);
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
      if (previous !== null) this.#unsubscribe(previous, a.stripe);
    }
  }

  /** Gives up `stripe`'s parent, takes the next backup, tells the coordinator. */
  #switch(stripe: number, reason: SwitchRecord['reason'], now: number): void {
    const up = this.#upstreams!;
    const lastHeard = up.stripes[stripe]!.lastHeard;
    const sw = up.fail(stripe, now, GRACE_MS);
    if (sw.to !== null) this.#subscribe(stripe, sw.to, true);
    // The old parent may only be slow or orphaned itself: free its slot (lost if it is gone).
    if (sw.from !== null && reason !== 'bye') this.#unsubscribe(sw.from, stripe);
    if (sw.from !== null) this.#channel.send(this.#channel.coordinator, { t: 'lost', stripe, parent: sw.from.id, using: sw.to });
    const record: SwitchRecord = { stripe, reason, from: sw.from?.id ?? null, to: sw.to?.id ?? null, silentMs: now - lastHeard, gapMs: undefined };
    this.#switches.add(record, lastHeard);
    this.#lastOrphanReport = now;
    this.emit('switch', record);
  }

  readonly #onTick = (): void => {
    if (this.#channel.closed) return;
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
          this.#channel.send(this.#channel.coordinator, { t: 'lost', stripe: s.stripe, parent: s.previous.id, using: null });
        }
      }
    }
    if (now - this.#lastReport >= this.#o.reportMs) {
      this.#lastReport = now;
      const parents = up.stripes.map((s) => s.parent?.id ?? '');
      this.#channel.sendUnreliable(this.#reports.next(now, this.#assembler!.counters, this.#channel.socket.stats(), parents));
    }
  };

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
      switches: this.#switches.list(),
      rejoins: this.#rejoins,
      socket: this.#channel.socket.stats(),
    };
  }

  async close(options: { graceful?: boolean } = {}): Promise<void> {
    if (this.#channel.closed) return;
    const graceful = options.graceful ?? true;
    if (graceful && this.#placed !== undefined && !this.#leaving) {
      // Stop reacting (no switches, reports, new children), but keep relaying until the socket
      // closes: children take the stripes from elsewhere as soon as they read the BYE.
      this.#leaving = true;
      clearInterval(this.#timer);
      this.#channel.send(this.#channel.coordinator, { t: 'leave' });
      const neighbours = new Map<string, Endpoint>();
      for (const c of this.#fanout!.addresses()) neighbours.set(formatAddr(c.host, c.port), c);
      for (const p of this.#upstreams!.parents()) if (p.addr !== '') neighbours.set(p.addr, splitAddr(p.addr));
      for (const n of neighbours.values()) {
        this.#channel.send(n, { t: 'bye' });
        // A second copy on the unreliable stream: no wait behind an unacknowledged message.
        this.#channel.sendUnreliable({ t: 'bye' }, n);
      }
      // Long enough for the reliable stream to deliver (and resend) on a sane path.
      await new Promise((r) => setTimeout(r, LEAVE_WAIT_MS));
    }
    clearInterval(this.#timer);
    await this.#channel.close();
    if (this.#output !== undefined) await new Promise<void>((resolve) => this.#output!.close(() => resolve()));
  }
}
