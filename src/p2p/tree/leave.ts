import type { TreeNode } from './node.js';
import { Mode, acceptable } from './parent-search.js';
import { place } from './place.js';
import { freeOf, link, unfileAll, unlink, type TreeState } from './tree-state.js';
import type { Move, PeerId } from './types.js';

/**
 * Removes `id`: in its home stripe the widest home child takes its slot and adopts its siblings
 * while it has room (or the heir that already took the slot on a parentLost report does); every
 * other child is placed afresh. Returns one move per re-placed child.
 */
export function leave(t: TreeState, id: PeerId): Move[] {
  const x = t.nodes.get(id);
  if (x === undefined) return [];
  const moves: Move[] = [];
  const formerParent = x.parent.map((p) => p);
  for (const s of t.stripeList) if (x.parent[s] !== null) unlink(t, x, s);
  // No push-down here: a leave moves the leaver's direct children and nobody else.
  const rehome = (c: TreeNode, s: number): void => {
    const { parent } = place(t, c, s, false);
    if (parent !== null) moves.push({ child: c.id, stripe: s, from: x.id, to: parent.id });
  };
  for (const s of t.stripeList) {
    const kids = [...x.children[s]!];
    for (const c of kids) unlink(t, c, s);
    if (kids.length === 0) continue;
    const earlier = t.heirs.get(x);
    let heir: TreeNode | null = earlier !== undefined && t.nodes.has(earlier.id) && earlier.parent[s] !== null && s === x.home ? earlier : null;
    const p = formerParent[s];
    if (heir === null && s === x.home && p !== null && p !== undefined) {
      // Promote the widest home child into x's slot: its subtree rises one level and it can
      // adopt its siblings, so the stripe keeps its shape with one move per lost slot.
      const widest = kids.filter((c) => c.home === s && c.slots > 0).sort((a, b) => b.slots - b.used - (a.slots - a.used) || b.slots - a.slots);
      heir = widest.find((c) => acceptable(t, c, s, p, p === t.root ? Mode.Any : Mode.Distinct, null)) ?? null;
      if (heir !== null) {
        link(t, heir, s, p);
        moves.push({ child: heir.id, stripe: s, from: x.id, to: p.id });
      }
    }
    // Subtrees first (they carry the depth), then leaves.
    kids.sort((a, b) => b.children[s]!.size - a.children[s]!.size);
    for (const c of kids) {
      if (c === heir) continue;
      if (heir !== null && freeOf(t, heir, s) > 0 && acceptable(t, c, s, heir, Mode.Distinct, null)) {
        link(t, c, s, heir);
        moves.push({ child: c.id, stripe: s, from: x.id, to: heir.id });
      } else rehome(c, s);
    }
  }
  forget(t, x);
  return moves;
}

/** Drops unlinked `x` from every index, set and count, so nothing refers to it any more. */
function forget(t: TreeState, x: TreeNode): void {
  unfileAll(t, x);
  t.suspects.delete(x);
  t.heirs.delete(x);
  t.orphans.delete(x);
  t.dups.delete(x);
  t.nodes.delete(x.id);
  t.homeCount[x.home]!--;
  const n = t.homeSlots[x.home]!.get(x.slots)! - 1;
  if (n === 0) t.homeSlots[x.home]!.delete(x.slots);
  else t.homeSlots[x.home]!.set(x.slots, n);
  t.freeHome[x.home]! -= x.slots - x.used;
  for (const s of t.stripeList) x.children[s]!.clear();
  x.used = 0;
}
