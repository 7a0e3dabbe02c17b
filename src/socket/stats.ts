import type { EngineStats } from './engine-contract.js';

/**
 * Counters of a {@link PerfectSocket}: the engine's (protocol and I/O) and the JavaScript
 * side's. All counts are since the socket was created; a closed socket keeps its last values.
 */
export interface SocketStats {
  /** Messages accepted for sending (each one source symbol, or one seed message). */
  sent: number;
  /** Repair symbols sent. */
  repairsSent: number;
  /** Source symbols sent again because the receiver NACKed them (byte-identical). */
  retransmitted: number;
  /** Source symbols that arrived after this socket NACKed them. */
  retransmitsReceived: number;
  /** NACK packets sent (as a receiver) and received (as a sender). */
  nacksSent: number;
  nacksReceived: number;
  /** Smoothed round-trip time to the most recently active peer, ms; 0 until measured. */
  rttMs: number;
  /** Repair symbols per source symbol this socket currently sends with (adapted). */
  redundancy: number;
  /** Sources per full block, and how long a block stays open (ms), as currently adapted. */
  blockSources: number;
  blockTimeMs: number;
  /** Loss on the path before any repair, 0..1: measured when receiving, reported when sending. */
  lossRate: number;
  /** Datagrams the pacer dropped because more was sent than `rate` carries in a second. */
  pacerDrops: number;
  /** Blocks (v1) or messages (seed) closed by the sender. */
  blocks: number;
  /** Datagrams received from the network. */
  received: number;
  /** Messages delivered to JavaScript. */
  delivered: number;
  /** Of `delivered`, those rebuilt from repair symbols. */
  recovered: number;
  /** Source messages known sent but never delivered (their block expired unrepaired). */
  lost: number;
  /** Datagrams for blocks already expired, and messages that came after their deadline (dropped). */
  late: number;
  /** Datagrams that failed to parse or contradicted their block (dropped). */
  malformed: number;
  /** Datagrams carrying a symbol already held. */
  duplicate: number;
  /** Repair symbols that arrived after their block was complete. */
  redundant: number;
  /** Blocks dropped early to stay within caps. */
  evictedBlocks: number;
  /** Senders tracked now, and dropped to stay within `maxPeers`. */
  peers: number;
  evictedPeers: number;
  /** Bytes of datagrams sent and received, headers included. */
  bytesSent: number;
  bytesReceived: number;
  /** Datagrams written, and the system calls that wrote them (GSO batches many into one). */
  datagramsSent: number;
  sendSyscalls: number;
  /** Datagrams read, and the system calls that read them (recvmmsg and GRO batch). */
  datagramsReceived: number;
  recvSyscalls: number;
  /** Send failures other than a full socket buffer (counted, never thrown). */
  sendErrors: number;
  /** Datagrams dropped because the socket stayed full past the send queue's bound. */
  sendQueueDrops: number;
  /** Delivery batches handed to JavaScript, and batches (messages) dropped behind a busy event loop. */
  batches: number;
  droppedBatches: number;
  droppedMessages: number;
  /** Messages the protocol refused to send (e.g. too large for the format). */
  refused: number;
  /** Whether the kernel does UDP segmentation offload on this socket. */
  gso: boolean;
  /** Batches handed to the engine: one per event-loop turn that had sends, not one per message. */
  sendCalls: number;
  /** Messages an async iterator dropped because its consumer fell `iteratorBuffer` behind. */
  iteratorDropped: number;
}

/** The counters the JavaScript side keeps. */
export type LocalCounters = Pick<SocketStats, 'sendCalls' | 'iteratorDropped'>;

/** The counters the engine keeps. */
export type EngineCounters = Omit<SocketStats, keyof LocalCounters>;

const ZERO: EngineCounters = {
  sent: 0,
  repairsSent: 0,
  retransmitted: 0,
  retransmitsReceived: 0,
  nacksSent: 0,
  nacksReceived: 0,
  rttMs: 0,
  redundancy: 0,
  blockSources: 0,
  blockTimeMs: 0,
  lossRate: 0,
  pacerDrops: 0,
  blocks: 0,
  received: 0,
  delivered: 0,
  recovered: 0,
  lost: 0,
  late: 0,
  malformed: 0,
  duplicate: 0,
  redundant: 0,
  evictedBlocks: 0,
  peers: 0,
  evictedPeers: 0,
  bytesSent: 0,
  bytesReceived: 0,
  datagramsSent: 0,
  sendSyscalls: 0,
  datagramsReceived: 0,
  recvSyscalls: 0,
  sendErrors: 0,
  sendQueueDrops: 0,
  batches: 0,
  droppedBatches: 0,
  droppedMessages: 0,
  refused: 0,
  gso: false,
};

/**
 * Merges the engine's counters (`undefined` before the socket is bound) with the local ones.
 * Counters the engine does not report yet read 0; ones it reports beyond these are kept.
 */
export function mergeStats(engine: EngineStats | undefined, local: LocalCounters): SocketStats {
  return { ...ZERO, ...engine, ...local };
}
