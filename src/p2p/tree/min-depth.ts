/**
 * The least possible max depth of one stripe tree: pack it breadth first.
 *
 * Level 1 has the root's slots for the stripe. Each level is filled with the stripe's home peers
 * (the only peers that may forward it), largest slot counts first, then with the remaining peers as
 * leaves once the home peers are used up; level d+1 then offers the slots of the home peers placed
 * on level d. The deepest level needed to hold every peer is the minimum: putting the widest
 * forwarders highest maximises every level's capacity, so no tree with these slots is shallower.
 *
 *   cap(1) = rootSlots(s);  cap(d+1) = sum of slots of the home peers placed on level d
 *   minDepth(s) = the first d with sum_{i<=d} cap(i) >= peers
 *
 * Returns Infinity when the home slots cannot hold every peer (then some must be borrowed).
 */
export function packedDepth(rootSlots: number, homeSlots: ReadonlyMap<number, number>, peers: number): number {
  if (peers <= 0) return 0;
  const widths = [...homeSlots.entries()].filter(([, n]) => n > 0).sort((a, b) => b[0] - a[0]);
  let home = widths.reduce((sum, [, n]) => sum + n, 0);
  let leaves = Math.max(0, peers - home);
  let cursor = 0;
  let leftInWidth = widths[0]?.[1] ?? 0;
  let cap = rootSlots;
  let depth = 0;
  while (home + leaves > 0) {
    if (cap <= 0) return Infinity;
    depth++;
    let take = Math.min(cap, home);
    const room = cap - take;
    home -= take;
    let next = 0;
    while (take > 0) {
      const n = Math.min(take, leftInWidth);
      next += n * widths[cursor]![0];
      take -= n;
      leftInWidth -= n;
      if (leftInWidth === 0 && cursor + 1 < widths.length) leftInWidth = widths[++cursor]![1];
    }
    leaves -= Math.min(room, leaves);
    cap = next;
  }
  return depth;
}
