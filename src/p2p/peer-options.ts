import { invalidType, integerIn, numberAbove, unknownOption } from '../socket/validate.js';
import type { LinkOptions } from './link.js';
import { DEFAULT_REPAIR_POLICY } from './repair.js';

/** Options of {@link startPeer}. */
export interface PeerOptions {
  /** The coordinator's control address. */
  coordinator: { host: string; port: number };
  /** Where the stream goes out as plain UDP datagrams (e.g. for ffplay udp://...). */
  to: { host: string; port: number };
  /** Local address of the peer's socket (default 0.0.0.0, any free port). */
  bind?: { host?: string; port?: number };
  /** Upload budget as a multiple of the stream's rate (default 2); or give `uploadBps`. */
  uploadRatio?: number;
  /** Upload budget in bits per second (instead of `uploadRatio`). */
  uploadBps?: number;
  /** A parent with nothing on its stripe for this long is given up for a backup, ms (default 300). */
  silenceMs?: number;
  /** How long to keep trying to reach the coordinator, ms (default 10000). */
  joinTimeoutMs?: number;
  /** Report (and heartbeat) interval, ms (default 100). */
  reportMs?: number;
  /** Per-hop link protection (see LinkOptions). */
  link?: LinkOptions;
}

export interface ResolvedPeerOptions {
  coordinator: { host: string; port: number };
  to: { host: string; port: number };
  bind: { host: string; port: number };
  budget: { ratio: number } | { bps: number };
  silenceMs: number;
  joinTimeoutMs: number;
  reportMs: number;
  link: LinkOptions;
}

const KEYS = ['coordinator', 'to', 'bind', 'uploadRatio', 'uploadBps', 'silenceMs', 'joinTimeoutMs', 'reportMs', 'link'];

/** Checks a host/port object. */
export function hostPort(v: unknown, name: string, allowZero = false): { host: string; port: number } {
  if (typeof v !== 'object' || v === null) throw invalidType(name, "an object like { host: '127.0.0.1', port: 5000 }", v);
  const o = v as { host?: unknown; port?: unknown };
  if (typeof o.host !== 'string' || o.host === '') throw invalidType(`${name}.host`, 'a non-empty string', o.host);
  return { host: o.host, port: integerIn(o.port, `${name}.port`, allowZero ? 0 : 1, 65_535) };
}

export function checkKeys(o: object, keys: readonly string[], name: string): void {
  for (const key of Object.keys(o)) if (!keys.includes(key)) throw unknownOption(`${name}.${key}`, keys);
}

/** Checks {@link PeerOptions}. @throws TypeError or RangeError naming the option */
export function resolvePeerOptions(options: unknown): ResolvedPeerOptions {
  if (typeof options !== 'object' || options === null) throw invalidType('options', 'an object', options);
  const o = options as PeerOptions;
  checkKeys(o, KEYS, 'options');
  if (o.uploadRatio !== undefined && o.uploadBps !== undefined) throw invalidType('options.uploadBps', 'left out when uploadRatio is given', o.uploadBps);
  const budget =
    o.uploadBps !== undefined ? { bps: numberAbove(o.uploadBps, 'options.uploadBps', 0, 1e12) } : { ratio: o.uploadRatio === undefined ? 2 : numberAbove(o.uploadRatio, 'options.uploadRatio', -1, 1000) };
  const bind = o.bind === undefined ? { host: '0.0.0.0', port: 0 } : hostPort({ host: o.bind.host ?? '0.0.0.0', port: o.bind.port ?? 0 }, 'options.bind', true);
  if (o.link !== undefined && (typeof o.link !== 'object' || o.link === null)) throw invalidType('options.link', 'an object', o.link);
  return {
    coordinator: hostPort(o.coordinator, 'options.coordinator'),
    to: hostPort(o.to, 'options.to'),
    bind,
    budget,
    silenceMs: o.silenceMs === undefined ? DEFAULT_REPAIR_POLICY.silenceMs : numberAbove(o.silenceMs, 'options.silenceMs', 0, 60_000),
    joinTimeoutMs: o.joinTimeoutMs === undefined ? 10_000 : numberAbove(o.joinTimeoutMs, 'options.joinTimeoutMs', 0, 3_600_000),
    reportMs: o.reportMs === undefined ? 100 : numberAbove(o.reportMs, 'options.reportMs', 10, 60_000),
    link: o.link ?? {},
  };
}
