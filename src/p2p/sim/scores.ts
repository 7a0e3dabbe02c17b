/**
 * Per-peer continuity scores: a peer is scored once its last window is accounted (when it left, or
 * at the end of the run), if it was present at least 1 s of the measured window after its first
 * block; the few worst are kept by name for the report.
 */
import type { SimResult } from './result.js';
import type { SimPeer, SimWorld } from './world.js';

/** A departed peer's last window is accounted when its window closes; then it is dropped. */
export function finish(w: SimWorld, peer: SimPeer): void {
  if (peer.leftAt <= w.accountedTo) score(w, peer);
}

/** Scores a departed peer whose last window is accounted, and drops it. */
export function score(w: SimWorld, peer: SimPeer): void {
  if (peer.produced >= w.c.blocksPerSecond) {
    w.finished.push(1 - peer.lost / peer.produced);
    noteWorst(w, peer);
  }
  w.peers.delete(peer.id);
}

/** Keeps the few worst peers for the report (who they were, not just a number). */
function noteWorst(w: SimWorld, peer: SimPeer): void {
  const worst = w.worst;
  const entry = { id: peer.id, continuity: 1 - peer.lost / peer.produced, producedBlocks: Math.round(peer.produced), lostBlocks: Math.round(peer.lost * 10) / 10 };
  worst.push(entry);
  worst.sort((a, b) => a.continuity - b.continuity);
  if (worst.length > 5) worst.pop();
}

/** At the end of the run (all accounted): every scored peer's continuity, worst first, those still present included. */
export function finalScores(w: SimWorld): number[] {
  const scored = [...w.finished];
  for (const peer of w.peers.values()) {
    if (peer.produced < w.c.blocksPerSecond) continue;
    scored.push(1 - peer.lost / peer.produced);
    noteWorst(w, peer);
  }
  scored.sort((a, b) => a - b);
  return scored;
}

/** The report's continuity figures from the sorted scores (all 1 when no peer was scored). */
export function continuityFigures(scored: readonly number[]): Pick<SimResult, 'continuity' | 'continuityCdf'> {
  const cdf: number[] = [];
  for (let i = 0; i <= 1000; i++) cdf.push(scored.length === 0 ? 1 : scored[Math.min(scored.length - 1, Math.floor((i / 1000) * scored.length))]!);
  return {
    continuity: {
      mean: scored.reduce((x, y) => x + y, 0) / Math.max(1, scored.length),
      p1: scored[Math.floor(scored.length * 0.01)] ?? 1,
      min: scored[0] ?? 1,
      atLeast999: scored.filter((x) => x >= 0.999).length / Math.max(1, scored.length),
    },
    continuityCdf: cdf,
  };
}
