import type { TreeNode } from './node.js';
import { attached, isDescendant, isParentElsewhere, type TreeState } from './tree-state.js';

/** How strictly a parent search treats the peer's parents in its other stripes. */
export const enum Mode {
  /** Parents must be distinct peers; the root only if it is not a parent elsewhere. */
  Distinct,
  /** Any parent but the peer itself and its descendants (bootstrap's last resort). */
  Any,
}

/** Candidates looked at per search before giving up on an index: keeps a search bounded. */
const SCAN_LIMIT = 256;

/** Whether `p` may become `x`'s parent in `s` under `mode` (slots are the caller's business). */
export function acceptable(t: TreeState, x: TreeNode, s: number, p: TreeNode, mode: Mode, avoid: TreeNode | null): boolean {
  if (p === x || p === avoid || x.parent[s] === p) return false;
  if (!attached(t, p, s)) return false;
  if (mode === Mode.Distinct && isParentElsewhere(t, x, p, s)) return false;
  return !isDescendant(t, p, x, s);
}

/** Up to `limit` nodes with a free home slot in `s` acceptable as `x`'s parent, best first. */
export function homeCandidates(
  t: TreeState,
  x: TreeNode,
  s: number,
  limit: number,
  mode: Mode,
  avoid: TreeNode | null,
  deepestFirst = false,
  from = 0,
): TreeNode[] {
  const out: TreeNode[] = [];
  let looked = 0;
  for (const p of t.free[s]!.scan(x.bin, from, deepestFirst)) {
    if (++looked > SCAN_LIMIT) break;
    if (acceptable(t, x, s, p, mode, avoid)) {
      out.push(p);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** A peer not home in `s` with a spare slot to lend, shallowest in `s` among a bounded sample. */
export function lender(t: TreeState, x: TreeNode, s: number, mode: Mode, avoid: TreeNode | null): TreeNode | null {
  let best: TreeNode | null = null;
  let looked = 0;
  for (let off = 1; off < t.S; off++) {
    const u = (s + off) % t.S;
    for (const p of t.free[u]!.scan(x.bin)) {
      if (p === t.root) continue;
      if (++looked > SCAN_LIMIT / 4) break;
      if (acceptable(t, x, s, p, mode, avoid) && (best === null || p.depth[s]! < best.depth[s]!)) best = p;
    }
  }
  return best;
}

/** The shallowest peer not home in `s` whose place `x` could take (push-down), or null. */
export function displaceable(t: TreeState, x: TreeNode, s: number, above: number): TreeNode | null {
  let looked = 0;
  for (const l of t.nonHome[s]!.scan()) {
    if (l.depth[s]! >= above || ++looked > SCAN_LIMIT) return null;
    const q = l.parent[s]!;
    if (l === x || q === x) continue;
    if (q !== t.root && isParentElsewhere(t, x, q, s)) continue;
    if (isParentElsewhere(t, l, x, s)) continue;
    // x adopts l, so l must not be above x in s; and q must not sit in x's subtree.
    if (isDescendant(t, x, l, s) || isDescendant(t, q, x, s)) continue;
    return l;
  }
  return null;
}
