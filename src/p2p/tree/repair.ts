import { stripeParent } from './backups.js';
import { Mode, acceptable } from './parent-search.js';
import { place } from './place.js';
import { attached, freeOf, getNode, isDescendant, isParentElsewhere, link, setSuspect, unlink, type TreeState } from './tree-state.js';
import type { PeerId, StripeParent } from './types.js';

/**
 * `childId` reports `parentId` silent in `s`: the parent is presumed dead, and the child gets a
 * new parent (its former parent's slot if it may inherit it, else the heir's, else a fresh place).
 */
export function parentLost(t: TreeState, childId: PeerId, s: number, parentId: PeerId): StripeParent | null {
  const x = t.nodes.get(childId);
  if (x === undefined || !Number.isInteger(s) || s < 0 || s >= t.S) return null;
  const lost = getNode(t, parentId) ?? null;
  if (x.parent[s] !== null && x.parent[s] !== lost) {
    // The child already switched (its backup was recorded first): the report still says the
    // old parent went silent.
    if (lost !== null && lost !== t.root) setSuspect(t, lost, true);
    return stripeParent(t, x, s);
  }
  if (lost !== null && lost !== t.root && x.parent[s] === lost) {
    // Silence means no packet at all, keep-alives included: the parent is presumed dead. It
    // gets no new children, and in its home stripe its first forwarding child to report takes
    // its slot (the subtree rises one level instead of sinking to wherever a slot is free).
    setSuspect(t, lost, true);
    const gp = lost.parent[s];
    if (s === lost.home && x.home === s && x.slots > 0 && gp !== null && !t.heirs.has(lost) && !isParentElsewhere(t, x, gp, s)) {
      unlink(t, lost, s);
      unlink(t, x, s);
      link(t, x, s, gp);
      t.heirs.set(lost, x);
      return stripeParent(t, x, s);
    }
    unlink(t, x, s);
    const heir = t.heirs.get(lost);
    if (heir !== undefined && t.nodes.has(heir.id) && freeOf(t, heir, s) > 0 && acceptable(t, x, s, heir, Mode.Distinct, lost)) {
      link(t, x, s, heir);
      return stripeParent(t, x, s);
    }
  } else if (x.parent[s] !== null) unlink(t, x, s);
  // No push-down here: the coordinator answers only the child, so nobody else may move.
  place(t, x, s, false, lost);
  return stripeParent(t, x, s);
}

/** Whether `childId` could take `s` from `parentId` now (free slot, no cycle, parent attached). */
export function canAttach(t: TreeState, childId: PeerId, s: number, parentId: PeerId): boolean {
  const x = t.nodes.get(childId);
  const p = getNode(t, parentId);
  if (x === undefined || p === undefined || !Number.isInteger(s) || s < 0 || s >= t.S || p === x) return false;
  if (x.parent[s] === p) return true;
  return freeOf(t, p, s) > 0 && attached(t, p, s) && !isDescendant(t, p, x, s);
}

/** A child reports it took `s` from `parentId` (a backup): recorded if the tree allows it. */
export function attach(t: TreeState, childId: PeerId, s: number, parentId: PeerId): void {
  // Untrusted input from the network: anything that would break the tree is ignored; the
  // child's parentLost report (or rebalance) then places it properly.
  if (!canAttach(t, childId, s, parentId)) return;
  const x = t.nodes.get(childId)!;
  const p = getNode(t, parentId)!;
  if (x.parent[s] === p) return;
  if (x.parent[s] !== null) unlink(t, x, s);
  link(t, x, s, p);
  // It answered the child, so it is alive after all.
  if (p !== t.root) setSuspect(t, p, false);
}

/** The coordinator heard from `id`: a suspect is alive after all and may get children again. */
export function heard(t: TreeState, id: PeerId): void {
  const n = t.nodes.get(id);
  if (n !== undefined) setSuspect(t, n, false);
}
