/**
 * An index of tree nodes by depth (and, optionally, by RTT bin within a depth), so "the shallowest
 * node with a free slot, closest in RTT" costs a walk over a few depths and bins instead of a scan
 * of every peer. Depths in a stripe tree stay small (tens), so arrays indexed by depth suffice.
 */
export class DepthBuckets<T> {
  private readonly rows: Set<T>[][] = [];
  private readonly counts: number[] = [];
  private deepestSeen = -1;
  size = 0;

  constructor(readonly bins = 1) {}

  add(item: T, depth: number, bin = 0): void {
    while (this.rows.length <= depth) {
      this.rows.push(Array.from({ length: this.bins }, () => new Set<T>()));
      this.counts.push(0);
    }
    const set = this.rows[depth]![bin]!;
    if (set.has(item)) return;
    set.add(item);
    this.counts[depth]!++;
    this.size++;
    if (depth > this.deepestSeen) this.deepestSeen = depth;
  }

  delete(item: T, depth: number, bin = 0): void {
    const set = this.rows[depth]?.[bin];
    if (!set?.delete(item)) return;
    this.counts[depth]!--;
    this.size--;
  }

  countAt(depth: number): number {
    return this.counts[depth] ?? 0;
  }

  /** The deepest depth holding an item, or -1 when empty. */
  deepest(): number {
    while (this.deepestSeen >= 0 && this.counts[this.deepestSeen] === 0) this.deepestSeen--;
    return this.deepestSeen;
  }

  /** The shallowest depth holding an item at or below `from`, or -1. */
  shallowest(from = 0): number {
    for (let d = from; d < this.counts.length; d++) if (this.counts[d]! > 0) return d;
    return -1;
  }

  /** Some item at `depth` (the oldest filed there), or undefined. */
  firstAt(depth: number): T | undefined {
    for (const set of this.rows[depth] ?? []) for (const item of set) return item;
    return undefined;
  }

  /** Items at exactly `depth`, in filing order. */
  *at(depth: number): Generator<T> {
    for (const set of this.rows[depth] ?? []) yield* set;
  }

  /**
   * Items shallowest first; within a depth, bins nearest `bin` first (then outward, nearer side
   * first), and within a bin in filing order (deepest first if asked). Lazy: callers stop as soon
   * as they have enough.
   */
  *scan(bin = 0, from = 0, deepestFirst = false): Generator<T> {
    for (let i = from; i < this.rows.length; i++) {
      const d = deepestFirst ? this.rows.length - 1 - i : i;
      if (this.counts[d] === 0) continue;
      const row = this.rows[d]!;
      for (let off = 0; off < this.bins; off++) {
        const up = bin + off;
        if (up < this.bins) yield* row[up]!;
        const down = bin - off;
        if (off > 0 && down >= 0) yield* row[down]!;
        if (up >= this.bins && down < 0) break;
      }
    }
  }
}
