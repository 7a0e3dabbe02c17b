import { createSocket as createDgram, type Socket as DgramSocket } from 'node:dgram';
import { once } from 'node:events';
import type { PerfectSocket, SocketStream } from '../socket/socket.js';
import type { RemoteInfo } from '../socket/peers.js';
import type { SocketStats } from '../socket/stats.js';
import { coordinatorNow, localNow } from './clock.js';
import { resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './coordinator-options.js';
import { Fanout } from './fanout.js';
import { CONTROL_STREAM, createLinkSocket, DATA_STREAM, LINK_OVERHEAD, REPORT_STREAM, ROOT_LINK_OVERHEAD } from './link.js';
import { Registry, type PeerRecord } from './registry.js';
import type { CoordinatorState } from './state.js';
import { SymbolCache } from './stripe/cache.js';
import { StripeEncoder, type StripeEncoderCounters } from './stripe/encoder.js';
import { blockSymbols, stripeRatio } from './stripe/shape.js';
import { createPlacementTree, ROOT, type Move, type Placement, type PlacementTree } from './tree/index.js';
import type { StateServer } from './web/index.js';
import { encodeControl, formatAddr, P2P_VERSION, parseControl, REJOIN, type Control, type Join, type StripeAssignment } from './wire/control.js';
import { encodeTick } from './wire/symbol.js';
import { pushFeed } from './viewer/feed.js';
import type { Viewer } from './viewer/viewer.js';

/** Where the coordinator's web server serves the browser viewer. */
export const VIEWER_PATH = '/watch/';

export type { CoordinatorOptions } from './coordinator-options.js';

/** Counters of a {@link Coordinator}. */
export interface CoordinatorStats {
  encoder: StripeEncoderCounters;
  peers: number;
  joins: number;
  leaves: number;
  crashes: number;
  moves: number;
  refused: number;
  /** Control messages that failed their checks, and well-formed ones from nodes with no business sending them. */
  malformedControl: number;
  unsolicited: number;
  /** Stripe copies the root serves now, and may. */
  rootChildren: number;
  rootSlots: number;
  /** Bytes of stream datagrams taken in, and bytes the socket sent (all headers, repairs, control). */
  streamBytesIn: number;
  socket: SocketStats;
}

/** A running coordinator; see {@link startCoordinator}. */
export interface Coordinator {
  /** The control/data socket's address (what peers are given as --coordinator). */
  readonly address: { address: string; port: number };
  /** Where the stream is taken in. */
  readonly input: { address: string; port: number };
  /** The state server's address, with `web`. */
  readonly web: { address: string; port: number } | undefined;
  stats(): CoordinatorStats;
  /** The snapshot the state page shows. */
  state(): CoordinatorState;
  /** Stops: closes the input, the state server and the socket (peers see their root fall silent). */
  close(): Promise<void>;
}

const TICK_MS = 5;
const STRIPE_TICK_MS = 100;
const LIVENESS_MS = 250;
const CHILD_EXPIRY_MS = 1300;
const RATE_WINDOW_MS = 1000;
const REBALANCE_SOON_MS = 50;
/**
 * A peer named in a LOST (the silent parent, the backup taken, the parent the tree would pick) is
 * declared dead if it has not reported for this long (reports come every 100 ms, unreliably).
 */
const SUSPECT_AFTER_MS = 350;
/** A timer this much later than due means the event loop was stalled (a busy machine). */
const STALL_MS = 40;

class CoordinatorNode implements Coordinator {
  readonly #o: ResolvedCoordinatorOptions;
  readonly #socket: PerfectSocket;
  readonly #control: SocketStream;
  readonly #fanout: Fanout;
  readonly #cache: SymbolCache;
  readonly #encoder: StripeEncoder;
  readonly #tree: PlacementTree;
  readonly #peers = new Registry();
  readonly #rootSlots: number;
  readonly #slotRatio: number;
  #input: DgramSocket | undefined;
  #web: StateServer | undefined;
  #viewer: Viewer | undefined;
  /** The input datagrams, for browser viewers. */
  readonly #viewerFeed = pushFeed();
  #timers: NodeJS.Timeout[] = [];
  #closed = false;
  #rebalancePending = false;
  #lastTickAt = localNow();
  readonly #rejoinAsked = new Map<string, number>();
  readonly #lastOnStripe: number[];
  readonly #counters = { joins: 0, leaves: 0, crashes: 0, moves: 0, refused: 0, malformedControl: 0, unsolicited: 0 };
  /** Samples for the input and upload rates: [local ms, stream bytes in, socket bytes sent]. */
  #rateSamples: Array<[number, number, number]> = [];

  constructor(o: ResolvedCoordinatorOptions) {
    this.#o = o;
    // What one stripe copy costs on a link, as a multiple of the stream.
    this.#slotRatio = stripeRatio(o.k, o.stripes) * LINK_OVERHEAD;
    this.#rootSlots = Math.max(o.stripes, Math.floor(o.rootUploadRatio / (stripeRatio(o.k, o.stripes) * ROOT_LINK_OVERHEAD) + 1e-9));
    this.#tree = o.tree ?? createPlacementTree({ stripes: o.stripes, rootSlots: this.#rootSlots, backups: o.backups });
    this.#socket = createLinkSocket(o.link);
    this.#control = this.#socket.stream(CONTROL_STREAM);
    this.#fanout = new Fanout(o.stripes, this.#rootSlots, this.#socket.stream(DATA_STREAM));
    this.#lastOnStripe = new Array<number>(o.stripes).fill(0);
    this.#cache = new SymbolCache(o.stripes, 128);
    this.#encoder = new StripeEncoder({ stripes: o.stripes, k: o.k, blockTimeMs: o.blockTimeMs }, (block) => {
      const now = localNow();
      block.symbols.forEach((msg, i) => {
        const stripe = i % o.stripes;
        this.#fanout.forward(stripe, msg);
        this.#cache.add(stripe, block.block, msg, now + o.latencyMs);
        this.#lastOnStripe[stripe] = now;
      });
    });
    this.#socket.on('message', this.#onMessage);
    this.#socket.on('error', () => {});
  }

  async start(): Promise<void> {
    const o = this.#o;
    this.#socket.bind(o.listen.port, o.listen.host);
    await Promise.race([once(this.#socket, 'listening'), once(this.#socket, 'error').then(([e]) => Promise.reject(e as Error))]);
    const input = createDgram({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    input.on('message', (msg) => {
      this.#encoder.push(msg, localNow(), coordinatorNow());
      this.#viewerFeed.push(msg);
    });
    const inputReady = once(input, 'listening');
    input.bind(o.from.port, o.from.host);
    await Promise.race([inputReady, once(input, 'error').then(([e]) => Promise.reject(e as Error))]);
    input.on('error', () => {});
    this.#input = input;
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      this.#timers.push(t);
    };
    every(TICK_MS, this.#onTick);
    every(STRIPE_TICK_MS, this.#stripeTicks);
    every(LIVENESS_MS, this.#liveness);
    every(this.#o.rebalanceMs, () => this.#applyMoves(this.#tree.rebalance(this.#rebalanceBudget())));
    every(200, this.#sampleRates);
    if (o.web !== undefined) {
      const { startStateServer } = await import('./web/index.js');
      // The browser viewer shares the state page's server, under /watch/.
      const { createViewer } = await import('./viewer/index.js');
      this.#viewer = createViewer({ feed: this.#viewerFeed, basePath: VIEWER_PATH });
      this.#web = await startStateServer({ host: o.web.host, port: o.web.port, getState: () => this.state(), mount: this.#viewer });
    }
  }

  get address(): { address: string; port: number } {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  get input(): { address: string; port: number } {
    const a = this.#input!.address();
    return { address: a.address, port: a.port };
  }

  get web(): { address: string; port: number } | undefined {
    return this.#web?.address;
  }

  readonly #onTick = (): void => {
    const now = localNow();
    const stalled = now - this.#lastTickAt - TICK_MS;
    this.#lastTickAt = now;
    // A stall of this event loop is no silence of the peers: their reports are queued.
    if (stalled > STALL_MS) {
      for (const r of this.#peers.all()) r.lastSeen += stalled;
    }
    this.#encoder.poll(now);
  };

  /** A TICK on each stripe that carried nothing lately, so children tell a quiet source from a dead parent. */
  readonly #stripeTicks = (): void => {
    const now = localNow();
    for (let s = 0; s < this.#o.stripes; s++) {
      if (now - this.#lastOnStripe[s]! < STRIPE_TICK_MS) continue;
      this.#fanout.forward(s, encodeTick(s, this.#encoder.nextBlock, coordinatorNow()));
      this.#lastOnStripe[s] = now;
    }
  };

  readonly #liveness = (): void => {
    const now = localNow();
    for (const r of [...this.#peers.all()]) if (now - r.lastSeen > this.#o.deadAfterMs) this.#remove(r, 'crash');
    this.#fanout.expire(now - CHILD_EXPIRY_MS);
  };

  readonly #sampleRates = (): void => {
    const now = localNow();
    this.#rateSamples.push([now, this.#encoder.counters.bytesIn, this.#socket.stats().bytesSent]);
    while (this.#rateSamples.length > 2 && now - this.#rateSamples[1]![0] >= RATE_WINDOW_MS) this.#rateSamples.shift();
  };

  /** Input and upload bits/s over about the last second. */
  #rates(): { inBps: number; outBps: number } {
    const first = this.#rateSamples[0];
    const last = this.#rateSamples[this.#rateSamples.length - 1];
    if (first === undefined || last === undefined || last[0] - first[0] < 100) return { inBps: 0, outBps: 0 };
    const seconds = (last[0] - first[0]) / 1000;
    return { inBps: ((last[1] - first[1]) * 8) / seconds, outBps: ((last[2] - first[2]) * 8) / seconds };
  }

  #send(to: { host: string; port: number }, msg: Control): void {
    if (!this.#closed) this.#control.send(encodeControl(msg), to.port, to.host);
  }

  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.#closed) return;
    if (rinfo.stream !== CONTROL_STREAM && rinfo.stream !== REPORT_STREAM) return void this.#counters.unsolicited++;
    const m = parseControl(msg);
    if (m === undefined) return void this.#counters.malformedControl++;
    // Reports only on their unreliable stream; everything else only on the reliable one.
    if ((m.t === 'report') !== (rinfo.stream === REPORT_STREAM)) return void this.#counters.unsolicited++;
    const now = localNow();
    const from = { host: rinfo.address, port: rinfo.port };
    const peer = this.#peers.byAddr(rinfo.address, rinfo.port);
    if (peer !== undefined) peer.lastSeen = now;
    switch (m.t) {
      case 'ping':
        return this.#send(from, { t: 'pong', at: m.at, now: coordinatorNow() });
      case 'join':
        return this.#join(m, from, now);
      case 'sub': {
        const known = this.#fanout.has(rinfo, m.stripe);
        // Root slots only for placed peers: a stranger must not take the source's upload.
        const ok = peer !== undefined && m.stripe < this.#o.stripes && this.#fanout.subscribe(rinfo, m.stripe, peer.id, now);
        if (!known) this.#send(from, { t: 'suback', stripe: m.stripe, ok });
        if (ok && m.from !== undefined) this.#fanout.backfill(rinfo, m.stripe, this.#cache.since(m.stripe, m.from, now), now);
        return;
      }
      case 'unsub':
        return this.#fanout.unsubscribe(rinfo, m.stripe);
      case 'bye':
        return this.#fanout.remove(formatAddr(rinfo.address, rinfo.port));
      case 'report':
        if (peer === undefined) return this.#unknownReporter(from, now);
        peer.report = { blocks: m.blocks, lost: m.lost, rawLoss: m.rawLoss, inBps: m.inBps, outBps: m.outBps, parents: m.parents };
        // A peer reported silent by a child but still reporting itself is alive: it may have children again.
        this.#tree.heard?.(peer.id);
        return;
      case 'leave':
        if (peer !== undefined) this.#remove(peer, 'leave');
        return;
      case 'lost':
        if (peer === undefined || m.stripe >= this.#o.stripes) return void this.#counters.unsolicited++;
        return this.#lost(peer, m.stripe, m.parent, m.using?.id ?? null);
      default:
        this.#counters.unsolicited++;
    }
  };

  /**
   * Moves per rebalance: at least `maxMoves`, and more as the tree grows, since crashes (and the
   * moves that repair depth after them) grow with it (the simulator's 100,000 peers need about
   * one move per 200 peers a second; docs/P2P-SIM.md).
   */
  #rebalanceBudget(): number {
    return Math.max(this.#o.maxMoves, Math.ceil((this.#peers.size * this.#o.rebalanceMs) / 200_000));
  }

  /**
   * A report from a peer this coordinator does not know: one it declared dead (its reports were
   * held up) or one from before a restart. It is told to join again (at most once a second).
   */
  #unknownReporter(from: { host: string; port: number }, now: number): void {
    this.#counters.unsolicited++;
    const key = formatAddr(from.host, from.port);
    const last = this.#rejoinAsked.get(key);
    if (last !== undefined && now - last < 1000) return;
    if (this.#rejoinAsked.size > 4096) this.#rejoinAsked.clear();
    this.#rejoinAsked.set(key, now);
    this.#send(from, { t: 'refused', reason: REJOIN });
  }

  #join(m: Join, from: { host: string; port: number }, now: number): void {
    const old = this.#peers.byAddr(from.host, from.port);
    if (old !== undefined) this.#remove(old, 'leave'); // a rejoin from the same address starts afresh
    // A budget in bits/s needs the stream's rate: given, else measured; before any input, 2x.
    const streamBps = this.#o.bitrate ?? this.#rates().inBps;
    const ratio = m.ratio ?? (m.bps !== undefined && streamBps > 0 ? m.bps / streamBps : 2);
    const slots = Math.min(1000, Math.floor(ratio / this.#slotRatio + 1e-9));
    const id = this.#peers.nextId();
    let placement: Placement;
    try {
      placement = this.#tree.join({ id, slots, rttMs: m.rttMs });
    } catch (err) {
      this.#counters.refused++;
      return this.#send(from, { t: 'refused', reason: String((err as Error).message ?? err).slice(0, 200) });
    }
    const record: PeerRecord = { id, host: from.host, port: from.port, addr: formatAddr(from.host, from.port), rttMs: m.rttMs, homeStripe: placement.homeStripe, lastSeen: now, report: undefined };
    this.#peers.add(record);
    this.#counters.joins++;
    const parents: StripeAssignment[] = [];
    for (let s = 0; s < this.#o.stripes; s++) {
      const p = placement.parents.find((x) => x.stripe === s);
      parents.push({ stripe: s, parent: p === undefined ? null : this.#peers.ref(p.parent), backups: this.#peers.refs(p?.backups ?? []).slice(0, 8) });
    }
    this.#send(from, {
      t: 'placed', v: P2P_VERSION, id, home: placement.homeStripe, stripes: this.#o.stripes, k: this.#o.k,
      n: blockSymbols(this.#o.k, this.#o.stripes), latencyMs: this.#o.latencyMs, slots, now: coordinatorNow(), parents,
    });
    // A join may push shallower peers down (the tree returns those moves with the placement).
    this.#applyMoves(placement.moves ?? []);
  }

  #lost(peer: PeerRecord, stripe: number, parent: string, using: string | null): void {
    // A parent its child finds silent and that has not reported lately is taken for dead now,
    // not after deadAfterMs: otherwise rebalancing might hand its free slot to the next child.
    this.#dropIfSuspect(parent);
    // The same for the backup the child went to, and for any parent the tree picks: when several
    // peers die at once, one not yet declared dead must not be handed out (another 300 ms lost).
    if (using !== null && using !== ROOT && this.#dropIfSuspect(using)) using = null;
    if (using !== null && (using === ROOT || this.#peers.get(using) !== undefined)) {
      this.#tree.attach(peer.id, stripe, using);
      if (this.#tree.parentOf(peer.id, stripe) === using) return;
    }
    let replacement = this.#tree.parentLost(peer.id, stripe, parent);
    for (let tries = 0; replacement !== null && tries < 4 && this.#dropIfSuspect(replacement.parent); tries++) {
      replacement = this.#tree.parentLost(peer.id, stripe, replacement.parent);
    }
    if (replacement === null) return this.#rebalanceSoon(); // orphaned for now: rebalancing places it when it can
    const ref = this.#peers.ref(replacement.parent);
    if (ref === null || replacement.parent === using) return;
    this.#counters.moves++;
    this.#send(peer, { t: 'move', stripe, parent: ref, backups: this.#peers.refs(replacement.backups).slice(0, 8) });
  }

  /** Declares `id` dead if it has not reported for SUSPECT_AFTER_MS; whether it did. */
  #dropIfSuspect(id: string): boolean {
    const r = this.#peers.get(id);
    if (r === undefined || localNow() - r.lastSeen <= SUSPECT_AFTER_MS) return false;
    this.#remove(r, 'crash');
    return true;
  }

  /** Rebalances soon after a change (a join, leave, crash or lost parent), not only on the timer. */
  #rebalanceSoon(): void {
    if (this.#rebalancePending || this.#closed) return;
    this.#rebalancePending = true;
    setTimeout(() => {
      this.#rebalancePending = false;
      if (!this.#closed) this.#applyMoves(this.#tree.rebalance(this.#rebalanceBudget()));
    }, REBALANCE_SOON_MS).unref();
  }

  #applyMoves(moves: readonly Move[]): void {
    for (const mv of moves) {
      const child = this.#peers.get(mv.child);
      const ref = this.#peers.ref(mv.to);
      if (child === undefined || ref === null) continue;
      this.#counters.moves++;
      const backups = (this.#tree as PlacementTree & { backupsOf?: (id: string, s: number) => readonly string[] }).backupsOf?.(mv.child, mv.stripe) ?? [];
      this.#send(child, { t: 'move', stripe: mv.stripe, parent: ref, backups: this.#peers.refs(backups).slice(0, 8) });
    }
  }

  #remove(r: PeerRecord, why: 'leave' | 'crash'): void {
    this.#peers.remove(r.id);
    this.#fanout.remove(r.addr);
    if (why === 'crash') this.#counters.crashes++;
    else this.#counters.leaves++;
    this.#applyMoves(this.#tree.leave(r.id));
    this.#rebalanceSoon();
  }

  stats(): CoordinatorStats {
    return {
      encoder: { ...this.#encoder.counters },
      peers: this.#peers.size,
      ...this.#counters,
      rootChildren: this.#fanout.used,
      rootSlots: this.#rootSlots,
      streamBytesIn: this.#encoder.counters.bytesIn,
      socket: this.#socket.stats(),
    };
  }

  state(): CoordinatorState {
    const now = localNow();
    const { inBps, outBps } = this.#rates();
    const { joins, leaves, crashes, moves } = this.#counters;
    return {
      stream: { bitsPerSecond: inBps, stripes: this.#o.stripes, k: this.#o.k, n: blockSymbols(this.#o.k, this.#o.stripes), latencyMs: this.#o.latencyMs },
      rootUploadBps: outBps,
      rootUploadRatio: inBps > 0 ? outBps / inBps : 0,
      shape: this.#tree.shape(),
      peers: [...this.#peers.all()].map((r) => this.#peers.state(r, this.#tree, now)),
      counters: { joins, leaves, crashes, moves },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#encoder.flush();
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#viewer?.close();
    await this.#web?.close();
    if (this.#input !== undefined) await new Promise<void>((resolve) => this.#input!.close(() => resolve()));
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/**
 * Starts the coordinator of a P2P live stream: takes the stream as plain UDP datagrams at
 * `from` (e.g. MPEG-TS from ffmpeg), cuts it into Reed-Solomon blocks whose symbols are dealt
 * over `stripes` stripes, places joining peers with the placement tree (one round trip: a
 * parent and backups per stripe, by spare upload, depth and RTT), serves as the root relay
 * within `rootUploadRatio` of the stream, declares silent peers dead, re-homes their children
 * and rebalances the tree. With `web`, serves the state page.
 *
 * @example
 * const c = await startCoordinator({ listen: { host: '0.0.0.0', port: 7000 }, from: { host: '127.0.0.1', port: 5000 } })
 * // ffmpeg ... -f mpegts udp://127.0.0.1:5000?pkt_size=1316 ; peers: startPeer({ coordinator: { host, port: 7000 }, ... })
 * @throws TypeError or RangeError (synchronously) for bad options; the promise rejects when a bind fails
 */
export function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const node = new CoordinatorNode(resolveCoordinatorOptions(options));
  return node.start().then(
    () => node,
    async (err: unknown) => {
      await node.close();
      throw err;
    },
  );
}
