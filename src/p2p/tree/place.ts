import { leafBand } from './depth-bound.js';
import type { TreeNode } from './node.js';
import { Mode, acceptable, displaceable, homeCandidates, lender } from './parent-search.js';
import { freeOf, link, unlink, type TreeState } from './tree-state.js';
import type { Move } from './types.js';

/**
 * Gives orphan `x` a parent in `s`; returns the moves of other peers it caused (push-down).
 * Order: a distinct home parent; push-down if that is higher; the root even if it is a parent
 * elsewhere; a borrowed slot; then, only when nothing distinct exists, a repeated parent.
 * Join, leave, repair and rebalance all place through here, so they agree on what a good slot is.
 */
export function place(t: TreeState, x: TreeNode, s: number, pushDown: boolean, avoid: TreeNode | null = null): { parent: TreeNode | null; moves: Move[] } {
  // A peer that will not forward in `s` goes to the leaf band (parents one level above the
  // packed tree's bottom) when it has room: shallow free slots are worth more to forwarders and
  // to orphaned subtrees, which would otherwise sink below the bottom.
  const forwarder = x.home === s && (x.slots > 0 || x.children[s]!.size > 0);
  let [best] = forwarder ? [] : homeCandidates(t, x, s, 1, Mode.Distinct, avoid, false, leafBand(t, s));
  best ??= homeCandidates(t, x, s, 1, Mode.Distinct, avoid)[0];
  if (pushDown && x.home === s && x.slots - x.used > 0) {
    const l = displaceable(t, x, s, best === undefined ? Infinity : best.depth[s]!);
    if (l !== null) {
      const q = unlink(t, l, s)!;
      link(t, x, s, q);
      link(t, l, s, x);
      return { parent: q, moves: [{ child: l.id, stripe: s, from: q.id, to: x.id }] };
    }
  }
  let p: TreeNode | null = best ?? null;
  if (p === null && freeOf(t, t.root, s) > 0 && acceptable(t, x, s, t.root, Mode.Any, avoid)) p = t.root;
  p ??= lender(t, x, s, Mode.Distinct, avoid);
  p ??= homeCandidates(t, x, s, 1, Mode.Any, avoid)[0] ?? null;
  p ??= lender(t, x, s, Mode.Any, avoid);
  if (p !== null) link(t, x, s, p);
  return { parent: p, moves: [] };
}
