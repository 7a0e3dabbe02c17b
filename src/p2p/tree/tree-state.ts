import { DepthBuckets } from './depth-buckets.js';
import { newNode, type TreeNode } from './node.js';
import { ROOT, type Move, type PeerId } from './types.js';

/**
 * Everything one placement tree knows: its nodes, the per-stripe indexes that make every search a
 * few lookups, and the counters the figures read. The modules beside this one (join, leave,
 * repair, rebalance, backups, invariants) are functions over it; only the functions in this file
 * change links, so the indexes can never drift from the tree.
 */
export interface TreeState {
  /** Stripe trees. */
  readonly S: number;
  /** 0..S-1, for iteration. */
  readonly stripeList: readonly number[];
  /** The root's slots per stripe. */
  readonly quota: readonly number[];
  /** Backups handed out per stripe parent. */
  readonly backupCount: number;
  /** Rebalancing stops lifting a stripe once its max depth is within this of its minimum. */
  readonly depthSlack: number;
  readonly root: TreeNode;
  readonly nodes: Map<PeerId, TreeNode>;
  /** Nodes with a free home slot, per stripe, by depth and RTT bin (the root at depth 0). */
  readonly free: DepthBuckets<TreeNode>[];
  /** Attached peers that are not home in the stripe, by depth: who push-down may displace. */
  readonly nonHome: DepthBuckets<TreeNode>[];
  /** Every attached peer by depth: max depth, mean depth, who is deepest. */
  readonly level: DepthBuckets<TreeNode>[];
  readonly depthSum: number[];
  /** Free home slots per stripe (root's included). */
  readonly freeHome: number[];
  /** Home peers per stripe, and their slot counts (slots -> peers). */
  readonly homeCount: number[];
  readonly homeSlots: Map<number, number>[];
  /** Children held on a lender's non-home slot, per stripe. */
  readonly borrowedKids: Set<TreeNode>[];
  readonly orphans: Set<TreeNode>;
  readonly dups: Set<TreeNode>;
  /** Peers a child reported silent: presumed dead until they leave, so nobody is sent to them. */
  readonly suspects: Set<TreeNode>;
  /** A silent peer's first forwarding child that took its slot: where its other children go. */
  readonly heirs: Map<TreeNode, TreeNode>;
  /** Leaf band per stripe, cached per population size (see `leafBand`). */
  readonly bandCache: { peers: number; depth: number }[];
}

/** An empty tree: the root alone, its slots dealt to the stripes. Arguments are already checked. */
export function createTreeState(stripes: number, rootSlots: number, backupCount: number, depthSlack: number): TreeState {
  const S = stripes;
  const stripeList = Array.from({ length: S }, (_, s) => s);
  // The root's slots are dealt to the stripes round robin: the same upload every stripe, fixed.
  const quota = stripeList.map((s) => Math.floor(rootSlots / S) + (s < rootSlots % S ? 1 : 0));
  return {
    S,
    stripeList,
    quota,
    backupCount,
    depthSlack,
    root: newNode(ROOT, rootSlots, 0, -1, S),
    nodes: new Map(),
    free: stripeList.map(() => new DepthBuckets<TreeNode>(16)),
    nonHome: stripeList.map(() => new DepthBuckets<TreeNode>()),
    level: stripeList.map(() => new DepthBuckets<TreeNode>()),
    depthSum: stripeList.map(() => 0),
    freeHome: [...quota],
    homeCount: stripeList.map(() => 0),
    homeSlots: stripeList.map(() => new Map<number, number>()),
    borrowedKids: stripeList.map(() => new Set<TreeNode>()),
    orphans: new Set(),
    dups: new Set(),
    suspects: new Set(),
    heirs: new Map(),
    bandCache: stripeList.map(() => ({ peers: -1, depth: 0 })),
  };
}

/** Free slots `n` can give in `s`: the root's per-stripe share, or a peer's spare slots. */
export function freeOf(t: TreeState, n: TreeNode, s: number): number {
  return n === t.root ? t.quota[s]! - n.children[s]!.size : n.slots - n.used;
}

/** Whether `n` hangs from the root in `s` (the root always does): only then may it take children there. */
export function attached(t: TreeState, n: TreeNode, s: number): boolean {
  return n === t.root || n.parent[s] !== null;
}

/** The node of `id`, the root included. */
export function getNode(t: TreeState, id: PeerId): TreeNode | undefined {
  return id === ROOT ? t.root : t.nodes.get(id);
}

/** Re-files `n` in stripe `s`'s indexes after its depth, children or slot use changed. */
export function file(t: TreeState, n: TreeNode, s: number): void {
  const d = n.depth[s]!;
  const wantFree = attached(t, n, s) && (n === t.root || n.home === s) && freeOf(t, n, s) > 0 && !t.suspects.has(n) ? d : -1;
  if (n.freeAt[s] !== wantFree) {
    if (n.freeAt[s]! >= 0) t.free[s]!.delete(n, n.freeAt[s]!, n.bin);
    if (wantFree >= 0) t.free[s]!.add(n, wantFree, n.bin);
    n.freeAt[s] = wantFree;
  }
  if (n === t.root) return;
  const at = n.parent[s] !== null ? d : -1;
  if (n.levelAt[s] !== at) {
    if (n.levelAt[s]! >= 0) {
      t.level[s]!.delete(n, n.levelAt[s]!);
      t.depthSum[s]! -= n.levelAt[s]!;
    }
    if (at >= 0) {
      t.level[s]!.add(n, at);
      t.depthSum[s]! += at;
    }
    n.levelAt[s] = at;
  }
  const wantNonHome = n.home !== s ? at : -1;
  if (n.nonHomeAt[s] !== wantNonHome) {
    if (n.nonHomeAt[s]! >= 0) t.nonHome[s]!.delete(n, n.nonHomeAt[s]!);
    if (wantNonHome >= 0) t.nonHome[s]!.add(n, wantNonHome);
    n.nonHomeAt[s] = wantNonHome;
  }
}

/** Takes `n` out of every index of every stripe (it is leaving). */
export function unfileAll(t: TreeState, n: TreeNode): void {
  for (const s of t.stripeList) {
    if (n.freeAt[s]! >= 0) t.free[s]!.delete(n, n.freeAt[s]!, n.bin);
    if (n.levelAt[s]! >= 0) {
      t.level[s]!.delete(n, n.levelAt[s]!);
      t.depthSum[s]! -= n.levelAt[s]!;
    }
    if (n.nonHomeAt[s]! >= 0) t.nonHome[s]!.delete(n, n.nonHomeAt[s]!);
    n.freeAt[s] = n.levelAt[s] = n.nonHomeAt[s] = -1;
  }
}

/** Moves `n`'s subtree in `s` by `delta` levels (after `n` moved). Cost: the subtree's size. */
function shift(t: TreeState, n: TreeNode, s: number, delta: number): void {
  const stack = [n];
  while (stack.length > 0) {
    const m = stack.pop()!;
    m.depth[s]! += delta;
    file(t, m, s);
    for (const c of m.children[s]!) stack.push(c);
  }
}

/** Re-files `n` as orphaned and/or repeating a parent, from its parents in every stripe. */
export function recheck(t: TreeState, n: TreeNode): void {
  let orphan = false;
  let dup = false;
  for (let s = 0; s < t.S; s++) {
    const p = n.parent[s];
    if (p === null) orphan = true;
    else if (p !== t.root) for (let u = 0; u < s; u++) if (n.parent[u] === p) dup = true;
  }
  if (orphan) t.orphans.add(n);
  else t.orphans.delete(n);
  if (dup) t.dups.add(n);
  else t.dups.delete(n);
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

/** Makes `parent` the parent of orphan `child` in `s`, keeping every index and count current. */
export function link(t: TreeState, child: TreeNode, s: number, parent: TreeNode): void {
  child.parent[s] = parent;
  parent.children[s]!.add(child);
  if (parent !== t.root) {
    parent.used++;
    t.freeHome[parent.home]!--;
    if (parent.home !== s) t.borrowedKids[s]!.add(child);
    if (parent.home !== s) file(t, parent, parent.home);
  } else t.freeHome[s]!--;
  file(t, parent, s);
  shift(t, child, s, parent.depth[s]! + 1 - child.depth[s]!);
  heights(parent, s);
  for (let m: TreeNode | null = parent; m !== null; m = m.parent[s]!) m.size[s]! += child.size[s]!;
  recheck(t, child);
}

/** Detaches `child` from its parent in `s` (which it returns; null if it had none). */
export function unlink(t: TreeState, child: TreeNode, s: number): TreeNode | null {
  const parent = child.parent[s]!;
  if (parent === null) return null;
  child.parent[s] = null;
  parent.children[s]!.delete(child);
  if (parent !== t.root) {
    parent.used--;
    t.freeHome[parent.home]!++;
    t.borrowedKids[s]!.delete(child);
    if (parent.home !== s) file(t, parent, parent.home);
  } else t.freeHome[s]!++;
  file(t, parent, s);
  file(t, child, s);
  heights(parent, s);
  for (let m: TreeNode | null = parent; m !== null; m = m.parent[s]!) m.size[s]! -= child.size[s]!;
  recheck(t, child);
  return parent;
}

/** Moves `x` in `s` from its parent to `to`, recording the move. */
export function moveTo(t: TreeState, x: TreeNode, s: number, to: TreeNode, moves: Move[]): void {
  const from = unlink(t, x, s);
  link(t, x, s, to);
  moves.push({ child: x.id, stripe: s, from: from?.id ?? null, to: to.id });
}

/** Marks `n` presumed dead (no new children) or alive again. */
export function setSuspect(t: TreeState, n: TreeNode, on: boolean): void {
  if (on === t.suspects.has(n)) return;
  if (on) t.suspects.add(n);
  else t.suspects.delete(n);
  file(t, n, n.home);
}

/** Whether `a` lies in `n`'s subtree in `s` (walks up from `a`; depth bounds the walk). */
export function isDescendant(t: TreeState, a: TreeNode, n: TreeNode, s: number): boolean {
  if (n.children[s]!.size === 0 || a === t.root) return false;
  for (let m: TreeNode | null = a.parent[s]!; m !== null; m = m.parent[s]!) if (m === n) return true;
  return false;
}

/** Whether `p` is `x`'s parent in a stripe other than `s`. */
export function isParentElsewhere(t: TreeState, x: TreeNode, p: TreeNode, s: number): boolean {
  for (let u = 0; u < t.S; u++) if (u !== s && x.parent[u] === p) return true;
  return false;
}
