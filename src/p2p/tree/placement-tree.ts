import { DepthBuckets } from './depth-buckets.js';
import { packedDepth } from './min-depth.js';
import { newNode, type TreeNode } from './node.js';
import {
  ROOT,
  type Move,
  type PeerId,
  type PeerInfo,
  type Placement,
  type PlacementTree,
  type StripeParent,
  type TreeShape,
} from './types.js';

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

/** How strictly a parent search treats the peer's parents in its other stripes. */
const enum Mode {
  /** Parents must be distinct peers; the root only if it is not a parent elsewhere. */
  Distinct,
  /** Any parent but the peer itself and its descendants (bootstrap's last resort). */
  Any,
}

/** The first `n` items of an iterable. */
function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of items) {
    yield x;
    if (--n <= 0) return;
  }
}

/** Candidates looked at per search before giving up on an index: keeps a search bounded. */
const SCAN_LIMIT = 256;

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

  const S = stripes;
  const stripeList = Array.from({ length: S }, (_, s) => s);
  // The root's slots are dealt to the stripes round robin: the same upload every stripe, fixed.
  const quota = stripeList.map((s) => Math.floor(rootSlots / S) + (s < rootSlots % S ? 1 : 0));
  const root = newNode(ROOT, rootSlots, 0, -1, S);
  const nodes = new Map<PeerId, TreeNode>();
  /** Nodes with a free home slot, per stripe, by depth and RTT bin (the root at depth 0). */
  const free = stripeList.map(() => new DepthBuckets<TreeNode>(16));
  /** Attached peers that are not home in the stripe, by depth: who push-down may displace. */
  const nonHome = stripeList.map(() => new DepthBuckets<TreeNode>());
  /** Every attached peer by depth: max depth, mean depth, who is deepest. */
  const level = stripeList.map(() => new DepthBuckets<TreeNode>());
  const depthSum = stripeList.map(() => 0);
  /** Free home slots per stripe (root's included) and home peers' slot counts. */
  const freeHome = [...quota];
  const homeCount = stripeList.map(() => 0);
  const homeSlots = stripeList.map(() => new Map<number, number>());
  /** Children held on a lender's non-home slot, per stripe. */
  const borrowedKids = stripeList.map(() => new Set<TreeNode>());
  const orphans = new Set<TreeNode>();
  const dups = new Set<TreeNode>();
  /** Peers a child reported silent: presumed dead until they leave, so nobody is sent to them. */
  const suspects = new Set<TreeNode>();
  /** A silent peer's first forwarding child that took its slot: where its other children go. */
  const heirs = new Map<TreeNode, TreeNode>();

  const freeOf = (n: TreeNode, s: number): number => (n === root ? quota[s]! - n.children[s]!.size : n.slots - n.used);
  const attached = (n: TreeNode, s: number): boolean => n === root || n.parent[s] !== null;
  const get = (id: PeerId): TreeNode | undefined => (id === ROOT ? root : nodes.get(id));

  /** Re-files `n` in stripe `s`'s indexes after its depth, children or slot use changed. */
  function file(n: TreeNode, s: number): void {
    const d = n.depth[s]!;
    const wantFree = attached(n, s) && (n === root || n.home === s) && freeOf(n, s) > 0 && !suspects.has(n) ? d : -1;
    if (n.freeAt[s] !== wantFree) {
      if (n.freeAt[s]! >= 0) free[s]!.delete(n, n.freeAt[s]!, n.bin);
      if (wantFree >= 0) free[s]!.add(n, wantFree, n.bin);
      n.freeAt[s] = wantFree;
    }
    if (n === root) return;
    const at = n.parent[s] !== null ? d : -1;
    if (n.levelAt[s] !== at) {
      if (n.levelAt[s]! >= 0) {
        level[s]!.delete(n, n.levelAt[s]!);
        depthSum[s]! -= n.levelAt[s]!;
      }
      if (at >= 0) {
        level[s]!.add(n, at);
        depthSum[s]! += at;
      }
      n.levelAt[s] = at;
    }
    const wantNonHome = n.home !== s ? at : -1;
    if (n.nonHomeAt[s] !== wantNonHome) {
      if (n.nonHomeAt[s]! >= 0) nonHome[s]!.delete(n, n.nonHomeAt[s]!);
      if (wantNonHome >= 0) nonHome[s]!.add(n, wantNonHome);
      n.nonHomeAt[s] = wantNonHome;
    }
  }

  function unfileAll(n: TreeNode): void {
    for (const s of stripeList) {
      if (n.freeAt[s]! >= 0) free[s]!.delete(n, n.freeAt[s]!, n.bin);
      if (n.levelAt[s]! >= 0) {
        level[s]!.delete(n, n.levelAt[s]!);
        depthSum[s]! -= n.levelAt[s]!;
      }
      if (n.nonHomeAt[s]! >= 0) nonHome[s]!.delete(n, n.nonHomeAt[s]!);
      n.freeAt[s] = n.levelAt[s] = n.nonHomeAt[s] = -1;
    }
  }

  /** Moves `n`'s subtree in `s` by `delta` levels (after `n` moved). Cost: the subtree's size. */
  function shift(n: TreeNode, s: number, delta: number): void {
    const stack = [n];
    while (stack.length > 0) {
      const m = stack.pop()!;
      m.depth[s]! += delta;
      file(m, s);
      for (const c of m.children[s]!) stack.push(c);
    }
  }

  function recheck(n: TreeNode): void {
    let orphan = false;
    let dup = false;
    for (let s = 0; s < S; s++) {
      const p = n.parent[s];
      if (p === null) orphan = true;
      else if (p !== root) for (let t = 0; t < s; t++) if (n.parent[t] === p) dup = true;
    }
    if (orphan) orphans.add(n);
    else orphans.delete(n);
    if (dup) dups.add(n);
    else dups.delete(n);
  }

  function link(child: TreeNode, s: number, parent: TreeNode): void {
    child.parent[s] = parent;
    parent.children[s]!.add(child);
    if (parent !== root) {
      parent.used++;
      freeHome[parent.home]!--;
      if (parent.home !== s) borrowedKids[s]!.add(child);
      if (parent.home !== s) file(parent, parent.home);
    } else freeHome[s]!--;
    file(parent, s);
    shift(child, s, parent.depth[s]! + 1 - child.depth[s]!);
    heights(parent, s);
    for (let m: TreeNode | null = parent; m !== null; m = m.parent[s]!) m.size[s]! += child.size[s]!;
    recheck(child);
  }

  /** Recomputes subtree heights from `n` up, stopping where nothing changes. */
  function heights(n: TreeNode | null, s: number): void {
    while (n !== null) {
      let h = 0;
      for (const c of n.children[s]!) if (c.height[s]! + 1 > h) h = c.height[s]! + 1;
      if (h === n.height[s]) return;
      n.height[s] = h;
      n = n.parent[s]!;
    }
  }

  function unlink(child: TreeNode, s: number): TreeNode | null {
    const parent = child.parent[s]!;
    if (parent === null) return null;
    child.parent[s] = null;
    parent.children[s]!.delete(child);
    if (parent !== root) {
      parent.used--;
      freeHome[parent.home]!++;
      borrowedKids[s]!.delete(child);
      if (parent.home !== s) file(parent, parent.home);
    } else freeHome[s]!++;
    file(parent, s);
    file(child, s);
    heights(parent, s);
    for (let m: TreeNode | null = parent; m !== null; m = m.parent[s]!) m.size[s]! -= child.size[s]!;
    recheck(child);
    return parent;
  }

  /** Whether `a` lies in `n`'s subtree in `s` (walks up from `a`; depth bounds the walk). */
  function isDescendant(a: TreeNode, n: TreeNode, s: number): boolean {
    if (n.children[s]!.size === 0 || a === root) return false;
    for (let m: TreeNode | null = a.parent[s]!; m !== null; m = m.parent[s]!) if (m === n) return true;
    return false;
  }

  function isParentElsewhere(x: TreeNode, p: TreeNode, s: number): boolean {
    for (let t = 0; t < S; t++) if (t !== s && x.parent[t] === p) return true;
    return false;
  }

  /** Whether `p` may become `x`'s parent in `s` under `mode` (slots are the caller's business). */
  function acceptable(x: TreeNode, s: number, p: TreeNode, mode: Mode, avoid: TreeNode | null): boolean {
    if (p === x || p === avoid || x.parent[s] === p) return false;
    if (!attached(p, s)) return false;
    if (mode === Mode.Distinct && isParentElsewhere(x, p, s)) return false;
    return !isDescendant(p, x, s);
  }

  /** Up to `limit` nodes with a free home slot in `s` acceptable as `x`'s parent, best first. */
  function homeCandidates(x: TreeNode, s: number, limit: number, mode: Mode, avoid: TreeNode | null, deepestFirst = false, from = 0): TreeNode[] {
    const out: TreeNode[] = [];
    let looked = 0;
    for (const p of free[s]!.scan(x.bin, from, deepestFirst)) {
      if (++looked > SCAN_LIMIT) break;
      if (acceptable(x, s, p, mode, avoid)) {
        out.push(p);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  /** A peer not home in `s` with a spare slot to lend, shallowest in `s` among a bounded sample. */
  function lender(x: TreeNode, s: number, mode: Mode, avoid: TreeNode | null): TreeNode | null {
    let best: TreeNode | null = null;
    let looked = 0;
    for (let off = 1; off < S; off++) {
      const t = (s + off) % S;
      for (const p of free[t]!.scan(x.bin)) {
        if (p === root) continue;
        if (++looked > SCAN_LIMIT / 4) break;
        if (acceptable(x, s, p, mode, avoid) && (best === null || p.depth[s]! < best.depth[s]!)) best = p;
      }
    }
    return best;
  }

  /** The shallowest peer not home in `s` whose place `x` could take (push-down), or null. */
  function displaceable(x: TreeNode, s: number, above: number): TreeNode | null {
    let looked = 0;
    for (const l of nonHome[s]!.scan()) {
      if (l.depth[s]! >= above || ++looked > SCAN_LIMIT) return null;
      const q = l.parent[s]!;
      if (l === x || q === x) continue;
      if (q !== root && isParentElsewhere(x, q, s)) continue;
      if (isParentElsewhere(l, x, s)) continue;
      // x adopts l, so l must not be above x in s; and q must not sit in x's subtree.
      if (isDescendant(x, l, s) || isDescendant(q, x, s)) continue;
      return l;
    }
    return null;
  }

  /**
   * Gives orphan `x` a parent in `s`; returns the moves of other peers it caused (push-down).
   * Order: a distinct home parent; push-down if that is higher; the root even if it is a parent
   * elsewhere; a borrowed slot; then, only when nothing distinct exists, a repeated parent.
   */
  function place(x: TreeNode, s: number, pushDown: boolean, avoid: TreeNode | null = null): { parent: TreeNode | null; moves: Move[] } {
    // A peer that will not forward in `s` goes to the leaf band (parents one level above the
    // packed tree's bottom) when it has room: shallow free slots are worth more to forwarders and
    // to orphaned subtrees, which would otherwise sink below the bottom.
    const forwarder = x.home === s && (x.slots > 0 || x.children[s]!.size > 0);
    let [best] = forwarder ? [] : homeCandidates(x, s, 1, Mode.Distinct, avoid, false, leafBand(s));
    best ??= homeCandidates(x, s, 1, Mode.Distinct, avoid)[0];
    if (pushDown && x.home === s && x.slots - x.used > 0) {
      const l = displaceable(x, s, best === undefined ? Infinity : best.depth[s]!);
      if (l !== null) {
        const q = unlink(l, s)!;
        link(x, s, q);
        link(l, s, x);
        return { parent: q, moves: [{ child: l.id, stripe: s, from: q.id, to: x.id }] };
      }
    }
    let p: TreeNode | null = best ?? null;
    if (p === null && freeOf(root, s) > 0 && acceptable(x, s, root, Mode.Any, avoid)) p = root;
    p ??= lender(x, s, Mode.Distinct, avoid);
    p ??= homeCandidates(x, s, 1, Mode.Any, avoid)[0] ?? null;
    p ??= lender(x, s, Mode.Any, avoid);
    if (p !== null) link(x, s, p);
    return { parent: p, moves: [] };
  }

  function refreshBackups(x: TreeNode, s: number): PeerId[] {
    // Backups are used seconds or minutes later, and joins fill free slots shallowest first: so
    // backups come from the deepest free slots, most spare slots first, which last the longest.
    // (A repair onto a deep backup is quick; rebalancing lifts the subtree afterwards.)
    // A forwarder's backups stay shallow, though: its subtree would sink with it.
    const leaf = x.home !== s || x.children[s]!.size === 0;
    const pool = backupCount === 0 ? [] : homeCandidates(x, s, backupCount * 2, Mode.Distinct, null, leaf);
    pool.sort((a, b) => Math.min(freeOf(b, s), 4) - Math.min(freeOf(a, s), 4) || (leaf ? b.depth[s]! - a.depth[s]! : a.depth[s]! - b.depth[s]!));
    const list = pool.slice(0, backupCount).map((n) => n.id);
    x.backups[s] = list;
    return list;
  }

  function stripeParent(x: TreeNode, s: number): StripeParent | null {
    const p = x.parent[s];
    return p ? { stripe: s, parent: p.id, backups: refreshBackups(x, s) } : null;
  }

  function pickHome(): number {
    let best = 0;
    for (let s = 1; s < S; s++) {
      if (freeHome[s]! < freeHome[best]! || (freeHome[s] === freeHome[best] && homeCount[s]! < homeCount[best]!)) best = s;
    }
    return best;
  }

  function join(peer: PeerInfo): Placement {
    if (typeof peer.id !== 'string' || peer.id === ROOT || nodes.has(peer.id))
      throw new RangeError(`peer id must be a new string other than '${ROOT}', got ${JSON.stringify(peer.id)}`);
    if (!Number.isInteger(peer.slots) || peer.slots < 0) throw new RangeError(`slots must be an integer >= 0, got ${peer.slots}`);
    if (!Number.isFinite(peer.rttMs) || peer.rttMs < 0) throw new RangeError(`rttMs must be a number >= 0, got ${peer.rttMs}`);
    const home = pickHome();
    const x = newNode(peer.id, peer.slots, peer.rttMs, home, S);
    nodes.set(x.id, x);
    homeCount[home]!++;
    homeSlots[home]!.set(x.slots, (homeSlots[home]!.get(x.slots) ?? 0) + 1);
    freeHome[home]! += x.slots;
    const moves: Move[] = [];
    for (let i = 0; i < S; i++) {
      const s = (home + i) % S; // home first: the push-down there must not collide with a parent elsewhere
      moves.push(...place(x, s, true).moves);
      file(x, s);
    }
    recheck(x);
    const parents = stripeList.map((s) => stripeParent(x, s)).filter((p): p is StripeParent => p !== null);
    return moves.length > 0 ? { homeStripe: home, parents, moves } : { homeStripe: home, parents };
  }

  function leave(id: PeerId): Move[] {
    const x = nodes.get(id);
    if (x === undefined) return [];
    const moves: Move[] = [];
    const formerParent = x.parent.map((p) => p);
    for (const s of stripeList) if (x.parent[s] !== null) unlink(x, s);
    // No push-down here: a leave moves the leaver's direct children and nobody else.
    const rehome = (c: TreeNode, s: number): void => {
      const { parent } = place(c, s, false);
      if (parent !== null) moves.push({ child: c.id, stripe: s, from: x.id, to: parent.id });
    };
    for (const s of stripeList) {
      const kids = [...x.children[s]!];
      for (const c of kids) unlink(c, s);
      if (kids.length === 0) continue;
      const earlier = heirs.get(x);
      let heir: TreeNode | null = earlier !== undefined && nodes.has(earlier.id) && earlier.parent[s] !== null && s === x.home ? earlier : null;
      const p = formerParent[s];
      if (heir === null && s === x.home && p !== null && p !== undefined) {
        // Promote the widest home child into x's slot: its subtree rises one level and it can
        // adopt its siblings, so the stripe keeps its shape with one move per lost slot.
        const heirs = kids.filter((c) => c.home === s && c.slots > 0).sort((a, b) => b.slots - b.used - (a.slots - a.used) || b.slots - a.slots);
        heir = heirs.find((c) => acceptable(c, s, p, p === root ? Mode.Any : Mode.Distinct, null)) ?? null;
        if (heir !== null) {
          link(heir, s, p);
          moves.push({ child: heir.id, stripe: s, from: x.id, to: p.id });
        }
      }
      // Subtrees first (they carry the depth), then leaves.
      kids.sort((a, b) => b.children[s]!.size - a.children[s]!.size);
      for (const c of kids) {
        if (c === heir) continue;
        if (heir !== null && freeOf(heir, s) > 0 && acceptable(c, s, heir, Mode.Distinct, null)) {
          link(c, s, heir);
          moves.push({ child: c.id, stripe: s, from: x.id, to: heir.id });
        } else rehome(c, s);
      }
    }
    unfileAll(x);
    suspects.delete(x);
    heirs.delete(x);
    orphans.delete(x);
    dups.delete(x);
    nodes.delete(id);
    homeCount[x.home]!--;
    const n = homeSlots[x.home]!.get(x.slots)! - 1;
    if (n === 0) homeSlots[x.home]!.delete(x.slots);
    else homeSlots[x.home]!.set(x.slots, n);
    freeHome[x.home]! -= x.slots - x.used;
    for (const s of stripeList) x.children[s]!.clear();
    x.used = 0;
    return moves;
  }

  function parentLost(childId: PeerId, s: number, parentId: PeerId): StripeParent | null {
    const x = nodes.get(childId);
    if (x === undefined || !Number.isInteger(s) || s < 0 || s >= S) return null;
    const lost = get(parentId) ?? null;
    if (x.parent[s] !== null && x.parent[s] !== lost) {
      // The child already switched (its backup was recorded first): the report still says the
      // old parent went silent.
      if (lost !== null && lost !== root) setSuspect(lost, true);
      return stripeParent(x, s);
    }
    if (lost !== null && lost !== root && x.parent[s] === lost) {
      // Silence means no packet at all, keep-alives included: the parent is presumed dead. It
      // gets no new children, and in its home stripe its first forwarding child to report takes
      // its slot (the subtree rises one level instead of sinking to wherever a slot is free).
      setSuspect(lost, true);
      const gp = lost.parent[s];
      if (s === lost.home && x.home === s && x.slots > 0 && gp !== null && !heirs.has(lost) && !isParentElsewhere(x, gp, s)) {
        unlink(lost, s);
        unlink(x, s);
        link(x, s, gp);
        heirs.set(lost, x);
        return stripeParent(x, s);
      }
      unlink(x, s);
      const heir = heirs.get(lost);
      if (heir !== undefined && nodes.has(heir.id) && freeOf(heir, s) > 0 && acceptable(x, s, heir, Mode.Distinct, lost)) {
        link(x, s, heir);
        return stripeParent(x, s);
      }
    } else if (x.parent[s] !== null) unlink(x, s);
    // No push-down here: the coordinator answers only the child, so nobody else may move.
    place(x, s, false, lost);
    return stripeParent(x, s);
  }

  function setSuspect(n: TreeNode, on: boolean): void {
    if (on === suspects.has(n)) return;
    if (on) suspects.add(n);
    else suspects.delete(n);
    file(n, n.home);
  }

  function canAttach(childId: PeerId, s: number, parentId: PeerId): boolean {
    const x = nodes.get(childId);
    const p = get(parentId);
    if (x === undefined || p === undefined || !Number.isInteger(s) || s < 0 || s >= S || p === x) return false;
    if (x.parent[s] === p) return true;
    return freeOf(p, s) > 0 && attached(p, s) && !isDescendant(p, x, s);
  }

  function attach(childId: PeerId, s: number, parentId: PeerId): void {
    // Untrusted input from the network: anything that would break the tree is ignored; the
    // child's parentLost report (or rebalance) then places it properly.
    if (!canAttach(childId, s, parentId)) return;
    const x = nodes.get(childId)!;
    const p = get(parentId)!;
    if (x.parent[s] === p) return;
    if (x.parent[s] !== null) unlink(x, s);
    link(x, s, p);
    // It answered the child, so it is alive after all.
    if (p !== root) setSuspect(p, false);
  }

  /** Moves `x` in `s` from its parent to `to`, recording the move. */
  function moveTo(x: TreeNode, s: number, to: TreeNode, moves: Move[]): void {
    const from = unlink(x, s);
    link(x, s, to);
    moves.push({ child: x.id, stripe: s, from: from?.id ?? null, to: to.id });
  }

  /** Re-places an orphaned stripe, a repeated parent or a borrowed slot; returns moves made. */
  function fixOne(x: TreeNode, s: number, moves: Move[], room: number): boolean {
    const p = x.parent[s]!;
    if (p === null) {
      const { parent, moves: extra } = place(x, s, room >= 2);
      if (parent === null) return false;
      moves.push({ child: x.id, stripe: s, from: null, to: parent.id }, ...extra);
      return true;
    }
    // A home peer on a borrowed slot: rotate it above its lender (the lender becomes its child).
    if (room >= 2 && x.home === s && p !== root && p.home !== s && x.slots - x.used > 0) {
      const q = p.parent[s];
      if (q !== null && !isParentElsewhere(x, q, s) && !isParentElsewhere(p, x, s)) {
        moves.push({ child: x.id, stripe: s, from: p.id, to: q.id });
        unlink(x, s);
        unlink(p, s);
        link(x, s, q);
        link(p, s, x);
        moves.push({ child: p.id, stripe: s, from: q.id, to: x.id });
        return true;
      }
    }
    const [to] = homeCandidates(x, s, 1, Mode.Distinct, p);
    if (to === undefined) return false;
    // Only if it does not cost depth beyond one level: a deeper subtree would need lifting later.
    if (to.depth[s]! + 1 > p.depth[s]! + 1 + (x.children[s]!.size > 0 ? 0 : 1)) return false;
    moveTo(x, s, to, moves);
    return true;
  }

  /**
   * One depth step in stripe `s`: take a deepest node and lift the highest of its home ancestors
   * that can be lifted, by a move to a shallower free slot (one move) or by a swap with a shallower
   * node whose subtree is short (two moves). Every step strictly shortens one subtree that reaches
   * the max depth without letting any other reach it, so steps converge toward the packed tree.
   */
  function liftOne(s: number, moves: Move[]): boolean {
    const D = level[s]!.deepest();
    const target = minDepthOf(s) + depthSlack;
    if (D <= target) return false;
    const z = level[s]!.firstAt(D)!;
    const chain: TreeNode[] = [];
    for (let m = z.parent[s]!; m !== null && m !== root; m = m.parent[s]!) chain.push(m);
    chain.reverse(); // chain[i] is at depth i + 1 when z is attached to the root
    // Candidate actions on the chain's home ancestors y (depth dy, subtree height hy, size ny):
    //  - a plain move of y under a shallower free slot f: y's subtree rises by dy - df - 1;
    //  - a swap of y with a shallower node w: y's subtree rises by dy - dw, w's sinks as much.
    // Neither subtree may reach D afterwards. Take the action that cuts the sum of depths most
    // (rise x nodes lifted, minus the sunk ones): a descent on total depth that never deepens the
    // stripe, so it converges; lifting a whole misplaced subtree beats lifting one deep leaf.
    const frees: TreeNode[] = [];
    for (const f of free[s]!.scan()) if (frees.push(f) >= 16) break;
    let best: { score: number; y: TreeNode; to: TreeNode; w: TreeNode | null } | null = null;
    for (const y of chain) {
      const p = y.parent[s]!;
      if (y.home !== s || p === null || suspects.has(p)) continue;
      const dy = y.depth[s]!;
      const hy = y.height[s]!;
      const ny = y.size[s]!;
      for (const f of frees) {
        const rise = dy - f.depth[s]! - 1;
        if (rise <= 0) break;
        if (f.depth[s]! + 1 + hy >= D || (best !== null && rise * ny <= best.score)) continue;
        if (f === p || !acceptable(y, s, f, Mode.Distinct, null)) continue;
        best = { score: rise * ny, y, to: f, w: null };
        break;
      }
      for (let dw = 1; dw < dy; dw++) {
        const rise = dy - dw;
        if (dw + hy >= D || (best !== null && rise * ny <= best.score)) continue;
        let looked = 0;
        for (const w of [...take(nonHome[s]!.at(dw), 8), ...take(level[s]!.at(dw), 16)]) {
          if (++looked > 24) break;
          const score = rise * (ny - w.size[s]!);
          if (score <= 0 || dy + w.height[s]! >= D || (best !== null && score <= best.score) || w === y) continue;
          const q = w.parent[s]!;
          if (q === null || q === p || suspects.has(q)) continue;
          if (q !== root && isParentElsewhere(y, q, s)) continue;
          if (p !== root && isParentElsewhere(w, p, s)) continue;
          if (isDescendant(y, w, s)) continue; // w above y: the swap would loop
          best = { score, y, to: q, w };
        }
      }
    }
    if (best === null) return false;
    const { y, to, w } = best;
    if (w === null) {
      moveTo(y, s, to, moves);
      return true;
    }
    const p = y.parent[s]!;
    unlink(y, s);
    unlink(w, s);
    link(y, s, to);
    link(w, s, p);
    moves.push({ child: y.id, stripe: s, from: p.id, to: to.id }, { child: w.id, stripe: s, from: to.id, to: p.id });
    return true;
  }

  function rebalance(maxMoves: number): Move[] {
    const moves: Move[] = [];
    if (!(maxMoves > 0)) return moves;
    // 1. Orphaned stripes and repeated parents: peers are missing data or share a failure.
    for (const x of [...orphans, ...dups]) {
      if (moves.length >= maxMoves) return moves;
      if (suspects.has(x)) continue; // presumed dead: its leave is coming
      for (const s of stripeList) {
        if (moves.length >= maxMoves) return moves;
        const p = x.parent[s];
        if (p === null || (p !== root && isParentElsewhere(x, p, s))) fixOne(x, s, moves, maxMoves - moves.length);
      }
    }
    // 2. Depth: lift misplaced subtrees, stripes in turn, until the budget or the stripes are done.
    const busy = new Set(stripeList);
    while (moves.length + 2 <= maxMoves && busy.size > 0) {
      for (const s of [...busy]) if (moves.length + 2 > maxMoves || !liftOne(s, moves)) busy.delete(s);
    }
    // 3. Borrowed slots back home.
    for (const s of stripeList) {
      for (const x of [...borrowedKids[s]!]) {
        if (moves.length >= maxMoves) return moves;
        fixOne(x, s, moves, maxMoves - moves.length);
      }
    }
    return moves;
  }

  /** Parent depth for leaves: one above the packed tree's bottom (cached per population size). */
  const bandCache = stripeList.map(() => ({ peers: -1, depth: 0 }));
  function leafBand(s: number): number {
    const c = bandCache[s]!;
    if (c.peers !== nodes.size) {
      const d = minDepthOf(s);
      c.peers = nodes.size;
      c.depth = Number.isFinite(d) ? Math.max(0, d - 1) : 0;
    }
    return c.depth;
  }

  function minDepthOf(s: number): number {
    const d = packedDepth(quota[s]!, homeSlots[s]!, nodes.size);
    if (d !== Infinity) return d;
    // Home slots cannot hold everyone (bootstrap): the bound with every peer's slots usable.
    const all = new Map<number, number>();
    for (const m of homeSlots) for (const [w, n] of m) all.set(w, (all.get(w) ?? 0) + n);
    return packedDepth(quota[s]!, all, nodes.size);
  }

  function shape(): TreeShape {
    let maxDepth = 0;
    let minDepth = 0;
    let sum = 0;
    let count = 0;
    let rootChildren = 0;
    let borrowed = 0;
    for (const s of stripeList) {
      maxDepth = Math.max(maxDepth, level[s]!.deepest());
      minDepth = Math.max(minDepth, minDepthOf(s));
      sum += depthSum[s]!;
      count += level[s]!.size;
      rootChildren += root.children[s]!.size;
      borrowed += borrowedKids[s]!.size;
    }
    return { peers: nodes.size, maxDepth, minDepth, meanDepth: count > 0 ? sum / count : 0, rootChildren, borrowed, orphaned: orphans.size };
  }

  function check(): string[] {
    const problems: string[] = [];
    const say = (m: string): void => void (problems.length < 20 && problems.push(m));
    for (const s of stripeList) {
      if (root.children[s]!.size > quota[s]!) say(`root over quota in stripe ${s}`);
      for (const c of root.children[s]!) if (c.parent[s] !== root) say(`root lists ${c.id} in ${s} wrongly`);
    }
    for (const x of nodes.values()) {
      let used = 0;
      for (const s of stripeList) {
        used += x.children[s]!.size;
        for (const c of x.children[s]!) if (c.parent[s] !== x) say(`${x.id} lists ${c.id} in ${s} but it has another parent`);
        const p = x.parent[s];
        if (p === null) {
          if (!orphans.has(x)) say(`${x.id} orphaned in ${s} but not reported`);
          continue;
        }
        if (!p.children[s]!.has(x)) say(`${x.id}'s parent ${p.id} in ${s} does not list it`);
        if (p !== root && !nodes.has(p.id)) say(`${x.id}'s parent ${p.id} in ${s} has left`);
        if (x.depth[s] !== p.depth[s]! + 1) say(`${x.id} depth ${x.depth[s]} in ${s}, parent ${p.depth[s]}`);
        let size = 1;
        let height = 0;
        for (const c of x.children[s]!) {
          size += c.size[s]!;
          height = Math.max(height, c.height[s]! + 1);
        }
        if (size !== x.size[s] || height !== x.height[s]) say(`${x.id} size/height ${x.size[s]}/${x.height[s]} in ${s}, children say ${size}/${height}`);
        // Walking up must reach the root (or an orphan) within the number of peers: no cycle.
        let steps = 0;
        for (let m: TreeNode | null = p; m !== null && m !== root; m = m.parent[s]!) {
          if (m === x || ++steps > nodes.size) {
            say(`cycle through ${x.id} in stripe ${s}`);
            break;
          }
        }
      }
      if (used !== x.used) say(`${x.id} used ${x.used} but has ${used} children`);
      if (x.used > x.slots) say(`${x.id} has ${x.used} children over ${x.slots} slots`);
      const ps = x.parent.filter((p) => p !== null && p !== root);
      if (new Set(ps).size !== ps.length && !dups.has(x)) say(`${x.id} repeats a parent but is not reported`);
    }
    return problems;
  }

  return {
    stripes: S,
    join,
    leave,
    parentLost,
    attach,
    rebalance,
    canAttach,
    heard: (id) => {
      const n = nodes.get(id);
      if (n !== undefined) setSuspect(n, false);
    },
    parentOf: (id, s) => get(id)?.parent[s]?.id ?? null,
    childrenOf: (id, s) => [...(get(id)?.children[s] ?? [])].map((c) => c.id),
    depthOf: (id, s) => get(id)?.depth[s] ?? -1,
    backupsOf: (id, s) => nodes.get(id)?.backups[s] ?? [],
    homeOf: (id) => nodes.get(id)?.home ?? -1,
    has: (id) => nodes.has(id),
    peers: () => nodes.keys(),
    duplicates: () => dups.size,
    minDepthOf,
    maxDepthOf: (s) => Math.max(0, level[s]!.deepest()),
    shape,
    check,
  };
}
