import { packedDepth } from './min-depth.js';
import type { TreeState } from './tree-state.js';

/** The least possible max depth of stripe `s` with the peers present (see `min-depth.ts`). */
export function minDepthOf(t: TreeState, s: number): number {
  const d = packedDepth(t.quota[s]!, t.homeSlots[s]!, t.nodes.size);
  if (d !== Infinity) return d;
  // Home slots cannot hold everyone (bootstrap): the bound with every peer's slots usable.
  const all = new Map<number, number>();
  for (const m of t.homeSlots) for (const [w, n] of m) all.set(w, (all.get(w) ?? 0) + n);
  return packedDepth(t.quota[s]!, all, t.nodes.size);
}

/** Parent depth for leaves: one above the packed tree's bottom (cached per population size). */
export function leafBand(t: TreeState, s: number): number {
  const c = t.bandCache[s]!;
  if (c.peers !== t.nodes.size) {
    const d = minDepthOf(t, s);
    c.peers = t.nodes.size;
    c.depth = Number.isFinite(d) ? Math.max(0, d - 1) : 0;
  }
  return c.depth;
}
