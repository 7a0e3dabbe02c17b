import { minDepthOf } from './depth-bound.js';
import { check } from './invariants.js';
import { join } from './join.js';
import { leave } from './leave.js';
import { rebalance } from './rebalance.js';
import { attach, canAttach, heard, parentLost } from './repair.js';
import { createTreeState, getNode } from './tree-state.js';
import type { PeerId, PlacementTree, TreeShape } from './types.js';

/** Settings of {@link createPlacementTree}. */
export interface PlacementTreeConfig {
  /** Stripe trees (>= 1). */
  stripes: number;
  /** Stripe copies the root (coordinator) sends at once over all stripes (>= stripes). */
  rootSlots: number;
  /** Backups handed out per stripe parent (default 2). */
  backups?: number;
  /** Rebalancing stops lifting a stripe once its max depth is within this of its minimum (default 1). */
  depthSlack?: number;
}

/** The placement tree plus figures and checks the simulator and the specs read. */
export interface PlacementTreeImpl extends PlacementTree {
  /** Whether `child` could take `stripe` from `parent` now (free slot, no cycle, parent attached). */
  canAttach(child: PeerId, stripe: number, parent: PeerId): boolean;
  /**
   * The coordinator heard from `id` (a report, a keep-alive): a peer some child reported silent is
   * alive after all, so it may get children again (and rebalance re-places any stripe it lost).
   * Call it on every report from a peer.
   */
  heard(id: PeerId): void;
  /** The backups last handed to `id` for `stripe`, best first (may be stale). */
  backupsOf(id: PeerId, stripe: number): readonly PeerId[];
  homeOf(id: PeerId): number;
  has(id: PeerId): boolean;
  /** Every peer's id, in join order. */
  peers(): IterableIterator<PeerId>;
  /** Peers whose parents are not all distinct (a last resort while too few peers exist). */
  duplicates(): number;
  /** The least possible max depth of one stripe (see `min-depth.ts`). */
  minDepthOf(stripe: number): number;
  maxDepthOf(stripe: number): number;
  /** Walks every node and returns what is inconsistent (empty when all invariants hold). O(n). */
  check(): string[];
}

/**
 * Creates the placement and repair logic for `stripes` stripe trees under one root.
 *
 * Join: the home stripe is the one with the fewest free home slots (ties: fewest home peers, then
 * lowest index), placed first. In each stripe the parent is a node with a free home slot (the
 * root's per-stripe share counts), shallowest first, then nearest in RTT to the coordinator
 * (|rtt_a - rtt_b| as a coordinate); parents are distinct (the root may repeat only when nothing
 * else exists). A peer that will not forward in a stripe goes to the leaf band (free slots one level
 * above the packed tree's bottom) when it can, keeping shallow slots for forwarders. In its home
 * stripe a forwarder takes the place of a shallower non-forwarder and adopts it (push-down, one
 * Move in `Placement.moves`) when that puts it higher than a free slot would. Where no home slot is
 * free, a peer with spare slots lends one (borrowed); failing that, during bootstrap only, a
 * parent repeats.
 *
 * Leave: the widest home child of the leaver takes its slot (its subtree rises one level), its
 * siblings go under it while it has room, then to the shallowest free slots: one move per lost
 * slot. parentLost: the silent parent is presumed dead (no new children until it leaves or is
 * heard from); in its home stripe the first forwarding child to report takes its slot, later ones
 * go under that heir while it has room. rebalance: orphans and repeated parents first, then depth
 * (moves or swaps that cut the sum of depths most without reaching the current max), then
 * borrowed slots back home.
 *
 * Everything is found through per-stripe indexes by depth, so an operation costs a few index
 * lookups, a walk up one path (sizes, heights), plus the size of any subtree whose depth changes
 * (on average about the mean depth).
 */
export function createPlacementTree(config: PlacementTreeConfig): PlacementTreeImpl {
  const { stripes, rootSlots } = config;
  const backupCount = config.backups ?? 2;
  const depthSlack = config.depthSlack ?? 1;
  if (!Number.isInteger(stripes) || stripes < 1 || stripes > 64) throw new RangeError(`stripes must be an integer 1..64, got ${stripes}`);
  if (!Number.isInteger(rootSlots) || rootSlots < stripes)
    throw new RangeError(`rootSlots must be an integer >= stripes (${stripes}), got ${rootSlots}`);
  if (!Number.isInteger(backupCount) || backupCount < 0 || backupCount > 8) throw new RangeError(`backups must be an integer 0..8, got ${backupCount}`);
  if (!Number.isInteger(depthSlack) || depthSlack < 0) throw new RangeError(`depthSlack must be an integer >= 0, got ${depthSlack}`);

  const t = createTreeState(stripes, rootSlots, backupCount, depthSlack);

  function shape(): TreeShape {
    let maxDepth = 0;
    let minDepth = 0;
    let sum = 0;
    let count = 0;
    let rootChildren = 0;
    let borrowed = 0;
    for (const s of t.stripeList) {
      maxDepth = Math.max(maxDepth, t.level[s]!.deepest());
      minDepth = Math.max(minDepth, minDepthOf(t, s));
      sum += t.depthSum[s]!;
      count += t.level[s]!.size;
      rootChildren += t.root.children[s]!.size;
      borrowed += t.borrowedKids[s]!.size;
    }
    return { peers: t.nodes.size, maxDepth, minDepth, meanDepth: count > 0 ? sum / count : 0, rootChildren, borrowed, orphaned: t.orphans.size };
  }

  return {
    stripes,
    join: (peer) => join(t, peer),
    leave: (id) => leave(t, id),
    parentLost: (id, s, parentId) => parentLost(t, id, s, parentId),
    attach: (id, s, parentId) => attach(t, id, s, parentId),
    rebalance: (maxMoves) => rebalance(t, maxMoves),
    canAttach: (id, s, parentId) => canAttach(t, id, s, parentId),
    heard: (id) => heard(t, id),
    parentOf: (id, s) => getNode(t, id)?.parent[s]?.id ?? null,
    childrenOf: (id, s) => [...(getNode(t, id)?.children[s] ?? [])].map((c) => c.id),
    depthOf: (id, s) => getNode(t, id)?.depth[s] ?? -1,
    backupsOf: (id, s) => t.nodes.get(id)?.backups[s] ?? [],
    homeOf: (id) => t.nodes.get(id)?.home ?? -1,
    has: (id) => t.nodes.has(id),
    peers: () => t.nodes.keys(),
    duplicates: () => t.dups.size,
    minDepthOf: (s) => minDepthOf(t, s),
    maxDepthOf: (s) => Math.max(0, t.level[s]!.deepest()),
    shape,
    check: () => check(t),
  };
}
