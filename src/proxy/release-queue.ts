/** Something scheduled for a release time; `seq` breaks ties so equal times keep arrival order. */
export interface Timed {
  time: number;
  seq: number;
}

function before(a: Timed, b: Timed): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * A binary min-heap by (time, seq). A whole direction's packets wait here and one timer drains
 * it, instead of one setTimeout per packet. Packets mostly arrive already in time order, which
 * makes a push O(1) in practice.
 */
export class ReleaseQueue<T extends Timed> {
  private readonly items: T[] = [];

  /** Number of entries held, including any the owner has marked stale. */
  get size(): number {
    return this.items.length;
  }

  /** The earliest entry, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an entry. */
  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest entry. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(items[r]!, items[l]!) ? r : l;
      if (!before(items[child]!, last)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Drops everything. */
  clear(): void {
    this.items.length = 0;
  }
}
