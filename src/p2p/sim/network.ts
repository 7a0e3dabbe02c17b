/**
 * The modelled network. Each peer sits at a point on a plane whose distances are milliseconds; the
 * coordinator is at the origin. Round trip between two hosts = `accessMs` (both access links) plus
 * their distance, so a peer's RTT to the coordinator is `accessMs + |position|`, and the placement
 * tree's closeness proxy |rtt_a - rtt_b| is a lower bound of the true distance (triangle
 * inequality), not the distance itself, as it would be on the real network. Bearings are uniform:
 * two far peers that look close by the proxy may sit on opposite sides.
 */
import type { Rng } from '../../proxy/prng.js';

export interface NetworkConfig {
  /** Both access links' share of every round trip, ms. */
  accessMs: number;
  /** Median distance of a peer from the coordinator, ms (log-normal spread). */
  medianDistanceMs: number;
  /** Spread of the log-normal (sigma of ln distance). */
  sigma: number;
  /** Distance cap, ms. */
  maxDistanceMs: number;
}

export const DEFAULT_NETWORK: NetworkConfig = { accessMs: 10, medianDistanceMs: 40, sigma: 0.7, maxDistanceMs: 300 };

export interface Point {
  x: number;
  y: number;
}

/** The coordinator's position (the root of every stripe): distances are measured from it. */
export const ORIGIN: Readonly<Point> = { x: 0, y: 0 };

/** Draws a peer position: uniform bearing, log-normal distance from the coordinator. */
export function drawPosition(rng: Rng, net: NetworkConfig): Point {
  // Box-Muller for one standard normal.
  const u = Math.max(rng(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  const r = Math.min(net.maxDistanceMs, net.medianDistanceMs * Math.exp(net.sigma * z));
  const a = 2 * Math.PI * rng();
  return { x: r * Math.cos(a), y: r * Math.sin(a) };
}

export function rttBetween(a: Point, b: Point, net: NetworkConfig): number {
  return net.accessMs + Math.hypot(a.x - b.x, a.y - b.y);
}
