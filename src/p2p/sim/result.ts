/**
 * What a simulator run reports: the figures `report.ts` turns into the table and chart, and the
 * time series behind them. Kept apart from the simulator so its parts can fill them in.
 */
import type { PeerId } from '../tree/types.js';
import type { SimConfig } from './config.js';
import type { Distribution } from './stats.js';

/** One row of the time series (every `sampleS`). */
export interface SimSample {
  t: number;
  peers: number;
  maxDepth: number;
  minDepth: number;
  meanDepth: number;
  /** The root's upload as a multiple of the stream. */
  rootUpload: number;
  borrowed: number;
  orphaned: number;
  /** Stripes cut off right now (peer x stripe pairs waiting for a repair). */
  cutOff: number;
  /** Mean continuity over the peers present in the window that ended `lag` before `t` (when one ended). */
  windowContinuity: number | null;
}

/** A run's figures; `simulate` returns one per config. */
export interface SimResult {
  config: SimConfig;
  slots: { peerMean: number; root: number; stripeCopyRate: number };
  /** Peers scored (present at least 1 s of the measured window after their first block). */
  scored: number;
  continuity: { mean: number; p1: number; min: number; atLeast999: number };
  depth: { maxOverRun: number; minDepth: number; ratio: number; meanDepth: number; finalMax: number };
  rootUpload: { min: number; max: number };
  joinMs: Distribution;
  repairMs: Distribution;
  counters: {
    joins: number;
    graceful: number;
    crashes: number;
    repairs: number;
    backupSwitches: number;
    coordinatorAnswers: number;
    orphanedStripes: number;
    moves: number;
    lateRecords: number;
  };
  samples: SimSample[];
  /**
   * Over the measured peer-stripe time: the share whose path from the root was slower than the
   * deadline (counted out), the share too slow for a link retry, and the mean path delay (ms).
   */
  paths: { lateShare: number; noRetryShare: number; meanDelayMs: number };
  /** The five worst peers: continuity, blocks produced while they were present, blocks lost. */
  worst: { id: PeerId; continuity: number; producedBlocks: number; lostBlocks: number }[];
  /** Continuity at each 0.1% of peers, worst first (1001 points). */
  continuityCdf: number[];
  runtimeMs: number;
}
