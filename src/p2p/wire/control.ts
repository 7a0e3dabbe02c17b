/**
 * Control messages (logical stream 1 of the P2P socket: reliable, in order). Each is one
 * compact JSON object of at most MAX_CONTROL bytes with a type tag `t`. Everything from the
 * network is checked strictly by {@link parseControl}: unknown types, unknown or missing keys,
 * values of the wrong kind or out of range all make it return undefined (the caller counts it
 * as malformed and drops it); it never throws.
 */

export const MAX_CONTROL = 4096;
/** Protocol version carried in JOIN and PLACED. */
export const P2P_VERSION = 1;
export const MAX_STRIPES = 16;
export const MAX_BACKUPS = 8;

/** Another node: its id and where to reach it ("host:port"; "" for the coordinator itself). */
export interface NodeRef {
  id: string;
  addr: string;
}

export interface StripeAssignment {
  stripe: number;
  /** null while the stripe has no parent (the coordinator moves one in later). */
  parent: NodeRef | null;
  backups: NodeRef[];
}

/** peer -> coordinator: measures the round trip and the clock offset before a join. */
export interface Ping { t: 'ping'; at: number }
/** coordinator -> peer: `at` echoed, `now` the coordinator's clock (u32 ms). */
export interface Pong { t: 'pong'; at: number; now: number }
/** peer -> coordinator: place me. Upload budget as a multiple of the stream (`ratio`) or in bits/s. */
export interface Join { t: 'join'; v: number; ratio?: number; bps?: number; rttMs: number }
/** coordinator -> peer: the answer to a join (one round trip). */
export interface Placed {
  t: 'placed';
  v: number;
  id: string;
  home: number;
  stripes: number;
  k: number;
  n: number;
  latencyMs: number;
  /** Stripe copies this peer may serve at once. */
  slots: number;
  /** The coordinator's clock (u32 ms) when it answered. */
  now: number;
  parents: StripeAssignment[];
}
/** The reason of a REFUSED that asks a placed peer to join again (the coordinator lost track of it). */
export const REJOIN = 'unknown peer: join again';

/** coordinator -> peer: the join was refused (or, with reason REJOIN, a placed peer should join again). */
export interface Refused { t: 'refused'; reason: string }
/**
 * child -> parent: send me `stripe`. With `from` (on a switch, not on a refresh): also send the
 * symbols of blocks from `from` on that you still hold (a backfill of what the child missed).
 */
export interface Subscribe { t: 'sub'; stripe: number; id: string; from?: number }
/** parent -> child: whether it will. */
export interface SubAck { t: 'suback'; stripe: number; ok: boolean }
/** child -> parent: stop sending `stripe`. */
export interface Unsubscribe { t: 'unsub'; stripe: number }
/** Either way between neighbours: I am leaving; forget me (children switch at once). */
export interface Bye { t: 'bye' }
/** peer -> coordinator: graceful leave. */
export interface Leave { t: 'leave' }
/** peer -> coordinator, about once a second: the heartbeat with the peer's figures. */
export interface Report {
  t: 'report';
  /** Blocks decoded and blocks lost since the previous report. */
  blocks: number;
  lost: number;
  /** Fraction of symbols that were missing before repair (0..1). */
  rawLoss: number;
  inBps: number;
  outBps: number;
  /** Parent id per stripe as the peer uses them ("" while it has none). */
  parents: string[];
}
/** peer -> coordinator: `parent` went silent on `stripe`; `using` is the backup now in use, if any. */
export interface Lost { t: 'lost'; stripe: number; parent: string; using: NodeRef | null }
/** coordinator -> peer: take `stripe` from `parent` (subscribe there, then drop the old one). */
export interface Move { t: 'move'; stripe: number; parent: NodeRef; backups: NodeRef[] }

export type Control = Ping | Pong | Join | Placed | Refused | Subscribe | SubAck | Unsubscribe | Bye | Leave | Report | Lost | Move;

/** Encodes a control message (the caller's own, so no checks beyond the size cap). */
export function encodeControl(msg: Control): Buffer {
  const out = Buffer.from(JSON.stringify(msg));
  if (out.byteLength > MAX_CONTROL) throw new RangeError(`control message ${msg.t} is ${out.byteLength} bytes, above ${MAX_CONTROL}`);
  return out;
}

type Obj = Record<string, unknown>;

const ID = /^(?:root|[a-z0-9]{1,16})$/;
const ADDR = /^(?:|(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}|\[[0-9a-fA-F:.]{2,45}\]:\d{1,5})$/;

function keysExactly(o: Obj, required: readonly string[], optional: readonly string[] = []): boolean {
  for (const key of required) if (!Object.hasOwn(o, key)) return false;
  for (const key of Object.keys(o)) if (!required.includes(key) && !optional.includes(key)) return false;
  return true;
}

function int(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function num(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}

function isAddr(v: unknown): v is string {
  if (typeof v !== 'string' || !ADDR.test(v)) return false;
  if (v === '') return true;
  const port = Number(v.slice(v.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65_535;
}

function isRef(v: unknown): v is NodeRef {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Obj;
  return keysExactly(o, ['id', 'addr']) && isId(o.id) && isAddr(o.addr);
}

function isRefs(v: unknown): v is NodeRef[] {
  return Array.isArray(v) && v.length <= MAX_BACKUPS && v.every(isRef);
}

function isAssignment(v: unknown, stripes: number): v is StripeAssignment {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Obj;
  return keysExactly(o, ['stripe', 'parent', 'backups']) && int(o.stripe, 0, stripes - 1) && (o.parent === null || isRef(o.parent)) && isRefs(o.backups);
}

const U32 = 0xffff_ffff;
const STRIPE = MAX_STRIPES - 1;

/** Checks per type: the keys, then each value. */
const CHECKS: Record<Control['t'], (o: Obj) => boolean> = {
  ping: (o) => keysExactly(o, ['t', 'at']) && num(o.at, 0, 1e15),
  pong: (o) => keysExactly(o, ['t', 'at', 'now']) && num(o.at, 0, 1e15) && int(o.now, 0, U32),
  join: (o) =>
    keysExactly(o, ['t', 'v', 'rttMs'], ['ratio', 'bps']) &&
    o.v === P2P_VERSION &&
    num(o.rttMs, 0, 60_000) &&
    (o.ratio === undefined) !== (o.bps === undefined) &&
    (o.ratio === undefined || num(o.ratio, 0, 1000)) &&
    (o.bps === undefined || num(o.bps, 0, 1e12)),
  placed: (o) =>
    keysExactly(o, ['t', 'v', 'id', 'home', 'stripes', 'k', 'n', 'latencyMs', 'slots', 'now', 'parents']) &&
    o.v === P2P_VERSION &&
    isId(o.id) &&
    int(o.stripes, 2, MAX_STRIPES) &&
    int(o.home, 0, (o.stripes as number) - 1) &&
    int(o.k, 1, 255) &&
    int(o.n, o.k as number, 255) &&
    num(o.latencyMs, 1, 60_000) &&
    int(o.slots, 0, 1000) &&
    int(o.now, 0, U32) &&
    Array.isArray(o.parents) &&
    o.parents.length === o.stripes &&
    o.parents.every((p: unknown, i: number) => isAssignment(p, o.stripes as number) && p.stripe === i),
  refused: (o) => keysExactly(o, ['t', 'reason']) && typeof o.reason === 'string' && o.reason.length <= 200,
  sub: (o) => keysExactly(o, ['t', 'stripe', 'id'], ['from']) && int(o.stripe, 0, STRIPE) && isId(o.id) && (o.from === undefined || int(o.from, 0, U32)),
  suback: (o) => keysExactly(o, ['t', 'stripe', 'ok']) && int(o.stripe, 0, STRIPE) && typeof o.ok === 'boolean',
  unsub: (o) => keysExactly(o, ['t', 'stripe']) && int(o.stripe, 0, STRIPE),
  bye: (o) => keysExactly(o, ['t']),
  leave: (o) => keysExactly(o, ['t']),
  report: (o) =>
    keysExactly(o, ['t', 'blocks', 'lost', 'rawLoss', 'inBps', 'outBps', 'parents']) &&
    int(o.blocks, 0, 1e9) &&
    int(o.lost, 0, 1e9) &&
    num(o.rawLoss, 0, 1) &&
    num(o.inBps, 0, 1e12) &&
    num(o.outBps, 0, 1e12) &&
    Array.isArray(o.parents) &&
    o.parents.length <= MAX_STRIPES &&
    o.parents.every((p: unknown) => p === '' || isId(p)),
  lost: (o) => keysExactly(o, ['t', 'stripe', 'parent', 'using']) && int(o.stripe, 0, STRIPE) && isId(o.parent) && (o.using === null || isRef(o.using)),
  move: (o) => keysExactly(o, ['t', 'stripe', 'parent', 'backups']) && int(o.stripe, 0, STRIPE) && isRef(o.parent) && isRefs(o.backups),
};

/** Parses and checks a control message from the network; undefined if it is malformed in any way. */
export function parseControl(msg: Uint8Array): Control | undefined {
  if (msg.byteLength < 2 || msg.byteLength > MAX_CONTROL || msg[0] !== 0x7b /* { */) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Obj;
  const t = o.t;
  if (typeof t !== 'string' || !Object.hasOwn(CHECKS, t)) return undefined;
  return CHECKS[t as Control['t']](o) ? (o as unknown as Control) : undefined;
}

/** "host:port" for an address, bracketing IPv6. */
export function formatAddr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Splits "host:port" (as {@link formatAddr} makes and parseControl accepts). */
export function splitAddr(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  const host = addr.slice(0, colon);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(addr.slice(colon + 1)) };
}
