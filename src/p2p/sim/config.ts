import { DEFAULT_REPAIR_POLICY, type RepairPolicy } from '../repair.js';
import { DEFAULT_NETWORK, type NetworkConfig } from './network.js';

/** Everything a simulator run depends on; the same config and seed give the same figures. */
export interface SimConfig {
  /** Population held steady during the churn phase. */
  peers: number;
  seed: number;
  stripes: number;
  /** Reed-Solomon block: k of n symbols decode; n / stripes symbols ride each stripe. */
  k: number;
  n: number;
  blocksPerSecond: number;
  /** Deadline of a block after it is produced, ms (hop delays and repairs included). */
  latencyMs: number;
  /** Random loss per link per symbol before link repair. */
  linkLoss: number;
  /** NACK retries a link makes for a lost symbol (each costs that hop's RTT, if it fits the deadline). */
  nackRetries: number;
  /** Link overhead on top of a stripe's payload (the link's own FEC, headers, ticks, control). */
  linkOverhead: number;
  /** The same for the root's budget (a wider margin: the source's upload is a hard limit). */
  rootLinkOverhead: number;
  /** Peers' upload budgets, multiples of the stream, drawn uniformly in [min, max]. */
  peerBudget: [number, number];
  /** Share of peers that cannot forward at all (0 slots: blocked NAT, metered link). */
  noUploadShare: number;
  /** The coordinator's upload budget, a multiple of the stream. */
  rootBudget: number;
  /** Share of the population leaving per minute (each replaced by an arrival). */
  churnPerMinute: number;
  /** Share of leaves that are crashes (the rest say goodbye). */
  crashShare: number;
  /** All peers arrive uniformly over this many seconds (flash crowd), then churn starts. */
  rampS: number;
  /** Seconds of churn before measuring starts. */
  settleS: number;
  /** Measured minutes of churn. */
  minutes: number;
  /** Time-series interval, s. */
  sampleS: number;
  /** Continuity accounting window, s: paths (delay, hops) are re-evaluated once per window. */
  windowS: number;
  rebalanceEveryMs: number;
  /** Moves per rebalance call (0: peers / 800, at least 5: peers / 200 per second at 250 ms). */
  rebalanceMoves: number;
  /** The coordinator's heartbeat timeout: when it declares a silent peer dead, ms. */
  detectMs: number;
  /** Per hop forwarding delay (symbols are relayed as they arrive, not after decoding), ms. */
  forwardMs: number;
  /** Backups per stripe parent. */
  backups: number;
  /** Ask the new parent for the symbols missed during a repair that can still make the deadline. */
  backfill: boolean;
  repair: RepairPolicy;
  net: NetworkConfig;
}

export const DEFAULT_SIM: SimConfig = {
  peers: 10_000,
  seed: 1,
  stripes: 4,
  k: 9,
  n: 12,
  blocksPerSecond: 50,
  latencyMs: 1000,
  linkLoss: 0.01,
  nackRetries: 1,
  linkOverhead: 1.15,
  rootLinkOverhead: 1.35,
  peerBudget: [1.8, 2.4],
  noUploadShare: 0.05,
  rootBudget: 2,
  churnPerMinute: 0.1,
  crashShare: 0.5,
  rampS: 30,
  settleS: 20,
  minutes: 3,
  sampleS: 5,
  windowS: 15,
  rebalanceEveryMs: 250,
  rebalanceMoves: 0,
  detectMs: 1000,
  forwardMs: 2,
  backups: 2,
  backfill: false,
  repair: { ...DEFAULT_REPAIR_POLICY },
  net: { ...DEFAULT_NETWORK },
};

/** One stripe copy's send rate as a multiple of the stream: (n / k) / stripes, times link overhead. */
export function stripeCopyRate(c: SimConfig): number {
  return (c.n / c.k / c.stripes) * c.linkOverhead;
}

/** Stripe copies a peer's budget buys (the live coordinator's rule, `src/p2p/link.ts`). */
export function slotsFor(budget: number, c: SimConfig): number {
  return Math.floor(budget / stripeCopyRate(c) + 1e-9);
}

/** Stripe copies the root's budget buys: with its wider overhead margin, but at least one per stripe. */
export function rootSlotsFor(c: SimConfig): number {
  return Math.max(c.stripes, Math.floor(c.rootBudget / ((c.n / c.k / c.stripes) * c.rootLinkOverhead) + 1e-9));
}

/** Stripes that may be out at once with the block still decodable (without random loss). */
export function stripeMargin(c: SimConfig): number {
  const perStripe = c.n / c.stripes;
  return c.stripes - Math.ceil(c.k / perStripe);
}

export function validate(c: SimConfig): void {
  if (!Number.isInteger(c.peers) || c.peers < 1) throw new RangeError(`peers must be an integer >= 1, got ${c.peers}`);
  if (c.n % c.stripes !== 0) throw new RangeError(`n (${c.n}) must be a multiple of stripes (${c.stripes})`);
  if (!(c.k >= 1 && c.k <= c.n)) throw new RangeError(`k must be 1..n, got ${c.k}`);
  if (!(c.churnPerMinute >= 0 && c.churnPerMinute < 10)) throw new RangeError(`churnPerMinute must be 0..10, got ${c.churnPerMinute}`);
}
