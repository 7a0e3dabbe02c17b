/**
 * The deterministic discrete-event simulator of the P2P fan-out. It drives the same placement tree
 * (`../tree/`) and the same peer repair policy (`../repair.ts`) the live coordinator and peers use,
 * on a virtual clock, with modelled links and churn.
 *
 * What is simulated event by event: arrivals (flash crowd, then one per departure), graceful leaves
 * and crashes, the children's silence timers and backup tries, the coordinator's parentLost answers,
 * its dead-peer detection and its periodic rebalance. What is integrated rather than simulated per
 * symbol: the stream itself. For every peer and stripe the simulator keeps the intervals during
 * which the stripe did not reach it (an ancestor dead or cut off, until the repair below that
 * ancestor completes); every window it turns those intervals, the stripes whose path is too slow
 * for the deadline, and each path's residual random loss after link repair into the expected
 * number of blocks lost (exact binomial arithmetic per block; see `block-loss.ts`).
 * Planned moves (push-down, leave, rebalance) are make-before-break and cost nothing.
 *
 * This module runs the clock; the parts it dispatches to: `churn.ts` (arrivals, leaves, crashes
 * and their detection), `repairs.ts` (cut-off stripes and how they come back), `continuity.ts`
 * with `paths.ts` (block delivery accounting), `scores.ts` (per-peer continuity), `sampling.ts`
 * (the time series and the figures made from it); `world.ts` holds the state they share.
 */
import { arrive, depart, detect, nextDeparture, scheduleChurn } from './churn.js';
import { validate, type SimConfig } from './config.js';
import { account } from './continuity.js';
import { applyMoves, onSilence } from './repairs.js';
import type { SimResult } from './result.js';
import { measuredFigures, sample } from './sampling.js';
import { continuityFigures, finalScores } from './scores.js';
import { summarize } from './stats.js';
import { createWorld } from './world.js';

export type { SimResult, SimSample } from './result.js';

/** Runs one simulation; deterministic for a given config (seed included). */
export function simulate(config: SimConfig, progress?: (line: string) => void): SimResult {
  validate(config);
  // The continuity accounting packs per-stripe path codes into a double (see continuity.ts).
  if (config.stripes > 7) throw new RangeError('the simulator handles at most 7 stripes');
  const c = config;
  const started = Date.now();
  const w = createWorld(c);

  // Schedule: flash crowd, churn, rebalancing, samples (in this order: equal times pop in push order).
  scheduleChurn(w);
  w.queue.push(c.rebalanceEveryMs, { kind: 'rebalance' });
  w.queue.push(c.sampleS * 1000, { kind: 'sample' });
  const moveBudget = c.rebalanceMoves > 0 ? c.rebalanceMoves : Math.max(5, Math.ceil(c.peers / 800));
  const horizon = w.end + w.lagMs + c.sampleS * 1000;

  for (;;) {
    const next = w.queue.pop();
    if (next === undefined || next.time > horizon) break;
    const { time: now, item: ev } = next;
    switch (ev.kind) {
      case 'arrive':
        arrive(w, now);
        break;
      case 'depart':
        if (now < w.end) {
          depart(w, now);
          w.queue.push(nextDeparture(w, now), { kind: 'depart' });
        }
        break;
      case 'silence':
        onSilence(w, ev, now);
        break;
      case 'detect':
        detect(w, ev.id, now);
        break;
      case 'rebalance':
        applyMoves(w, w.tree.rebalance(moveBudget), now);
        w.queue.push(now + c.rebalanceEveryMs, { kind: 'rebalance' });
        break;
      case 'sample':
        sample(w, now, progress);
        w.queue.push(now + c.sampleS * 1000, { kind: 'sample' });
        break;
    }
  }
  if (w.accountedTo < w.end) account(w, w.accountedTo, w.end);
  const scored = finalScores(w);
  const { continuity, continuityCdf } = continuityFigures(scored);
  const { depth, rootUpload } = measuredFigures(w);
  const { pathTime } = w;
  // Built field by field, in the order the JSON report has always listed them.
  return {
    config: c,
    slots: { peerMean: w.slotSum / Math.max(1, w.present.length), root: w.rootSlots, stripeCopyRate: w.copyRate },
    scored: scored.length,
    continuity,
    depth,
    rootUpload,
    joinMs: summarize(w.joinMs),
    repairMs: summarize(w.repairMs),
    counters: w.counters,
    samples: w.samples,
    paths: {
      lateShare: pathTime.late / Math.max(1, pathTime.total),
      noRetryShare: pathTime.noRetry / Math.max(1, pathTime.total),
      meanDelayMs: pathTime.delaySum / Math.max(1, pathTime.total - pathTime.late),
    },
    worst: w.worst,
    continuityCdf,
    runtimeMs: Date.now() - started,
  };
}
