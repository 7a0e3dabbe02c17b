import { minDepthOf } from './depth-bound.js';
import type { TreeNode } from './node.js';
import { Mode, acceptable, homeCandidates } from './parent-search.js';
import { place } from './place.js';
import { isDescendant, isParentElsewhere, link, moveTo, unlink, type TreeState } from './tree-state.js';
import type { Move } from './types.js';

/** The first `n` items of an iterable. */
function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of items) {
    yield x;
    if (--n <= 0) return;
  }
}

/** Re-places an orphaned stripe, a repeated parent or a borrowed slot; returns whether it did. */
function fixOne(t: TreeState, x: TreeNode, s: number, moves: Move[], room: number): boolean {
  const p = x.parent[s]!;
  if (p === null) {
    const { parent, moves: extra } = place(t, x, s, room >= 2);
    if (parent === null) return false;
    moves.push({ child: x.id, stripe: s, from: null, to: parent.id }, ...extra);
    return true;
  }
  // A home peer on a borrowed slot: rotate it above its lender (the lender becomes its child).
  if (room >= 2 && x.home === s && p !== t.root && p.home !== s && x.slots - x.used > 0) {
    const q = p.parent[s];
    if (q !== null && !isParentElsewhere(t, x, q, s) && !isParentElsewhere(t, p, x, s)) {
      moves.push({ child: x.id, stripe: s, from: p.id, to: q.id });
      unlink(t, x, s);
      unlink(t, p, s);
      link(t, x, s, q);
      link(t, p, s, x);
      moves.push({ child: p.id, stripe: s, from: q.id, to: x.id });
      return true;
    }
  }
  const [to] = homeCandidates(t, x, s, 1, Mode.Distinct, p);
  if (to === undefined) return false;
  // Only if it does not cost depth beyond one level: a deeper subtree would need lifting later.
  if (to.depth[s]! + 1 > p.depth[s]! + 1 + (x.children[s]!.size > 0 ? 0 : 1)) return false;
  moveTo(t, x, s, to, moves);
  return true;
}

/**
 * One depth step in stripe `s`: take a deepest node and lift the highest of its home ancestors
 * that can be lifted, by a move to a shallower free slot (one move) or by a swap with a shallower
 * node whose subtree is short (two moves). Every step strictly shortens one subtree that reaches
 * the max depth without letting any other reach it, so steps converge toward the packed tree.
 */
function liftOne(t: TreeState, s: number, moves: Move[]): boolean {
  const { root, suspects } = t;
  const D = t.level[s]!.deepest();
  const target = minDepthOf(t, s) + t.depthSlack;
  if (D <= target) return false;
  const z = t.level[s]!.firstAt(D)!;
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
  for (const f of t.free[s]!.scan()) if (frees.push(f) >= 16) break;
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
      if (f === p || !acceptable(t, y, s, f, Mode.Distinct, null)) continue;
      best = { score: rise * ny, y, to: f, w: null };
      break;
    }
    for (let dw = 1; dw < dy; dw++) {
      const rise = dy - dw;
      if (dw + hy >= D || (best !== null && rise * ny <= best.score)) continue;
      let looked = 0;
      for (const w of [...take(t.nonHome[s]!.at(dw), 8), ...take(t.level[s]!.at(dw), 16)]) {
        if (++looked > 24) break;
        const score = rise * (ny - w.size[s]!);
        if (score <= 0 || dy + w.height[s]! >= D || (best !== null && score <= best.score) || w === y) continue;
        const q = w.parent[s]!;
        if (q === null || q === p || suspects.has(q)) continue;
        if (q !== root && isParentElsewhere(t, y, q, s)) continue;
        if (p !== root && isParentElsewhere(t, w, p, s)) continue;
        if (isDescendant(t, y, w, s)) continue; // w above y: the swap would loop
        best = { score, y, to: q, w };
      }
    }
  }
  if (best === null) return false;
  const { y, to, w } = best;
  if (w === null) {
    moveTo(t, y, s, to, moves);
    return true;
  }
  const p = y.parent[s]!;
  unlink(t, y, s);
  unlink(t, w, s);
  link(t, y, s, to);
  link(t, w, s, p);
  moves.push({ child: y.id, stripe: s, from: p.id, to: to.id }, { child: w.id, stripe: s, from: to.id, to: p.id });
  return true;
}

/**
 * Up to `maxMoves` moves that improve the tree: orphans and repeated parents first, then depth
 * (stripes in turn), then borrowed slots back home.
 */
export function rebalance(t: TreeState, maxMoves: number): Move[] {
  const moves: Move[] = [];
  if (!(maxMoves > 0)) return moves;
  // 1. Orphaned stripes and repeated parents: peers are missing data or share a failure.
  for (const x of [...t.orphans, ...t.dups]) {
    if (moves.length >= maxMoves) return moves;
    if (t.suspects.has(x)) continue; // presumed dead: its leave is coming
    for (const s of t.stripeList) {
      if (moves.length >= maxMoves) return moves;
      const p = x.parent[s];
      if (p === null || (p !== t.root && isParentElsewhere(t, x, p, s))) fixOne(t, x, s, moves, maxMoves - moves.length);
    }
  }
  // 2. Depth: lift misplaced subtrees, stripes in turn, until the budget or the stripes are done.
  const busy = new Set(t.stripeList);
  while (moves.length + 2 <= maxMoves && busy.size > 0) {
    for (const s of [...busy]) if (moves.length + 2 > maxMoves || !liftOne(t, s, moves)) busy.delete(s);
  }
  // 3. Borrowed slots back home.
  for (const s of t.stripeList) {
    for (const x of [...t.borrowedKids[s]!]) {
      if (moves.length >= maxMoves) return moves;
      fixOne(t, x, s, moves, maxMoves - moves.length);
    }
  }
  return moves;
}
