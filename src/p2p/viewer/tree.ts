/**
 * Who feeds which browser: the signalling server's bookkeeping, kept free of I/O so it can be
 * tested alone. As in seed 004 (P2PLive), a browser takes the stream from up to two other
 * browsers and passes it to up to two; one with no browser parent takes the WebSocket feed.
 */

/** One browser viewer as the tree sees it. */
export interface ViewerNode {
  readonly id: string;
  /** Order of arrival; earlier viewers sit nearer the server. */
  readonly seq: number;
  /** True once it plays, so it has symbols to pass on. */
  playing: boolean;
  readonly parents: Set<string>;
  readonly children: Set<string>;
  /** Parents it reported lost, and until when (ms) not to offer them again. */
  readonly avoid: Map<string, number>;
}

/** Limits for {@link ViewerTree}. */
export interface TreeLimits {
  /** Browser parents per browser (default 2). */
  maxParents?: number;
  /** Browser children per browser (default 2). */
  maxChildren?: number;
  /**
   * How long a parent a child reported lost is not offered to it again, ms (default 3000): long
   * enough not to hand a dead parent straight back, short enough that a parent that only
   * hiccupped (a busy CPU can starve a tab for longer than the silence budget) is reused soon.
   */
  avoidMs?: number;
}

/** A new parent -> child link for the server to announce. */
export interface Link {
  parent: string;
  child: string;
}

/** The parent/child graph of browser viewers. */
export class ViewerTree {
  readonly maxParents: number;
  readonly maxChildren: number;
  readonly avoidMs: number;
  readonly #nodes = new Map<string, ViewerNode>();
  #seq = 0;

  constructor(limits: TreeLimits = {}) {
    this.maxParents = limits.maxParents ?? 2;
    this.maxChildren = limits.maxChildren ?? 2;
    this.avoidMs = limits.avoidMs ?? 3000;
  }

  /** The viewers, in order of arrival. */
  nodes(): ViewerNode[] {
    return [...this.#nodes.values()];
  }

  get(id: string): ViewerNode | undefined {
    return this.#nodes.get(id);
  }

  /** Adds a viewer that has nothing yet. */
  join(id: string): ViewerNode {
    const node: ViewerNode = { id, seq: this.#seq++, playing: false, parents: new Set(), children: new Set(), avoid: new Map() };
    this.#nodes.set(id, node);
    return node;
  }

  /**
   * Removes a viewer (its tab closed).
   * @returns the children that lost it as a parent
   */
  leave(id: string): string[] {
    const node = this.#nodes.get(id);
    if (!node) return [];
    this.#nodes.delete(id);
    for (const p of node.parents) this.#nodes.get(p)?.children.delete(id);
    const orphans = [...node.children];
    for (const c of orphans) this.#nodes.get(c)?.parents.delete(id);
    return orphans;
  }

  /** Cuts a link a child reported dead, and keeps that parent away from it for a while. */
  dropLink(parent: string, child: string, now: number): void {
    this.#nodes.get(parent)?.children.delete(child);
    const c = this.#nodes.get(child);
    if (!c) return;
    c.parents.delete(parent);
    c.avoid.set(parent, now + this.avoidMs);
  }

  /**
   * Gives every viewer short of parents as many as it can get, earliest viewers first. A
   * candidate must play, have a free child slot, not be avoided, and have arrived before the
   * child: links always run from earlier to later viewers, so there are no loops and the oldest
   * viewers sit nearest the server. Fewest children first, then the earliest (least delay).
   * @returns the new links
   */
  fill(now: number): Link[] {
    const links: Link[] = [];
    const order = this.nodes();
    for (const child of order) {
      for (const [p, until] of child.avoid) if (until <= now) child.avoid.delete(p);
      while (child.parents.size < this.maxParents) {
        const candidates = order.filter(
          (p) =>
            p !== child &&
            p.playing &&
            p.children.size < this.maxChildren &&
            !child.parents.has(p.id) &&
            !child.avoid.has(p.id) &&
            p.seq < child.seq,
        );
        if (candidates.length === 0) break;
        candidates.sort((a, b) => a.children.size - b.children.size || a.seq - b.seq);
        const parent = candidates[0]!;
        parent.children.add(child.id);
        child.parents.add(parent.id);
        links.push({ parent: parent.id, child: child.id });
      }
    }
    return links;
  }
}
