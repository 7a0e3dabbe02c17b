/**
 * The deterministic discrete-event simulator of the P2P fan-out. It drives the same placement tree
 * (`../tree/`) and the same peer repair policy (`../repair.ts`) the live coordinator and peers use,
 * on a virtual clock, with modelled links and churn.
 *
 * What is simulated event by event: arrivals (flash crowd, then one per departure), graceful leaves
 * and crashes, the children's silence timers and backup tries, the coordinator's parentLost answers,
 * its dead-peer detection and its periodic rebalance. What is integrated rather than simulated per
 * symbol: the stream itself. For every peer and stripe the simulator keeps the intervals during
 * which the stripe did not reach it (an ancestor dead or cut off, until the repair below that
 * ancestor completes); every window it turns those intervals, the stripes whose path is too slow
 * for the deadline, and each path's residual random loss after link repair into the expected
 * number of blocks lost (exact binomial arithmetic per block; see `block-loss.ts`).
 * Planned moves (push-down, leave, rebalance) are make-before-break and cost nothing.
 */
import { createRng, type Rng } from '../../proxy/prng.js';
import { backfillRange, backupsToTry, raceRepair, tryBackups } from '../repair.js';
import { createPlacementTree, type PlacementTreeImpl } from '../tree/placement-tree.js';
import { ROOT, type Move, type PeerId } from '../tree/types.js';
import { blockFailure, type BlockShape } from './block-loss.js';
import { rootSlotsFor, slotsFor, stripeCopyRate, stripeMargin, validate, type SimConfig } from './config.js';
import { EventQueue } from './event-queue.js';
import { drawPosition, rttBetween, type Point } from './network.js';
import { summarize, type Distribution } from './stats.js';

interface SimPeer {
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

/** A peer's path from the root in one stripe: one-way delay, hops, slowest hop's RTT. */
interface Path {
  delay: number;
  hops: number;
  maxHopRtt: number;
}

type Event =
  | { kind: 'arrive' }
  | { kind: 'depart' }
  | { kind: 'silence'; id: PeerId; stripe: number; parent: PeerId }
  | { kind: 'detect'; id: PeerId }
  | { kind: 'rebalance' }
  | { kind: 'sample' };

/** One row of the time series (every `sampleS`). */
export interface SimSample {
  t: number;
  peers: number;
  maxDepth: number;
  minDepth: number;
  meanDepth: number;
  /** The root's upload as a multiple of the stream. */
  rootUpload: number;
  borrowed: number;
  orphaned: number;
  /** Stripes cut off right now (peer x stripe pairs waiting for a repair). */
  cutOff: number;
  /** Mean continuity over the peers present in the window that ended `lag` before `t` (when one ended). */
  windowContinuity: number | null;
}

export interface SimResult {
  config: SimConfig;
  slots: { peerMean: number; root: number; stripeCopyRate: number };
  /** Peers scored (present at least 1 s of the measured window after their first block). */
  scored: number;
  continuity: { mean: number; p1: number; min: number; atLeast999: number };
  depth: { maxOverRun: number; minDepth: number; ratio: number; meanDepth: number; finalMax: number };
  rootUpload: { min: number; max: number };
  joinMs: Distribution;
  repairMs: Distribution;
  counters: {
    joins: number;
    graceful: number;
    crashes: number;
    repairs: number;
    backupSwitches: number;
    coordinatorAnswers: number;
    orphanedStripes: number;
    moves: number;
    lateRecords: number;
  };
  samples: SimSample[];
  /**
   * Over the measured peer-stripe time: the share whose path from the root was slower than the
   * deadline (counted out), the share too slow for a link retry, and the mean path delay (ms).
   */
  paths: { lateShare: number; noRetryShare: number; meanDelayMs: number };
  /** The five worst peers: continuity, blocks produced while they were present, blocks lost. */
  worst: { id: PeerId; continuity: number; producedBlocks: number; lostBlocks: number }[];
  /** Continuity at each 0.1% of peers, worst first (1001 points). */
  continuityCdf: number[];
  runtimeMs: number;
}

/** Runs one simulation; deterministic for a given config (seed included). */
export function simulate(config: SimConfig, progress?: (line: string) => void): SimResult {
  validate(config);
  if (config.stripes > 7) throw new RangeError('the simulator handles at most 7 stripes');
  const c = config;
  const started = Date.now();
  const rngNet = createRng(c.seed, 1);
  const rngPeer = createRng(c.seed, 2);
  const rngChurn = createRng(c.seed, 3);
  const S = c.stripes;
  const margin = stripeMargin(c);
  const shapeOfBlock: BlockShape = { k: c.k, n: c.n, stripes: S };
  const copyRate = stripeCopyRate(c);
  const rootSlots = rootSlotsFor(c);
  const tree: PlacementTreeImpl = createPlacementTree({ stripes: S, rootSlots, backups: c.backups });
  const queue = new EventQueue<Event>();
  const peers = new Map<PeerId, SimPeer>();
  const present: SimPeer[] = [];
  const presentAt = new Map<PeerId, number>();
  const origin: Point = { x: 0, y: 0 };
  /** (peer, stripe) -> since when the stripe has not reached it, for stripes waiting on a repair. */
  const cutSince = new Map<string, number>();
  const key = (id: PeerId, s: number): string => `${id}|${s}`;
  const blockMs = 1000 / c.blocksPerSecond;
  const measureFrom = (c.rampS + c.settleS) * 1000;
  const end = measureFrom + c.minutes * 60_000;
  const lagMs = 5000;
  let accountedTo = measureFrom;
  let nextId = 0;
  let slotSum = 0;
  const counters = { joins: 0, graceful: 0, crashes: 0, repairs: 0, backupSwitches: 0, coordinatorAnswers: 0, orphanedStripes: 0, moves: 0, lateRecords: 0 };
  const joinMs: number[] = [];
  const repairMs: number[] = [];
  const samples: SimSample[] = [];
  const failCache = new Map<number, number>();
  /** Peer-stripe time accounted, and how much of it was too slow for the deadline or for a retry. */
  const pathTime = { total: 0, late: 0, noRetry: 0, delaySum: 0 };
  const finished: number[] = []; // continuity of scored peers that left
  const worst: SimResult['worst'] = [];

  /** Positions outlive the peers: a stale backup list may still name one that left. */
  const positions = new Map<PeerId, Point>();
  const posOf = (id: PeerId): Point => (id === ROOT ? origin : positions.get(id)!);
  const rtt = (a: PeerId, b: PeerId): number => rttBetween(posOf(a), posOf(b), c.net);
  const alive = (id: PeerId): boolean => id === ROOT || (peers.get(id)?.dead === false && peers.get(id)!.leftAt === Infinity);

  function drawSlots(rng: Rng): number {
    if (rng() < c.noUploadShare) return 0;
    const [lo, hi] = c.peerBudget;
    return slotsFor(lo + (hi - lo) * rng(), c);
  }

  /** Marks `child`'s stripe `s` as cut off since `since` and arms its silence timer. */
  function cutOff(child: PeerId, s: number, parent: PeerId, since: number, now: number): void {
    const k = key(child, s);
    const prev = cutSince.get(k);
    cutSince.set(k, prev === undefined ? since : Math.min(prev, since));
    queue.push(now + c.repair.silenceMs, { kind: 'silence', id: child, stripe: s, parent });
  }

  /** The stripe reaches `id` again at `at`: every peer below it had it missing since the cut. */
  function restore(id: PeerId, s: number, at: number, newParent: PeerId): void {
    const k = key(id, s);
    const since = cutSince.get(k);
    if (since === undefined) return;
    cutSince.delete(k);
    let until = at;
    if (c.backfill) {
      // Symbols still inside the deadline are fetched again from the new parent.
      const [from] = backfillRange(since, at, rtt(id, newParent), c.latencyMs - pathDelay(id, s));
      until = Math.max(since, from);
    }
    repairMs.push(at - since);
    if (until <= since) return;
    const stack = [id];
    while (stack.length > 0) {
      const m = stack.pop()!;
      const p = peers.get(m);
      if (p === undefined) continue;
      // Outage already behind the accounting (measured) window: not counted; reported.
      if (since < accountedTo && accountedTo > measureFrom && until > measureFrom) counters.lateRecords++;
      p.outages.push(s, since, until);
      for (const ch of tree.childrenOf(m, s)) stack.push(ch);
    }
  }

  /** One-way delay from the root to `id` in `s` along its current path (hops: rtt / 2 + forwarding). */
  function pathDelay(id: PeerId, s: number): number {
    let d = 0;
    for (let m: PeerId | null = id; m !== null && m !== ROOT; ) {
      const p: PeerId | null = tree.parentOf(m, s);
      if (p === null) break;
      d += rtt(m, p) / 2 + c.forwardMs;
      m = p;
    }
    return d;
  }

  function applyMoves(moves: readonly Move[], now: number): void {
    counters.moves += moves.length;
    for (const mv of moves) {
      if (!alive(mv.to)) cutOff(mv.child, mv.stripe, mv.to, now, now);
      else if (cutSince.has(key(mv.child, mv.stripe))) {
        // An orphan placed, or a cut-off child moved away from a dead parent: data flows again once
        // the coordinator's word arrives and the new parent answers.
        restore(mv.child, mv.stripe, now + rtt(mv.child, ROOT) / 2 + rtt(mv.child, mv.to), mv.to);
      }
    }
  }

  function arrive(now: number): void {
    const id = `p${nextId++}`;
    const pos = drawPosition(rngNet, c.net);
    const slots = drawSlots(rngPeer);
    ensurePathRoom(nextId);
    const peer: SimPeer = { id, ix: nextId - 1, pos, slots, joinedAt: now, activeFrom: Infinity, leftAt: Infinity, dead: false, lastPaths: null, outages: [], produced: 0, lost: 0 };
    peers.set(id, peer);
    positions.set(id, pos);
    presentAt.set(id, present.length);
    present.push(peer);
    slotSum += slots;
    counters.joins++;
    const toCoordinator = rttBetween(pos, origin, c.net);
    const placement = tree.join({ id, slots, rttMs: toCoordinator });
    applyMoves(placement.moves ?? [], now);
    // First block: the join round trip, then the slowest of the stripes it needs to subscribe to,
    // then one block's worth of symbols.
    const ready: number[] = [];
    for (const sp of placement.parents) {
      if (alive(sp.parent)) ready.push(rtt(id, sp.parent));
      else cutOff(id, sp.stripe, sp.parent, now, now);
    }
    for (let s = 0; s < S; s++) if (tree.parentOf(id, s) === null) cutSince.set(key(id, s), now);
    ready.sort((a, b) => a - b);
    const need = S - margin;
    if (ready.length >= need) {
      const t = toCoordinator + ready[need - 1]! + blockMs;
      peer.activeFrom = now + t;
      if (now >= c.rampS * 1000) joinMs.push(t);
    }
  }

  function removePresent(peer: SimPeer): void {
    const i = presentAt.get(peer.id)!;
    const last = present.pop()!;
    if (last !== peer) {
      present[i] = last;
      presentAt.set(last.id, i);
    }
    presentAt.delete(peer.id);
  }

  function depart(now: number): void {
    if (present.length === 0) return;
    const peer = present[Math.floor(rngChurn() * present.length)]!;
    const crash = rngChurn() < c.crashShare;
    removePresent(peer);
    peer.lastPaths = snapshotPaths(peer);
    peer.leftAt = now;
    slotSum -= peer.slots;
    if (crash) {
      counters.crashes++;
      peer.dead = true;
      for (let s = 0; s < S; s++) {
        const since = cutSince.get(key(peer.id, s)) ?? now;
        for (const ch of tree.childrenOf(peer.id, s)) cutOff(ch, s, peer.id, since, now);
        cutSince.delete(key(peer.id, s));
      }
      queue.push(now + c.detectMs, { kind: 'detect', id: peer.id });
    } else {
      counters.graceful++;
      // A leaver that was itself cut off hands its children over already short of data.
      for (let s = 0; s < S; s++) {
        const since = cutSince.get(key(peer.id, s));
        if (since === undefined) continue;
        for (const ch of tree.childrenOf(peer.id, s)) cutSince.set(key(ch, s), Math.min(cutSince.get(key(ch, s)) ?? since, since));
        cutSince.delete(key(peer.id, s));
      }
      applyMoves(tree.leave(peer.id), now);
      finish(peer);
    }
    queue.push(now, { kind: 'arrive' });
  }

  function silence(ev: Extract<Event, { kind: 'silence' }>, now: number): void {
    const { id, stripe: s, parent } = ev;
    if (!tree.has(id) || tree.parentOf(id, s) !== parent) return;
    counters.repairs++;
    const others = new Set<PeerId>();
    for (let t = 0; t < S; t++) if (t !== s) others.add(tree.parentOf(id, t) ?? '');
    const watch = { stripe: s, parent, backups: [...tree.backupsOf(id, s)], lastHeardMs: now - c.repair.silenceMs };
    const outcome = tryBackups(
      backupsToTry(watch, others, c.repair, tree.childrenOf(id, s).length > 0),
      (b) => (!alive(b) ? 'silent' : tree.canAttach(id, s, b) ? 'accepted' : 'refused'),
      (b) => rtt(id, b),
      c.repair,
    );
    // The report to the coordinator races the backup tries (see repair.ts): the coordinator
    // places the child when the report arrives; a backup that answers first overrides that.
    const answer = tree.parentLost(id, s, parent);
    const viaCoordinator = answer === null ? null : rtt(id, ROOT) + rtt(id, answer.parent);
    const winner = raceRepair(outcome, viaCoordinator);
    if (winner === null) {
      counters.orphanedStripes++;
      return; // stays cut off until a rebalance places it (applyMoves restores it then)
    }
    if (winner.via === 'backup') {
      tree.attach(id, s, winner.to);
      // The coordinator's own pick may have taken the backup's last slot meanwhile; then its pick stands.
      if (tree.parentOf(id, s) === winner.to) {
        counters.backupSwitches++;
        restore(id, s, now + winner.elapsedMs, winner.to);
        return;
      }
    }
    if (answer === null) {
      counters.orphanedStripes++;
      return;
    }
    counters.coordinatorAnswers++;
    const to = answer.parent;
    const at = now + (viaCoordinator ?? winner.elapsedMs);
    if (!alive(to)) cutOff(id, s, to, cutSince.get(key(id, s)) ?? now, at);
    else restore(id, s, at, to);
  }

  function detect(id: PeerId, now: number): void {
    const peer = peers.get(id);
    if (peer === undefined) return;
    applyMoves(tree.leave(id), now);
    for (let s = 0; s < S; s++) cutSince.delete(key(id, s));
    finish(peer);
  }

  /** A departed peer's last window is accounted when its window closes; then it is dropped. */
  function finish(peer: SimPeer): void {
    if (peer.leftAt <= accountedTo) score(peer);
  }

  function score(peer: SimPeer): void {
    if (peer.produced >= c.blocksPerSecond) {
      finished.push(1 - peer.lost / peer.produced);
      noteWorst(peer);
    }
    peers.delete(peer.id);
  }

  /** Keeps the few worst peers for the report (who they were, not just a number). */
  function noteWorst(peer: SimPeer): void {
    const entry = { id: peer.id, continuity: 1 - peer.lost / peer.produced, producedBlocks: Math.round(peer.produced), lostBlocks: Math.round(peer.lost * 10) / 10 };
    worst.push(entry);
    worst.sort((a, b) => a.continuity - b.continuity);
    if (worst.length > 5) worst.pop();
  }

  /** Accounts the blocks of window [from, to) for every present (and recently departed) peer. */
  function account(from: number, to: number): number | null {
    const blocksPerMs = c.blocksPerSecond / 1000;
    const budget = c.latencyMs;
    const p = c.linkLoss;
    pathWindow++;
    let sum = 0;
    let count = 0;
    const scratch: Path = { delay: 0, hops: 0, maxHopRtt: 0 };
    const q = new Array<number>(S).fill(0);
    const done: SimPeer[] = [];
    for (const peer of peers.values()) {
      const a = Math.max(from, peer.activeFrom);
      const b = Math.min(to, peer.leftAt);
      if (b > a) {
        q.fill(0);
        let lateMask = 0;
        // The failure probability depends only on (hops, retried) per stripe and the mask of
        // stripes out: a small code, cached across peers and windows.
        let code = 0;
        for (let s = 0; s < S; s++) {
          let path: Path | null;
          if (peer.lastPaths !== null) path = peer.lastPaths[s]!;
          else if (pathOf(peer, s)) {
            scratch.delay = paths.delay[s]![peer.ix]!;
            scratch.hops = paths.hops[s]![peer.ix]!;
            scratch.maxHopRtt = paths.maxHop[s]![peer.ix]!;
            path = scratch;
          } else path = null;
          pathTime.total += b - a;
          if (path === null || path.delay > budget) {
            lateMask |= 1 << s;
            pathTime.late += b - a;
            continue;
          }
          // A hop's retry helps only if it still makes the deadline; judged by the slowest hop.
          const retried = path.delay + path.maxHopRtt <= budget;
          if (!retried) pathTime.noRetry += b - a;
          pathTime.delaySum += (b - a) * path.delay;
          const r = p ** (1 + (retried ? c.nackRetries : 0));
          q[s] = 1 - (1 - r) ** path.hops;
          code += (Math.min(path.hops, 63) * 2 + (retried ? 1 : 0)) * 128 ** s;
        }
        const fail = (mask: number): number => {
          const k = code * 2 ** S + mask;
          let f = failCache.get(k);
          if (f === undefined) failCache.set(k, (f = blockFailure(shapeOfBlock, mask, q)));
          return f;
        };
        let lost = 0;
        const o = peer.outages;
        if (o.length === 0) lost = (b - a) * fail(lateMask);
        else {
          // Sweep the window: durations per set of stripes out.
          const marks: [number, number, number][] = [];
          for (let i = 0; i < o.length; i += 3) {
            const x = Math.max(a, o[i + 1]!);
            const y = Math.min(b, o[i + 2]!);
            if (y > x) marks.push([x, o[i]!, 1], [y, o[i]!, -1]);
          }
          marks.sort((u, v) => u[0] - v[0] || u[2] - v[2]);
          const depth = new Array<number>(S).fill(0);
          let t = a;
          let mask = lateMask;
          for (const [at, s, d] of marks) {
            lost += (at - t) * fail(mask);
            t = at;
            depth[s]! += d;
            mask = lateMask;
            for (let i = 0; i < S; i++) if (depth[i]! > 0) mask |= 1 << i;
          }
          lost += (b - t) * fail(mask);
        }
        peer.produced += (b - a) * blocksPerMs;
        peer.lost += lost * blocksPerMs;
        sum += 1 - lost / (b - a);
        count++;
      }
      // Drop outage records that ended before this window's end.
      if (peer.outages.length > 0) {
        const keep: number[] = [];
        for (let i = 0; i < peer.outages.length; i += 3) if (peer.outages[i + 2]! > to) keep.push(peer.outages[i]!, peer.outages[i + 1]!, peer.outages[i + 2]!);
        peer.outages = keep;
      }
      if (peer.leftAt <= to) done.push(peer);
    }
    for (const peer of done) score(peer);
    accountedTo = to;
    return count > 0 ? sum / count : null;
  }

  /**
   * Each peer's path in each stripe (delay, hops, slowest hop), computed once per window for every
   * peer by climbing to the first ancestor already known. Stored in flat arrays indexed by a
   * per-peer number and stamped with the window, so a window allocates nothing per peer.
   */
  const paths = {
    cap: 0,
    stamp: [] as Int32Array[],
    delay: [] as Float64Array[],
    hops: [] as Int32Array[],
    maxHop: [] as Float64Array[],
  };
  let pathWindow = 0;
  const climb: SimPeer[] = [];
  function ensurePathRoom(ix: number): void {
    if (ix < paths.cap) return;
    const cap = Math.max(1024, paths.cap * 2, ix + 1);
    const grow = <A extends Int32Array | Float64Array>(old: A[], make: (n: number) => A): A[] =>
      Array.from({ length: S }, (_, s) => {
        const a = make(cap);
        if (old[s]) a.set(old[s]!);
        return a;
      });
    paths.stamp = grow(paths.stamp, (n) => new Int32Array(n));
    paths.delay = grow(paths.delay, (n) => new Float64Array(n));
    paths.hops = grow(paths.hops, (n) => new Int32Array(n));
    paths.maxHop = grow(paths.maxHop, (n) => new Float64Array(n));
    paths.cap = cap;
  }

  /** Fills `peer`'s path in `s` for the current window; false when it is cut from the root. */
  function pathOf(peer: SimPeer, s: number): boolean {
    const stamp = paths.stamp[s]!;
    if (stamp[peer.ix] === pathWindow) return paths.hops[s]![peer.ix]! >= 0;
    climb.length = 0;
    let m: SimPeer | undefined = peer;
    let base: SimPeer | null = null; // null: the root
    let cut = false;
    for (;;) {
      climb.push(m);
      const pid = tree.parentOf(m.id, s);
      if (pid === null) {
        cut = true;
        break;
      }
      if (pid === ROOT) break;
      const next = peers.get(pid);
      if (next === undefined) {
        cut = true;
        break;
      }
      if (stamp[next.ix] === pathWindow) {
        base = next;
        break;
      }
      m = next;
    }
    const delay = paths.delay[s]!;
    const hops = paths.hops[s]!;
    const maxHop = paths.maxHop[s]!;
    let d = 0;
    let h = 0;
    let mh = 0;
    let above: SimPeer | null = base;
    if (base !== null) {
      d = delay[base.ix]!;
      h = hops[base.ix]!;
      mh = maxHop[base.ix]!;
      if (h < 0) cut = true;
    }
    for (let i = climb.length - 1; i >= 0; i--) {
      const node = climb[i]!;
      if (!cut) {
        const hop = above === null ? rttBetween(node.pos, origin, c.net) : rttBetween(node.pos, above.pos, c.net);
        d += hop / 2 + c.forwardMs;
        h += 1;
        if (hop > mh) mh = hop;
      }
      stamp[node.ix] = pathWindow;
      delay[node.ix] = d;
      hops[node.ix] = cut ? -1 : h;
      maxHop[node.ix] = mh;
      above = node;
    }
    return !cut;
  }

  function snapshotPaths(peer: SimPeer): (Path | null)[] {
    pathWindow++;
    return Array.from({ length: S }, (_, s) =>
      pathOf(peer, s) ? { delay: paths.delay[s]![peer.ix]!, hops: paths.hops[s]![peer.ix]!, maxHopRtt: paths.maxHop[s]![peer.ix]! } : null,
    );
  }

  function sample(now: number): void {
    const shape = tree.shape();
    let windowContinuity: number | null = null;
    const upTo = Math.min(end, now - lagMs);
    if (upTo >= Math.min(end, accountedTo + c.windowS * 1000) && upTo > accountedTo) windowContinuity = account(accountedTo, upTo);
    samples.push({
      t: now / 1000,
      peers: shape.peers,
      maxDepth: shape.maxDepth,
      minDepth: shape.minDepth,
      meanDepth: shape.meanDepth,
      rootUpload: shape.rootChildren * copyRate,
      borrowed: shape.borrowed,
      orphaned: shape.orphaned,
      cutOff: cutSince.size,
      windowContinuity,
    });
    progress?.(
      `t=${(now / 1000).toFixed(0)}s peers=${shape.peers} depth max ${shape.maxDepth} (min ${shape.minDepth}) mean ${shape.meanDepth.toFixed(2)} ` +
        `root ${(shape.rootChildren * copyRate).toFixed(2)}x cut ${cutSince.size}` +
        (windowContinuity === null ? '' : ` window continuity ${(windowContinuity * 100).toFixed(3)}%`),
    );
  }

  // Schedule: flash crowd, churn, rebalancing, samples.
  for (let i = 0; i < c.peers; i++) queue.push(rngChurn() * c.rampS * 1000, { kind: 'arrive' });
  const departRate = (c.churnPerMinute * c.peers) / 60_000; // per ms
  const nextDeparture = (now: number): number => now - Math.log(Math.max(rngChurn(), 1e-12)) / departRate;
  if (departRate > 0) queue.push(nextDeparture(c.rampS * 1000), { kind: 'depart' });
  queue.push(c.rebalanceEveryMs, { kind: 'rebalance' });
  queue.push(c.sampleS * 1000, { kind: 'sample' });
  const moveBudget = c.rebalanceMoves > 0 ? c.rebalanceMoves : Math.max(5, Math.ceil(c.peers / 800));
  const horizon = end + lagMs + c.sampleS * 1000;

  for (;;) {
    const next = queue.pop();
    if (next === undefined || next.time > horizon) break;
    const { time: now, item: ev } = next;
    switch (ev.kind) {
      case 'arrive':
        arrive(now);
        break;
      case 'depart':
        if (now < end) {
          depart(now);
          queue.push(nextDeparture(now), { kind: 'depart' });
        }
        break;
      case 'silence':
        silence(ev, now);
        break;
      case 'detect':
        detect(ev.id, now);
        break;
      case 'rebalance':
        applyMoves(tree.rebalance(moveBudget), now);
        queue.push(now + c.rebalanceEveryMs, { kind: 'rebalance' });
        break;
      case 'sample':
        sample(now);
        queue.push(now + c.sampleS * 1000, { kind: 'sample' });
        break;
    }

  }
  if (accountedTo < end) account(accountedTo, end);
  const scored = [...finished];
  for (const peer of peers.values()) {
    if (peer.produced < c.blocksPerSecond) continue;
    scored.push(1 - peer.lost / peer.produced);
    noteWorst(peer);
  }
  scored.sort((a, b) => a - b);

  const measured = samples.filter((x) => x.t * 1000 >= measureFrom && x.t * 1000 <= end);
  const maxOverRun = Math.max(...measured.map((x) => x.maxDepth));
  const minDepth = Math.max(...measured.map((x) => x.minDepth));
  const cdf: number[] = [];
  for (let i = 0; i <= 1000; i++) cdf.push(scored.length === 0 ? 1 : scored[Math.min(scored.length - 1, Math.floor((i / 1000) * scored.length))]!);
  return {
    config: c,
    slots: { peerMean: slotSum / Math.max(1, present.length), root: rootSlots, stripeCopyRate: copyRate },
    scored: scored.length,
    continuity: {
      mean: scored.reduce((x, y) => x + y, 0) / Math.max(1, scored.length),
      p1: scored[Math.floor(scored.length * 0.01)] ?? 1,
      min: scored[0] ?? 1,
      atLeast999: scored.filter((x) => x >= 0.999).length / Math.max(1, scored.length),
    },
    depth: {
      maxOverRun,
      minDepth,
      ratio: Math.max(...measured.map((x) => x.maxDepth / Math.max(1, x.minDepth))),
      meanDepth: measured.reduce((x, y) => x + y.meanDepth, 0) / Math.max(1, measured.length),
      finalMax: tree.shape().maxDepth,
    },
    rootUpload: { min: Math.min(...measured.map((x) => x.rootUpload)), max: Math.max(...measured.map((x) => x.rootUpload)) },
    joinMs: summarize(joinMs),
    repairMs: summarize(repairMs),
    counters,
    samples,
    paths: {
      lateShare: pathTime.late / Math.max(1, pathTime.total),
      noRetryShare: pathTime.noRetry / Math.max(1, pathTime.total),
      meanDelayMs: pathTime.delaySum / Math.max(1, pathTime.total - pathTime.late),
    },
    worst,
    continuityCdf: cdf,
    runtimeMs: Date.now() - started,
  };
}
