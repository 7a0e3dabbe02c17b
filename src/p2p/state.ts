/**
 * The coordinator's JSON state (served at `GET /state.json` by `src/p2p/web/`), drawn by the
 * state page. One snapshot of the tree plus each peer's last report.
 */
import type { TreeShape } from './tree/types.js';

export interface PeerState {
  id: string;
  /** host:port the peer is reached at. */
  address: string;
  homeStripe: number;
  /** Parent id per stripe (index = stripe), 'root' for the coordinator, null when orphaned. */
  parents: (string | null)[];
  /** Depth per stripe. */
  depth: number[];
  /** From the peer's last report: fraction of blocks lost after repair over its last interval. */
  loss: number;
  /** Fraction of symbols that arrived missing before FEC/NACK repair. */
  rawLoss: number;
  /** Bits per second in and out over its last interval. */
  inBps: number;
  outBps: number;
  rttMs: number;
  /** ms since the last report. */
  lastSeenMs: number;
}

export interface CoordinatorState {
  stream: {
    /** Input rate seen at the coordinator, bits/s. */
    bitsPerSecond: number;
    stripes: number;
    /** Reed-Solomon block shape across the stripes. */
    k: number;
    n: number;
    latencyMs: number;
  };
  /** The coordinator's own upload over the last interval, bits/s, and as a multiple of the stream. */
  rootUploadBps: number;
  rootUploadRatio: number;
  shape: TreeShape;
  peers: PeerState[];
  /** Joins, leaves, crashes detected, moves issued since start. */
  counters: { joins: number; leaves: number; crashes: number; moves: number };
}
