import { native } from '../native.js';
import type { EngineCounters } from './stats.js';

/**
 * What the native `Engine` (crates/node/src/engine) takes and gives, declared here so the
 * socket compiles against the contract whichever binding build is on disk. Field names are the
 * camelCase napi-rs derives from the Rust structs.
 */

/** Options of the native engine; every field optional, the engine checks them again. */
export interface EngineOptions {
  format?: 'v1' | 'seed';
  k?: number;
  n?: number;
  redundancy?: number;
  code?: 'rs' | 'xor' | 'lt';
  blockTimeMs?: number;
  latencyMs?: number;
  ordered?: boolean;
  maxPeers?: number;
  maxBlocksPerPeer?: number;
  maxBufferedBytes?: number;
  historyBytes?: number;
  socketBufferBytes?: number;
  nack?: boolean;
  rateBps?: number;
  adaptive?: boolean;
  minRedundancy?: number;
  maxRedundancy?: number;
  /** A relay's plain side on the I/O thread: plain datagrams read at host:port go to the peer. */
  bridgeIn?: { host: string; port: number; peerHost: string; peerPort: number };
  /** A relay's plain side on the I/O thread: delivered messages leave for host:port. */
  bridgeOut?: { host: string; port: number };
  keepAliveMs?: number;
  idleTimeoutMs?: number;
  mtuProbe?: boolean;
  maxMtu?: number;
  streams?: Array<{ id: number; reliable?: boolean; priority?: number; maxDelayMs?: number }>;
  adaptiveRate?: boolean;
  encrypt?: 'control' | 'all';
  passphrase?: string;
  privateKey?: string;
  peerPublicKey?: string;
  handshakesPerSecond?: number;
}

/** An address the engine reports (bound socket or new sender). */
export interface EngineAddress {
  address: string;
  port: number;
  family: string;
}

/** A sender seen for the first time in a batch; ids only increase. */
export interface EngineNewPeer extends EngineAddress {
  id: number;
}

/** Delivered messages, back to back in `slab`; message i is the next `lengths[i]` bytes. */
export interface DeliveryBatch {
  slab: Buffer;
  lengths: Uint32Array;
  /** Sender id of each message (an id space of its own, not the ids `peer()` returns). */
  peers: Uint32Array;
  /** The stream each message came on. */
  streams?: Uint8Array;
  newPeers: EngineNewPeer[];
  /** Peers forgotten after their idle timeout since the last batch. */
  timedOut?: EngineAddress[];
  /** Bandwidth estimates that moved since the last batch. */
  bandwidth?: Array<EngineAddress & { bitsPerSecond: number }>;
}

/** The bridge's counters (a relay's plain side; zero without one). */
export interface BridgeCounters {
  bridgeDatagramsIn: number;
  bridgeBytesIn: number;
  bridgeDatagramsOut: number;
  bridgeBytesOut: number;
  bridgeSendErrors: number;
  bridgeSendQueueDrops: number;
  bridgeReceiveBufferDrops: number;
}

/** The engine's counters, as the native side names them (an older engine may lack some). */
export type EngineStats = Partial<EngineCounters & BridgeCounters>;

/** The native engine: a UDP socket owned by a Rust I/O thread. */
export interface Engine {
  bind(host: string, port: number): EngineAddress;
  /** Where the bridge's plain socket is bound, if the engine has one. */
  bridgeAddress(): EngineAddress | null | undefined;
  peer(host: string, port: number): number;
  /** The bound socket's buffer sizes as the kernel reports them (Linux doubles what it grants). */
  bufferSizes(): { receive: number; send: number };
  send(slab: Uint8Array, lengths: Uint32Array, peers: Uint32Array, streams?: Uint8Array): void;
  stats(): EngineStats;
  /** Messages passed to `send` that the I/O thread has not yet taken. */
  unsent(): number;
  close(): void;
}

/** How the engine is constructed. */
export type EngineConstructor = new (options: EngineOptions, onBatch: (batch: DeliveryBatch) => void) => Engine;

/**
 * The native `Engine` class.
 * @throws Error when the loaded binding has none (an addon built before the engine existed)
 */
export function engineClass(): EngineConstructor {
  // Typed through the generated binding, so tsc flags a native signature that drifts from this
  // contract; still checked at run time for an addon built before the engine existed.
  const Engine: EngineConstructor | undefined = native.Engine;
  if (typeof Engine !== 'function') {
    throw new Error('the native addon has no Engine; rebuild it with `npm run build`');
  }
  return Engine;
}
