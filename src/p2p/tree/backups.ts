import type { TreeNode } from './node.js';
import { Mode, homeCandidates } from './parent-search.js';
import { freeOf, type TreeState } from './tree-state.js';
import type { PeerId, StripeParent } from './types.js';

/** Picks and records `x`'s backups in `s`: the parents it switches to, without asking, on silence. */
export function refreshBackups(t: TreeState, x: TreeNode, s: number): PeerId[] {
  // Backups are used seconds or minutes later, and joins fill free slots shallowest first: so
  // backups come from the deepest free slots, most spare slots first, which last the longest.
  // (A repair onto a deep backup is quick; rebalancing lifts the subtree afterwards.)
  // A forwarder's backups stay shallow, though: its subtree would sink with it.
  const leaf = x.home !== s || x.children[s]!.size === 0;
  const pool = t.backupCount === 0 ? [] : homeCandidates(t, x, s, t.backupCount * 2, Mode.Distinct, null, leaf);
  pool.sort((a, b) => Math.min(freeOf(t, b, s), 4) - Math.min(freeOf(t, a, s), 4) || (leaf ? b.depth[s]! - a.depth[s]! : a.depth[s]! - b.depth[s]!));
  const list = pool.slice(0, t.backupCount).map((n) => n.id);
  x.backups[s] = list;
  return list;
}

/** What the coordinator tells `x` about stripe `s`: its parent and fresh backups (null if orphaned). */
export function stripeParent(t: TreeState, x: TreeNode, s: number): StripeParent | null {
  const p = x.parent[s];
  return p ? { stripe: s, parent: p.id, backups: refreshBackups(t, x, s) } : null;
}
