/**
 * Sampling of figures: every `sampleS` the tree's shape, the root's upload and the stripes cut off
 * go into the time series, and the continuity of the window that closed `lagMs` ago is accounted;
 * at the end of the run the samples inside the measured window give the depth and root upload figures.
 */
import { account } from './continuity.js';
import type { SimResult, SimSample } from './result.js';
import type { SimWorld } from './world.js';

/** Takes one sample at `now` (accounting a window first when one is due) and reports it to `progress`. */
export function sample(w: SimWorld, now: number, progress?: (line: string) => void): void {
  const { c, copyRate } = w;
  const shape = w.tree.shape();
  let windowContinuity: number | null = null;
  const upTo = Math.min(w.end, now - w.lagMs);
  if (upTo >= Math.min(w.end, w.accountedTo + c.windowS * 1000) && upTo > w.accountedTo) windowContinuity = account(w, w.accountedTo, upTo);
  w.samples.push({
    t: now / 1000,
    peers: shape.peers,
    maxDepth: shape.maxDepth,
    minDepth: shape.minDepth,
    meanDepth: shape.meanDepth,
    rootUpload: shape.rootChildren * copyRate,
    borrowed: shape.borrowed,
    orphaned: shape.orphaned,
    cutOff: w.cutSince.size,
    windowContinuity,
  });
  progress?.(
    `t=${(now / 1000).toFixed(0)}s peers=${shape.peers} depth max ${shape.maxDepth} (min ${shape.minDepth}) mean ${shape.meanDepth.toFixed(2)} ` +
      `root ${(shape.rootChildren * copyRate).toFixed(2)}x cut ${w.cutSince.size}` +
      (windowContinuity === null ? '' : ` window continuity ${(windowContinuity * 100).toFixed(3)}%`),
  );
}

/** Depth and root upload over the samples inside the measured window (the final depth from the tree now). */
export function measuredFigures(w: SimWorld): Pick<SimResult, 'depth' | 'rootUpload'> {
  const measured: SimSample[] = w.samples.filter((x) => x.t * 1000 >= w.measureFrom && x.t * 1000 <= w.end);
  return {
    depth: {
      maxOverRun: Math.max(...measured.map((x) => x.maxDepth)),
      minDepth: Math.max(...measured.map((x) => x.minDepth)),
      ratio: Math.max(...measured.map((x) => x.maxDepth / Math.max(1, x.minDepth))),
      meanDepth: measured.reduce((x, y) => x + y.meanDepth, 0) / Math.max(1, measured.length),
      finalMax: w.tree.shape().maxDepth,
    },
    rootUpload: { min: Math.min(...measured.map((x) => x.rootUpload)), max: Math.max(...measured.map((x) => x.rootUpload)) },
  };
}
