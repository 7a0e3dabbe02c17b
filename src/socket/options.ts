import type { EngineOptions } from './engine-contract.js';
import { resolveStreams, type StreamDeclaration } from './streams.js';
import { integerIn, invalidType, invalidValue, numberAbove, oneOf, outOfRange, unknownOption } from './validate.js';

/** The wire format: `v1` (ours) or `seed` (seed 000's `>IBBBH` header with zfec fragments). */
export type WireFormat = 'v1' | 'seed';

/**
 * The code of the repair symbols: `rs` Reed-Solomon, `xor` striped XOR parity, `lt` seed 001's
 * mirrored LT.
 */
export type RepairCode = 'rs' | 'xor' | 'lt';

/** Every {@link RepairCode}, the default first. */
export const REPAIR_CODES: readonly RepairCode[] = ['rs', 'xor', 'lt'];

/**
 * What is encrypted (v1): `none`; `control`, control packets encrypted and media (DATA, REPAIR,
 * FRAME) authenticated in the clear, seed 002's mode for public broadcasts; `all`.
 */
export type EncryptMode = 'none' | 'control' | 'all';

/** Every {@link EncryptMode}. */
export const ENCRYPT_MODES: readonly EncryptMode[] = ['none', 'control', 'all'];

/** The protection settings an endpoint URL can carry (see `parseEndpointUrl`). */
export interface ProtectionOptions {
  /** Wire format (default 'v1'). */
  compat?: WireFormat;
  /**
   * Source symbols per block (v1) or fragments per message (seed); integer, default 16.
   * v1: 1 to 255; seed: 1 to 255.
   */
  k?: number;
  /**
   * Symbols per full block, sources and repairs: a fixed shape. v1: k+1 to 256; seed: k to 255.
   * Give `n` or `redundancy`, not both.
   */
  n?: number;
  /**
   * Repair symbols per source symbol, e.g. 0.25 (the default): a block of k sources gets
   * ceil(k * redundancy) repairs. Above 0; the full block must fit the format's shape limit.
   */
  redundancy?: number;
  /**
   * The code of the repair symbols this socket sends (v1; default 'rs'). 'rs' (Reed-Solomon)
   * rebuilds any m losses of a block of k sources and m repairs. 'xor' (m XOR parities over
   * interleaved groups) and 'lt' (seed 001's mirrored LT: pairs of XORs over complementary
   * halves) cost less CPU and rebuild any single loss per block (per group for 'xor'; 'lt' needs
   * m >= 2), but less than 'rs' beyond that, so they lean on NACK. Adaptive redundancy sizes the
   * repairs as for 'rs'. The receiver needs no setting: it decodes with the code each block's
   * repairs name.
   */
  code?: RepairCode;
  /** Receive latency budget in ms: a block older than this is given up (default 120, at most 60000). */
  latency?: number;
  /** A block closes this many ms after its first symbol even if short of k (v1; default 5, below latency). */
  blockTime?: number;
  /**
   * Deliver each sender's messages in the order sent (v1): a message after a gap waits, at most
   * `latency` ms, while FEC may still fill the gap. Default false: each message as soon as it is
   * there, as UDP sockets do (no head-of-line blocking). The `recv` CLI turns it on.
   */
  ordered?: boolean;
  /**
   * Ask the sender again for what FEC could not rebuild, while a retransmission can still make
   * the latency budget, and answer such requests (v1; default true).
   */
  nack?: boolean;
  /** Pace everything the socket sends to at most this many bits per second (default 0: unpaced). */
  rate?: number;
  /**
   * Let the receiver's reports (loss, burst length, round-trip time) drive the block duration
   * and repair ratio (v1; default true unless `n` fixes the shape). `k` is then the largest
   * block (default 64), `redundancy` the starting ratio.
   */
  adaptive?: boolean;
  /** The repair ratio adaptation stays within (defaults 0.02 and 0.6). */
  minRedundancy?: number;
  maxRedundancy?: number;
  /**
   * Fall back to TCP where UDP is blocked (v1; default true, and false for `compat: 'seed'`,
   * whose peers never answer). A bound socket then also listens on TCP at its UDP port's number
   * and address (if that TCP port is taken it runs on UDP alone, counted in
   * `stats().tcpListenErrors`). A destination that has not answered anything within
   * `fallbackAfter` ms of the first message is sent every later message, and those of the trial
   * window again, over one TCP connection to the same host and port as length-prefixed frames
   * (no FEC: TCP repairs). The peer's replies come back on it. `stats().transport` says which
   * is in use. Both ends need it on. The URL key is `tcp=1|0`.
   *
   * Limits: whether a peer answered is judged from the socket's received datagrams as a whole,
   * so a socket that also hears from other peers never falls back; a decision is made once per
   * destination and not revisited; the `relay` runs natively over UDP and has no fallback.
   */
  tcpFallback?: boolean;
  /**
   * Estimate the path's bandwidth from the receiver's reports (queueing delay first: loss that
   * FEC repairs is not taken for congestion), pace to it (within `rate`, if given), and emit
   * `'bandwidth'` when it moves, so an encoder can follow (v1; default false).
   */
  adaptiveRate?: boolean;
  /** ms without sending a peer anything before a keep-alive PING keeps NAT bindings open (v1; default 15000, 0: never). */
  keepAlive?: number;
  /** ms without hearing from a peer (or sending it data) before it is forgotten and `'timeout'` emitted (default 60000, 0: never). */
  idleTimeout?: number;
  /** Path MTU discovery with padded probes (v1; default true); see `stats().pathMtu`. */
  mtuProbe?: boolean;
  /** The largest UDP payload probed: the interface MTU less IP and UDP headers (default 1472). */
  maxMtu?: number;
  /**
   * A secret both ends share, 10 to 79 characters (SRT's bounds): the first packet to a peer
   * starts a Noise handshake (X25519) authenticated by it, and every packet is then sealed with
   * AES-256-GCM under per-direction keys. A peer with another passphrase gets nothing through
   * (`stats().authFailed`). URL key `passphrase`.
   */
  passphrase?: string;
  /** What to encrypt: default 'all' when a passphrase or key is given, else 'none'. URL key `encrypt`. */
  encrypt?: EncryptMode;
  /**
   * This socket's X25519 private key (64 hex digits, see `generateKeyPair()`), so clients that
   * pin its public key can reach it: a server. URL key `privatekey`.
   */
  privateKey?: string;
  /**
   * The X25519 public key (64 hex digits) the peers this socket contacts must prove they hold:
   * a client pinning its server. With a passphrase too, both must match. URL key `peerkey`.
   */
  peerPublicKey?: string;
}

/** Options of {@link createSocket}. */
export interface SocketOptions extends ProtectionOptions {
  /** Address family of the socket, as in node:dgram. */
  type: 'udp4' | 'udp6';
  /** Senders tracked at once; the least recently active is dropped past it (default 1024). */
  maxPeers?: number;
  /** Blocks in flight per sender at the receiver (default 256); past it the oldest is evicted (`stats().evictedBlocks`). */
  maxBlocksPerPeer?: number;
  /**
   * Bytes held per sender at the receiver, across its blocks and held-back messages (default
   * 64 MiB); past it the oldest blocks are evicted (`stats().evictedBlocks`).
   */
  maxBufferedBytes?: number;
  /** Bytes of sent data kept per destination for retransmission on NACK (default 32 MiB). */
  historyBytes?: number;
  /**
   * SO_SNDBUF / SO_RCVBUF to ask the kernel for, bytes (default 4 MiB). Linux caps the request
   * at `net.core.rmem_max` / `wmem_max` (208 KiB on many distributions) unless the process has
   * `CAP_NET_ADMIN`, with which the socket asks again past the cap. `getRecvBufferSize()` says
   * what was granted.
   */
  socketBufferBytes?: number;
  /**
   * Messages an async iterator of the socket holds for a slow consumer (default 4096); past
   * it new messages are dropped for that iterator and counted in `stats().iteratorDropped`.
   * Each held message keeps its delivery batch's memory alive.
   */
  iteratorBuffer?: number;
  /**
   * ms of sending to a destination with nothing heard back before UDP to it counts as blocked
   * (default 1000; with `tcpFallback` only). A v1 receiver answers within about 250 ms, so much
   * less than that falls back where UDP works.
   */
  fallbackAfter?: number;
  /** Logical streams besides stream 0; see {@link StreamOptions} and `socket.stream()`. */
  streams?: StreamDeclaration[];
  /** Handshakes answered per second at most, so a HELLO flood cannot take the CPU (default 2000). */
  handshakesPerSecond?: number;
}

/** Validated TCP fallback settings. */
export interface FallbackSettings {
  fallbackAfter: number;
  /** TCP connections a socket accepts at once: as many as the senders it tracks. */
  maxConnections: number;
}

/** Validated options: what the engine gets and what the socket keeps for itself. */
export interface ResolvedOptions {
  type: 'udp4' | 'udp6';
  engine: EngineOptions;
  iteratorBuffer: number;
  /** The TCP fallback's settings; undefined when it is off. */
  tcp: FallbackSettings | undefined;
}

const ACCEPTED_KEYS = [
  'type',
  'compat',
  'k',
  'n',
  'redundancy',
  'latency',
  'blockTime',
  'ordered',
  'nack',
  'code',
  'rate',
  'adaptive',
  'minRedundancy',
  'maxRedundancy',
  'maxPeers',
  'maxBlocksPerPeer',
  'maxBufferedBytes',
  'historyBytes',
  'socketBufferBytes',
  'iteratorBuffer',
  'tcpFallback',
  'fallbackAfter',
  'adaptiveRate',
  'keepAlive',
  'idleTimeout',
  'mtuProbe',
  'maxMtu',
  'streams',
  'passphrase',
  'encrypt',
  'privateKey',
  'peerPublicKey',
  'handshakesPerSecond',
] as const satisfies ReadonlyArray<keyof SocketOptions>;

const DEFAULT_K = 16;
const DEFAULT_REDUNDANCY = 0.25;
const DEFAULT_LATENCY_MS = 120;
const DEFAULT_BLOCK_TIME_MS = 5;
const MAX_MS = 60_000;
const DEFAULT_FALLBACK_AFTER_MS = 1000;
const DEFAULT_MAX_PEERS = 1024;

/** Largest block per format: v1 codes up to 256 symbols; seed's n is one header byte. */
const MAX_SYMBOLS: Record<WireFormat, number> = { v1: 256, seed: 255 };

/** Repairs for a full block of k sources, rounded as the engine does (ratio in parts per million). */
export function repairsFor(k: number, redundancy: number): number {
  const ppm = Math.round(redundancy * 1e6);
  return Math.max(1, Math.ceil((k * ppm) / 1e6));
}

function checkShape(o: SocketOptions, format: WireFormat, engine: EngineOptions): void {
  const maxN = MAX_SYMBOLS[format];
  // k < n <= 256 in v1, k <= n <= 255 in seed: at most 255 either way.
  const k = o.k === undefined ? DEFAULT_K : integerIn(o.k, 'k', 1, 255);
  if (o.n !== undefined && o.redundancy !== undefined) {
    throw invalidValue('redundancy', 'left out when n is given (n fixes the shape)', o.redundancy);
  }
  if (o.k !== undefined) engine.k = k;
  if (o.n !== undefined) {
    // v1 needs at least one repair per block; the seed format may send k of k (no parity).
    engine.n = integerIn(o.n, 'n', format === 'v1' ? k + 1 : k, maxN);
    return;
  }
  const redundancy = o.redundancy === undefined ? DEFAULT_REDUNDANCY : numberAbove(o.redundancy, 'redundancy', 0, 255);
  const n = k + repairsFor(k, redundancy);
  if (n > maxN) {
    throw outOfRange('redundancy', `small enough that k + ceil(k * redundancy) <= ${maxN} (k is ${k})`, o.redundancy);
  }
  // The engine takes a ratio in v1; the seed format only knows fixed shapes.
  if (format === 'seed') engine.n = n;
  else if (o.redundancy !== undefined) engine.redundancy = redundancy;
}

function checkCode(o: SocketOptions, format: WireFormat, engine: EngineOptions): void {
  if (o.code === undefined) return;
  const code = oneOf(o.code, 'code', REPAIR_CODES);
  if (format === 'seed' && code !== 'rs') {
    throw invalidValue('code', "'rs' or left out with compat 'seed' (seed 000 is Reed-Solomon only)", o.code);
  }
  engine.code = code;
}

function checkTiming(o: SocketOptions, format: WireFormat, engine: EngineOptions): void {
  const latency = o.latency === undefined ? DEFAULT_LATENCY_MS : numberAbove(o.latency, 'latency', 0, MAX_MS, ' ms');
  if (o.latency !== undefined) engine.latencyMs = latency;
  if (o.blockTime === undefined) {
    if (format === 'v1' && DEFAULT_BLOCK_TIME_MS >= latency) engine.blockTimeMs = latency / 2;
    return;
  }
  const blockTime = numberAbove(o.blockTime, 'blockTime', 0, MAX_MS, ' ms');
  if (blockTime >= latency) {
    throw outOfRange('blockTime', `below latency (${latency} ms) so a closed block can still be repaired`, blockTime);
  }
  engine.blockTimeMs = blockTime;
}

function numberAtLeastZero(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidType(name, 'a number of bits per second', value);
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a number of bits per second, 0 (unpaced) or more', value);
  return value;
}

/** Keep-alive, idle timeout and path MTU settings: 0 turns a period off. */
function checkPath(o: SocketOptions, engine: EngineOptions): void {
  const period = (value: unknown, name: string): number =>
    value === 0 ? 0 : numberAbove(value, name, 0, 3_600_000, ' ms (or 0: never)');
  if (o.keepAlive !== undefined) engine.keepAliveMs = period(o.keepAlive, 'keepAlive');
  if (o.idleTimeout !== undefined) engine.idleTimeoutMs = period(o.idleTimeout, 'idleTimeout');
  const keepAlive = engine.keepAliveMs ?? 15_000;
  const idle = engine.idleTimeoutMs ?? 60_000;
  if (keepAlive > 0 && idle > 0 && idle <= keepAlive) {
    throw outOfRange('idleTimeout', `longer than keepAlive (${keepAlive} ms), or 0`, idle);
  }
  if (o.maxMtu !== undefined) engine.maxMtu = integerIn(o.maxMtu, 'maxMtu', 1200, 65_507);
}

function checkRedundancyBounds(o: SocketOptions, engine: EngineOptions): void {
  const min = o.minRedundancy === undefined ? undefined : numberAbove(o.minRedundancy, 'minRedundancy', 0, 3);
  const max = o.maxRedundancy === undefined ? undefined : numberAbove(o.maxRedundancy, 'maxRedundancy', 0, 3);
  if ((min ?? 0.02) > (max ?? 0.6)) {
    throw outOfRange(min === undefined ? 'maxRedundancy' : 'minRedundancy', 'with minRedundancy <= maxRedundancy', min ?? max);
  }
  if (min !== undefined) engine.minRedundancy = min;
  if (max !== undefined) engine.maxRedundancy = max;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** Encryption settings; gives whether the socket encrypts. */
function checkSecurity(o: SocketOptions, format: WireFormat, engine: EngineOptions): boolean {
  if (o.passphrase !== undefined) {
    if (typeof o.passphrase !== 'string') throw invalidType('passphrase', 'a string of 10 to 79 characters', o.passphrase);
    const length = [...o.passphrase].length;
    if (length < 10 || length > 79) throw outOfRange('passphrase', 'a string of 10 to 79 characters', `${length} characters`);
    engine.passphrase = o.passphrase;
  }
  for (const name of ['privateKey', 'peerPublicKey'] as const) {
    const key = o[name];
    if (key === undefined) continue;
    if (typeof key !== 'string') throw invalidType(name, '64 hex digits (an X25519 key)', key);
    if (!HEX_KEY.test(key)) throw invalidValue(name, '64 hex digits (an X25519 key; see generateKeyPair())', `${key.length} characters`);
    engine[name] = key;
  }
  const keyed = o.passphrase !== undefined || o.privateKey !== undefined || o.peerPublicKey !== undefined;
  const mode = o.encrypt === undefined ? (keyed ? 'all' : 'none') : oneOf(o.encrypt, 'encrypt', ENCRYPT_MODES);
  if (mode === 'none' && keyed) throw invalidValue('encrypt', "'control' or 'all' (or left out) when a passphrase or key is given", mode);
  if (mode !== 'none' && !keyed) throw invalidValue('encrypt', "'none' unless a passphrase, privateKey or peerPublicKey is given", mode);
  if (mode !== 'none' && format === 'seed') throw invalidValue('encrypt', "'none' with compat 'seed' (seed 000 has no handshake)", mode);
  if (o.handshakesPerSecond !== undefined) engine.handshakesPerSecond = integerIn(o.handshakesPerSecond, 'handshakesPerSecond', 1, 1_000_000);
  if (mode !== 'none') engine.encrypt = mode;
  return mode !== 'none';
}

function checkFallback(o: SocketOptions, format: WireFormat, maxPeers: number, encrypted: boolean): FallbackSettings | undefined {
  if (o.tcpFallback !== undefined && typeof o.tcpFallback !== 'boolean') throw invalidType('tcpFallback', 'true or false', o.tcpFallback);
  if (o.tcpFallback === true && encrypted) {
    throw invalidValue('tcpFallback', 'false or left out with encryption (its TCP frames are not encrypted)', true);
  }
  if (o.tcpFallback === true && format === 'seed') {
    throw invalidValue('tcpFallback', "false or left out with compat 'seed' (a seed peer never answers, so silence proves nothing)", true);
  }
  const on = o.tcpFallback ?? (format === 'v1' && !encrypted);
  if (!on) {
    if (o.fallbackAfter !== undefined) throw invalidValue('fallbackAfter', 'left out when the TCP fallback is off', o.fallbackAfter);
    return undefined;
  }
  const fallbackAfter =
    o.fallbackAfter === undefined ? DEFAULT_FALLBACK_AFTER_MS : numberAbove(o.fallbackAfter, 'fallbackAfter', 0, MAX_MS, ' ms');
  return { fallbackAfter, maxConnections: maxPeers };
}

/**
 * Checks {@link SocketOptions} up front, so a mistake is reported where it was made.
 * @throws TypeError for an unknown option or a value of the wrong kind, RangeError for a value
 *   out of range; each names the option and what it accepts
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options === 'string') options = { type: options };
  if (typeof options !== 'object' || options === null) {
    throw invalidType('options', "an object like { type: 'udp4' }", options);
  }
  const o = options as SocketOptions;
  for (const key of Object.keys(o)) {
    if (!(ACCEPTED_KEYS as readonly string[]).includes(key)) throw unknownOption(key, ACCEPTED_KEYS);
  }
  const type = oneOf(o.type, 'type', ['udp4', 'udp6'] as const);
  const format = o.compat === undefined ? 'v1' : oneOf(o.compat, 'compat', ['v1', 'seed'] as const);
  const engine: EngineOptions = { format };
  checkShape(o, format, engine);
  checkCode(o, format, engine);
  checkTiming(o, format, engine);
  for (const flag of ['ordered', 'nack', 'adaptive', 'adaptiveRate', 'mtuProbe'] as const) {
    const value = o[flag];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalidType(flag, 'true or false', value);
    engine[flag] = value;
  }
  if (o.adaptive === true && o.n !== undefined) throw invalidValue('adaptive', 'left out or false when n fixes the shape', o.adaptive);
  if (o.rate !== undefined) engine.rateBps = numberAtLeastZero(o.rate, 'rate');
  checkPath(o, engine);
  if (o.streams !== undefined) engine.streams = resolveStreams(o.streams);
  checkRedundancyBounds(o, engine);
  if (o.maxPeers !== undefined) engine.maxPeers = integerIn(o.maxPeers, 'maxPeers', 1, 65_536);
  if (o.maxBlocksPerPeer !== undefined) {
    engine.maxBlocksPerPeer = integerIn(o.maxBlocksPerPeer, 'maxBlocksPerPeer', 1, 65_536);
  }
  for (const name of ['maxBufferedBytes', 'historyBytes'] as const) {
    if (o[name] !== undefined) engine[name] = integerIn(o[name], name, 65_536, 2 ** 32);
  }
  if (o.socketBufferBytes !== undefined) {
    engine.socketBufferBytes = integerIn(o.socketBufferBytes, 'socketBufferBytes', 1024, 0x7fff_ffff);
  }
  const iteratorBuffer = o.iteratorBuffer === undefined ? 4096 : integerIn(o.iteratorBuffer, 'iteratorBuffer', 1, 1_000_000);
  const encrypted = checkSecurity(o, format, engine);
  const tcp = checkFallback(o, format, engine.maxPeers ?? DEFAULT_MAX_PEERS, encrypted);
  return { type, engine, iteratorBuffer, tcp };
}
