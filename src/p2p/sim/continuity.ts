/**
 * Block delivery and continuity accounting. The stream is integrated, not simulated per symbol:
 * every window, for every peer present in it, the stripes whose path is too slow for the deadline,
 * the outage intervals recorded by the repairs, and each path's residual random loss after link
 * repair become the expected number of blocks lost (exact binomial arithmetic per block; see
 * `block-loss.ts`).
 */
import { blockFailure, type BlockShape } from './block-loss.js';
import type { Path } from './paths.js';
import { score } from './scores.js';
import type { SimPeer, SimWorld } from './world.js';

/**
 * Accounts the blocks of window [from, to) for every present (and recently departed) peer, and
 * scores the departed ones it was the last window of. Returns the window's mean continuity over
 * the peers present in it, or null when there were none.
 */
export function account(w: SimWorld, from: number, to: number): number | null {
  const c = w.c;
  const S = w.stripes;
  const { pathTime, failCache } = w;
  const shapeOfBlock: BlockShape = { k: c.k, n: c.n, stripes: S };
  const blocksPerMs = c.blocksPerSecond / 1000;
  const budget = c.latencyMs;
  const p = c.linkLoss;
  w.paths.nextWindow();
  let sum = 0;
  let count = 0;
  const scratch: Path = { delay: 0, hops: 0, maxHopRtt: 0 };
  const q = new Array<number>(S).fill(0);
  const done: SimPeer[] = [];
  for (const peer of w.peers.values()) {
    const a = Math.max(from, peer.activeFrom);
    const b = Math.min(to, peer.leftAt);
    if (b > a) {
      q.fill(0);
      let lateMask = 0;
      // The failure probability depends only on (hops, retried) per stripe and the mask of
      // stripes out: a small code, cached across peers and windows.
      let code = 0;
      for (let s = 0; s < S; s++) {
        const path = peer.lastPaths !== null ? peer.lastPaths[s]! : w.paths.current(peer, s, scratch);
        pathTime.total += b - a;
        if (path === null || path.delay > budget) {
          lateMask |= 1 << s;
          pathTime.late += b - a;
          continue;
        }
        // A hop's retry helps only if it still makes the deadline; judged by the slowest hop.
        const retried = path.delay + path.maxHopRtt <= budget;
        if (!retried) pathTime.noRetry += b - a;
        pathTime.delaySum += (b - a) * path.delay;
        const r = p ** (1 + (retried ? c.nackRetries : 0));
        q[s] = 1 - (1 - r) ** path.hops;
        code += (Math.min(path.hops, 63) * 2 + (retried ? 1 : 0)) * 128 ** s;
      }
      const fail = (mask: number): number => {
        const k = code * 2 ** S + mask;
        let f = failCache.get(k);
        if (f === undefined) failCache.set(k, (f = blockFailure(shapeOfBlock, mask, q)));
        return f;
      };
      const lost = lostTime(peer.outages, a, b, lateMask, S, fail);
      peer.produced += (b - a) * blocksPerMs;
      peer.lost += lost * blocksPerMs;
      sum += 1 - lost / (b - a);
      count++;
    }
    // Drop outage records that ended before this window's end.
    if (peer.outages.length > 0) {
      const keep: number[] = [];
      for (let i = 0; i < peer.outages.length; i += 3) if (peer.outages[i + 2]! > to) keep.push(peer.outages[i]!, peer.outages[i + 1]!, peer.outages[i + 2]!);
      peer.outages = keep;
    }
    if (peer.leftAt <= to) done.push(peer);
  }
  for (const peer of done) score(w, peer);
  w.accountedTo = to;
  return count > 0 ? sum / count : null;
}

/**
 * Expected time without a decodable block over [a, b): the window swept by the set of stripes out
 * (the late ones, plus those inside an outage interval), each span weighted by `fail` of that set.
 */
function lostTime(o: readonly number[], a: number, b: number, lateMask: number, S: number, fail: (mask: number) => number): number {
  if (o.length === 0) return (b - a) * fail(lateMask);
  let lost = 0;
  const marks: [number, number, number][] = [];
  for (let i = 0; i < o.length; i += 3) {
    const x = Math.max(a, o[i + 1]!);
    const y = Math.min(b, o[i + 2]!);
    if (y > x) marks.push([x, o[i]!, 1], [y, o[i]!, -1]);
  }
  marks.sort((u, v) => u[0] - v[0] || u[2] - v[2]);
  const depth = new Array<number>(S).fill(0);
  let t = a;
  let mask = lateMask;
  for (const [at, s, d] of marks) {
    lost += (at - t) * fail(mask);
    t = at;
    depth[s]! += d;
    mask = lateMask;
    for (let i = 0; i < S; i++) if (depth[i]! > 0) mask |= 1 << i;
  }
  lost += (b - t) * fail(mask);
  return lost;
}
