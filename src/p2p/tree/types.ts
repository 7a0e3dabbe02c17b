/**
 * The placement contract shared by the live coordinator (`src/p2p/coordinator*`) and the
 * simulator (`src/p2p/sim/`): both drive the same {@link PlacementTree} implementation, so what
 * the simulator measures is what the coordinator does.
 *
 * Model: the stream is cut into `stripes` stripes (symbols of one Reed-Solomon block dealt round
 * robin). Each stripe travels down its own tree. Every peer has one home stripe, in whose tree it
 * is interior (forwards to children); in the other stripes' trees it is a leaf. A peer's S parents
 * are distinct peers, so one parent's loss costs its children one stripe, which the cross-stripe
 * code absorbs. When home capacity runs short (bootstrap, churn), a peer may lend spare slots to a
 * non-home stripe ("borrowed" slots); rebalancing moves such children back to home parents.
 */

/** Coordinator-assigned peer identity; the root (the coordinator itself) is {@link ROOT}. */
export type PeerId = string;
export const ROOT: PeerId = 'root';

/** What the coordinator knows about a peer when it joins. */
export interface PeerInfo {
  id: PeerId;
  /** Stripe copies this peer may send at once (its upload budget divided by one stripe's rate). */
  slots: number;
  /** Round-trip time between the peer and the coordinator, ms (a coordinate for closeness). */
  rttMs: number;
}

/** One stripe's parent for a peer, with backups to switch to without asking the coordinator. */
export interface StripeParent {
  stripe: number;
  parent: PeerId;
  /** Up to a few other peers (or ROOT) with spare capacity in this stripe, best first. */
  backups: PeerId[];
}

/** The coordinator's answer to a join: one round trip places the peer in every stripe tree. */
export interface Placement {
  homeStripe: number;
  /** One entry per stripe that got a parent; a stripe missing here is orphaned until rebalance. */
  parents: StripeParent[];
  /**
   * Other peers this join moved (push-down: a displaced peer now takes the stripe from the new
   * peer); the coordinator sends these like any other move. Absent when nobody moved.
   */
  moves?: Move[];
}

/** A change the coordinator asks for: `child` should take `stripe` from `to` instead of `from`. */
export interface Move {
  child: PeerId;
  stripe: number;
  from: PeerId | null;
  to: PeerId;
}

/** Tree shape figures for reports and the state page. */
export interface TreeShape {
  peers: number;
  /** Deepest peer over all stripes (root = depth 0, its children depth 1). */
  maxDepth: number;
  /** The least possible max depth for this many peers with the slots in use. */
  minDepth: number;
  meanDepth: number;
  /** Stripe copies the root sends. */
  rootChildren: number;
  /** Children held on borrowed (non-home) slots. */
  borrowed: number;
  /** Peers missing a parent in some stripe right now. */
  orphaned: number;
}

/** Placement and repair decisions. Pure and deterministic: no clock, no I/O, no randomness. */
export interface PlacementTree {
  readonly stripes: number;
  /** Places a new peer: picks its home stripe and a parent (plus backups) in every stripe. */
  join(peer: PeerInfo): Placement;
  /** Removes a peer (graceful leave or declared dead); returns the moves re-homing its children. */
  leave(id: PeerId): Move[];
  /** A child reports a silent parent: returns the replacement (the child may already use a backup). */
  parentLost(child: PeerId, stripe: number, parent: PeerId): StripeParent | null;
  /** Records that a child now takes `stripe` from `parent` (after it switched to a backup). */
  attach(child: PeerId, stripe: number, parent: PeerId): void;
  /**
   * The coordinator heard from `id` (a report, a keep-alive). A peer a child reported silent
   * (`parentLost`) is presumed dead and gets no new children; hearing from it clears that.
   * Optional: an implementation without that presumption need not have it.
   */
  heard?(id: PeerId): void;
  /** At most `maxMoves` moves bringing depth back toward the minimum and borrowed slots home. */
  rebalance(maxMoves: number): Move[];
  /** The parent of `id` in `stripe`, or null. */
  parentOf(id: PeerId, stripe: number): PeerId | null;
  /** The children of `id` (or ROOT) in `stripe`. */
  childrenOf(id: PeerId, stripe: number): readonly PeerId[];
  depthOf(id: PeerId, stripe: number): number;
  shape(): TreeShape;
}
