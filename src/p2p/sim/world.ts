/**
 * The simulated world one run works on: the placement tree, the virtual clock's event queue, the
 * peers, and the tallies the figures are made of. Each part of the simulator (churn, repairs,
 * continuity accounting, sampling) reads and updates this one state, so they share it rather than
 * passing pieces of it around.
 */
import { createRng, type Rng } from '../../proxy/prng.js';
import { createPlacementTree, type PlacementTreeImpl } from '../tree/placement-tree.js';
import { ROOT, type PeerId } from '../tree/types.js';
import { rootSlotsFor, stripeCopyRate, stripeMargin, type SimConfig } from './config.js';
import { EventQueue } from './event-queue.js';
import { ORIGIN, rttBetween, type Point } from './network.js';
import { PathTable, type Path } from './paths.js';
import type { SimResult, SimSample } from './result.js';

export interface SimPeer {
  id: PeerId;
  /** Dense number: the index into the simulator's per-peer arrays. */
  ix: number;
  pos: Point;
  slots: number;
  joinedAt: number;
  /** When its first block arrived (Infinity until then). */
  activeFrom: number;
  leftAt: number;
  dead: boolean;
  /** Its paths when it left: windows are accounted a little late, after it is gone from the tree. */
  lastPaths: (Path | null)[] | null;
  /** Outage intervals not yet accounted: stripe, start, end (flat triples). */
  outages: number[];
  produced: number;
  lost: number;
}

export type SimEvent =
  | { kind: 'arrive' }
  | { kind: 'depart' }
  | { kind: 'silence'; id: PeerId; stripe: number; parent: PeerId }
  | { kind: 'detect'; id: PeerId }
  | { kind: 'rebalance' }
  | { kind: 'sample' };

export interface SimWorld {
  readonly c: SimConfig;
  /** `c.stripes`, read everywhere. */
  readonly stripes: number;
  /** Separate streams, so a change in one kind of draw does not reshuffle the others. */
  readonly rngNet: Rng;
  readonly rngPeer: Rng;
  readonly rngChurn: Rng;
  /** Stripes that may be out at once with a block still decodable. */
  readonly margin: number;
  readonly copyRate: number;
  readonly rootSlots: number;
  readonly tree: PlacementTreeImpl;
  readonly queue: EventQueue<SimEvent>;
  /** Present peers, and departed ones until their last window is accounted. */
  readonly peers: Map<PeerId, SimPeer>;
  /** Present peers, for drawing a leaver in O(1); `presentAt` is each one's index. */
  readonly present: SimPeer[];
  readonly presentAt: Map<PeerId, number>;
  /** Positions outlive the peers: a stale backup list may still name one that left. */
  readonly positions: Map<PeerId, Point>;
  /** (peer, stripe) -> since when the stripe has not reached it, for stripes waiting on a repair. */
  readonly cutSince: Map<string, number>;
  readonly paths: PathTable;
  readonly blockMs: number;
  /** Start and end of the measured window, ms of virtual time. */
  readonly measureFrom: number;
  readonly end: number;
  /** Accounting trails the clock by this much, so late outage records still land in their window. */
  readonly lagMs: number;
  /** Virtual time up to which continuity has been accounted. */
  accountedTo: number;
  nextId: number;
  /** Upload slots of the present peers. */
  slotSum: number;
  readonly counters: SimResult['counters'];
  readonly joinMs: number[];
  readonly repairMs: number[];
  readonly samples: SimSample[];
  /** Block failure probability by (paths, stripes out) code; see `continuity.ts`. */
  readonly failCache: Map<number, number>;
  /** Peer-stripe time accounted, and how much of it was too slow for the deadline or for a retry. */
  readonly pathTime: { total: number; late: number; noRetry: number; delaySum: number };
  /** Continuity of scored peers that left. */
  readonly finished: number[];
  readonly worst: SimResult['worst'];
}

/** A fresh world for `c` (already validated): no peers, nothing scheduled. */
export function createWorld(c: SimConfig): SimWorld {
  const stripes = c.stripes;
  const rootSlots = rootSlotsFor(c);
  const peers = new Map<PeerId, SimPeer>();
  const tree = createPlacementTree({ stripes, rootSlots, backups: c.backups });
  const measureFrom = (c.rampS + c.settleS) * 1000;
  return {
    c,
    stripes,
    rngNet: createRng(c.seed, 1),
    rngPeer: createRng(c.seed, 2),
    rngChurn: createRng(c.seed, 3),
    margin: stripeMargin(c),
    copyRate: stripeCopyRate(c),
    rootSlots,
    tree,
    queue: new EventQueue<SimEvent>(),
    peers,
    present: [],
    presentAt: new Map(),
    positions: new Map(),
    cutSince: new Map(),
    paths: new PathTable(stripes, tree, peers, c.net, c.forwardMs),
    blockMs: 1000 / c.blocksPerSecond,
    measureFrom,
    end: measureFrom + c.minutes * 60_000,
    lagMs: 5000,
    accountedTo: measureFrom,
    nextId: 0,
    slotSum: 0,
    counters: { joins: 0, graceful: 0, crashes: 0, repairs: 0, backupSwitches: 0, coordinatorAnswers: 0, orphanedStripes: 0, moves: 0, lateRecords: 0 },
    joinMs: [],
    repairMs: [],
    samples: [],
    failCache: new Map(),
    pathTime: { total: 0, late: 0, noRetry: 0, delaySum: 0 },
    finished: [],
    worst: [],
  };
}

/** The `cutSince` key of (peer, stripe). */
export const cutKey = (id: PeerId, s: number): string => `${id}|${s}`;

/** Round trip between two hosts (the root included), whether or not they are still present. */
export function rtt(w: SimWorld, a: PeerId, b: PeerId): number {
  return rttBetween(positionOf(w, a), positionOf(w, b), w.c.net);
}

function positionOf(w: SimWorld, id: PeerId): Point {
  return id === ROOT ? ORIGIN : w.positions.get(id)!;
}

/** Whether `id` still answers: the root always does; a peer until it leaves or crashes. */
export function alive(w: SimWorld, id: PeerId): boolean {
  if (id === ROOT) return true;
  const peer = w.peers.get(id);
  return peer?.dead === false && peer.leftAt === Infinity;
}
