/**
 * Each peer's path from the root in each stripe (one-way delay, hops, slowest hop), as the
 * continuity accounting needs it once per window. Computed for every peer by climbing to the first
 * ancestor already known this window, and stored in flat arrays indexed by a per-peer number and
 * stamped with the window, so a window allocates nothing per peer.
 */
import type { PlacementTreeImpl } from '../tree/placement-tree.js';
import { ROOT, type PeerId } from '../tree/types.js';
import { ORIGIN, rttBetween, type NetworkConfig, type Point } from './network.js';

/** A peer's path from the root in one stripe: one-way delay, hops, slowest hop's RTT. */
export interface Path {
  delay: number;
  hops: number;
  maxHopRtt: number;
}

/** What the table needs of a peer: its dense number (the index into the arrays) and position. */
export interface PathNode {
  readonly id: PeerId;
  readonly ix: number;
  readonly pos: Point;
}

/** The per-window path cache; see the module comment. */
export class PathTable {
  private cap = 0;
  private stamp: Int32Array[] = [];
  private delay: Float64Array[] = [];
  /** -1: cut from the root. */
  private hops: Int32Array[] = [];
  private maxHop: Float64Array[] = [];
  private window = 0;
  /** Scratch for `fill`'s climb, reused so a lookup allocates nothing. */
  private readonly climb: PathNode[] = [];

  /**
   * @param nodes the peers still known to the simulator: a parent missing from it cuts the path.
   */
  constructor(
    private readonly stripes: number,
    private readonly tree: Pick<PlacementTreeImpl, 'parentOf'>,
    private readonly nodes: ReadonlyMap<PeerId, PathNode>,
    private readonly net: NetworkConfig,
    private readonly forwardMs: number,
  ) {}

  /** Makes room for the peer numbered `ix` (amortized doubling). */
  ensureRoom(ix: number): void {
    if (ix < this.cap) return;
    const cap = Math.max(1024, this.cap * 2, ix + 1);
    const grow = <A extends Int32Array | Float64Array>(old: A[], make: (n: number) => A): A[] =>
      Array.from({ length: this.stripes }, (_, s) => {
        const a = make(cap);
        if (old[s]) a.set(old[s]!);
        return a;
      });
    this.stamp = grow(this.stamp, (n) => new Int32Array(n));
    this.delay = grow(this.delay, (n) => new Float64Array(n));
    this.hops = grow(this.hops, (n) => new Int32Array(n));
    this.maxHop = grow(this.maxHop, (n) => new Float64Array(n));
    this.cap = cap;
  }

  /** Forgets every cached path: the tree may have changed since they were computed. */
  nextWindow(): void {
    this.window++;
  }

  /** `peer`'s path in `s` this window, written into `into`; null when it is cut from the root. */
  current(peer: PathNode, s: number, into: Path): Path | null {
    if (!this.fill(peer, s)) return null;
    into.delay = this.delay[s]![peer.ix]!;
    into.hops = this.hops[s]![peer.ix]!;
    into.maxHopRtt = this.maxHop[s]![peer.ix]!;
    return into;
  }

  /** `peer`'s paths right now, kept by a leaver: its last window is accounted after it is gone. */
  snapshot(peer: PathNode): (Path | null)[] {
    this.nextWindow();
    return Array.from({ length: this.stripes }, (_, s) => this.current(peer, s, { delay: 0, hops: 0, maxHopRtt: 0 }));
  }

  /** Fills `peer`'s path in `s` for the current window; false when it is cut from the root. */
  private fill(peer: PathNode, s: number): boolean {
    const stamp = this.stamp[s]!;
    if (stamp[peer.ix] === this.window) return this.hops[s]![peer.ix]! >= 0;
    const climb = this.climb;
    climb.length = 0;
    let m: PathNode = peer;
    let base: PathNode | null = null; // null: the root
    let cut = false;
    for (;;) {
      climb.push(m);
      const pid = this.tree.parentOf(m.id, s);
      if (pid === null) {
        cut = true;
        break;
      }
      if (pid === ROOT) break;
      const next = this.nodes.get(pid);
      if (next === undefined) {
        cut = true;
        break;
      }
      if (stamp[next.ix] === this.window) {
        base = next;
        break;
      }
      m = next;
    }
    const delay = this.delay[s]!;
    const hops = this.hops[s]!;
    const maxHop = this.maxHop[s]!;
    let d = 0;
    let h = 0;
    let mh = 0;
    let above: PathNode | null = base;
    if (base !== null) {
      d = delay[base.ix]!;
      h = hops[base.ix]!;
      mh = maxHop[base.ix]!;
      if (h < 0) cut = true;
    }
    for (let i = climb.length - 1; i >= 0; i--) {
      const node = climb[i]!;
      if (!cut) {
        const hop = above === null ? rttBetween(node.pos, ORIGIN, this.net) : rttBetween(node.pos, above.pos, this.net);
        d += hop / 2 + this.forwardMs;
        h += 1;
        if (hop > mh) mh = hop;
      }
      stamp[node.ix] = this.window;
      delay[node.ix] = d;
      hops[node.ix] = cut ? -1 : h;
      maxHop[node.ix] = mh;
      above = node;
    }
    return !cut;
  }
}
