import { invalidType, integerIn, numberAbove } from '../socket/validate.js';
import type { LinkOptions } from './link.js';
import { checkKeys, hostPort } from './peer-options.js';
import { maxSourcesPerBlock } from './stripe/shape.js';
import type { PlacementTree } from './tree/types.js';

/** Options of {@link startCoordinator}. */
export interface CoordinatorOptions {
  /** Control and data address peers reach the coordinator at (port 0: any free port). */
  listen: { host: string; port: number };
  /** Where the live stream comes in as plain UDP datagrams, e.g. MPEG-TS from ffmpeg (port 0: any). */
  from: { host: string; port: number };
  /** Stripes the stream is split into (default 4, 2 to 16). */
  stripes?: number;
  /** Source datagrams per stripe-code block (default 9; n follows: any stripes - 1 stripes hold k symbols). */
  k?: number;
  /** A block closes this long after its first datagram even if short of k, ms (default 50). */
  blockTimeMs?: number;
  /** End-to-end latency budget, from the coordinator to each peer's output, ms (default 1000). */
  latencyMs?: number;
  /** The coordinator's (root relay's) upload budget as a multiple of the stream (default 2). */
  rootUploadRatio?: number;
  /** The stream's rate, bits/s, for peers that state their budget in bits/s (default: measured). */
  bitrate?: number;
  /** A peer silent (no report) this long is declared dead, ms (default 1000; peers report every 100 ms). */
  deadAfterMs?: number;
  /** How often the tree is rebalanced, ms (default 1000), and moves per round (default 8). */
  rebalanceMs?: number;
  maxMoves?: number;
  /** Backups per stripe handed to each peer (default 2). */
  backups?: number;
  /** Serve the state page and /state.json here (default: no web server). */
  web?: { host: string; port: number };
  /** Per-hop link protection (see LinkOptions). */
  link?: LinkOptions;
  /** A placement tree to use instead of the built-in one (tests). */
  tree?: PlacementTree;
}

export interface ResolvedCoordinatorOptions {
  listen: { host: string; port: number };
  from: { host: string; port: number };
  stripes: number;
  k: number;
  blockTimeMs: number;
  latencyMs: number;
  rootUploadRatio: number;
  bitrate: number | undefined;
  deadAfterMs: number;
  rebalanceMs: number;
  maxMoves: number;
  backups: number;
  web: { host: string; port: number } | undefined;
  link: LinkOptions;
  tree: PlacementTree | undefined;
}

const KEYS = ['listen', 'from', 'stripes', 'k', 'blockTimeMs', 'latencyMs', 'rootUploadRatio', 'bitrate', 'deadAfterMs', 'rebalanceMs', 'maxMoves', 'backups', 'web', 'link', 'tree'];

/** Checks {@link CoordinatorOptions}. @throws TypeError or RangeError naming the option */
export function resolveCoordinatorOptions(options: unknown): ResolvedCoordinatorOptions {
  if (typeof options !== 'object' || options === null) throw invalidType('options', 'an object', options);
  const o = options as CoordinatorOptions;
  checkKeys(o, KEYS, 'options');
  const stripes = o.stripes === undefined ? 4 : integerIn(o.stripes, 'options.stripes', 2, 16);
  const k = o.k === undefined ? 9 : integerIn(o.k, 'options.k', 1, maxSourcesPerBlock(stripes));
  const latencyMs = o.latencyMs === undefined ? 1000 : numberAbove(o.latencyMs, 'options.latencyMs', 0, 60_000);
  const blockTimeMs = o.blockTimeMs === undefined ? 50 : numberAbove(o.blockTimeMs, 'options.blockTimeMs', 0, latencyMs / 2);
  if (o.link !== undefined && (typeof o.link !== 'object' || o.link === null)) throw invalidType('options.link', 'an object', o.link);
  if (o.tree !== undefined && (typeof o.tree !== 'object' || o.tree === null || typeof o.tree.join !== 'function')) throw invalidType('options.tree', 'a PlacementTree', o.tree);
  return {
    listen: hostPort(o.listen, 'options.listen', true),
    from: hostPort(o.from, 'options.from', true),
    stripes,
    k,
    blockTimeMs,
    latencyMs,
    rootUploadRatio: o.rootUploadRatio === undefined ? 2 : numberAbove(o.rootUploadRatio, 'options.rootUploadRatio', 0, 1000),
    bitrate: o.bitrate === undefined ? undefined : numberAbove(o.bitrate, 'options.bitrate', 0, 1e12),
    deadAfterMs: o.deadAfterMs === undefined ? 1000 : numberAbove(o.deadAfterMs, 'options.deadAfterMs', 0, 3_600_000),
    rebalanceMs: o.rebalanceMs === undefined ? 1000 : numberAbove(o.rebalanceMs, 'options.rebalanceMs', 0, 3_600_000),
    maxMoves: o.maxMoves === undefined ? 8 : integerIn(o.maxMoves, 'options.maxMoves', 0, 10_000),
    backups: o.backups === undefined ? 2 : integerIn(o.backups, 'options.backups', 0, 8),
    web: o.web === undefined ? undefined : hostPort(o.web, 'options.web', true),
    link: o.link ?? {},
    tree: o.tree,
  };
}
