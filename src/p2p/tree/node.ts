import type { PeerId } from './types.js';

/**
 * One member of every stripe tree (a peer, or the root). The placement tree keeps these objects
 * and links them directly, so a parent or child lookup is a pointer hop, not a map lookup.
 */
export interface TreeNode {
  readonly id: PeerId;
  /** Stripe copies the node may send at once; for the root, its total over all stripes. */
  readonly slots: number;
  readonly rttMs: number;
  /** The stripe where the node is interior; -1 for the root (interior everywhere). */
  readonly home: number;
  /** RTT bin, fixed at join: the free-slot index groups candidates by it. */
  readonly bin: number;
  /** Per stripe: parent, or null while orphaned (and for the root). */
  readonly parent: (TreeNode | null)[];
  readonly children: Set<TreeNode>[];
  /** Per stripe: hops below the root (the root is 0). Kept while orphaned: the last known value. */
  readonly depth: number[];
  /** Per stripe: hops from the node down to its deepest descendant (0 for a leaf). */
  readonly height: number[];
  /** Per stripe: nodes in the subtree, the node included. */
  readonly size: number[];
  /** Children over all stripes: what counts against `slots` (peers only). */
  used: number;
  /** Per stripe: backups handed out with the last placement, best first. */
  readonly backups: PeerId[][];
  /** Per stripe: the depth the node is filed at in each index, or -1 when not filed. */
  readonly freeAt: number[];
  readonly nonHomeAt: number[];
  readonly levelAt: number[];
}

/** Width of one RTT bin (ms) and the number of bins; the last bin takes everything above. */
export const RTT_BIN_MS = 20;
export const RTT_BINS = 16;

export function rttBin(rttMs: number): number {
  return Math.min(RTT_BINS - 1, Math.max(0, Math.floor(rttMs / RTT_BIN_MS)));
}

export function newNode(id: PeerId, slots: number, rttMs: number, home: number, stripes: number): TreeNode {
  const fill = <T>(v: () => T): T[] => Array.from({ length: stripes }, v);
  return {
    id,
    slots,
    rttMs,
    home,
    bin: rttBin(rttMs),
    parent: fill(() => null),
    children: fill(() => new Set<TreeNode>()),
    depth: fill(() => 0),
    height: fill(() => 0),
    size: fill(() => 1),
    used: 0,
    backups: fill(() => []),
    freeAt: fill(() => -1),
    nonHomeAt: fill(() => -1),
    levelAt: fill(() => -1),
  };
}
