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
  /** NACKed source symbols not sent again: retransmissions may add at most half the bytes sent originally (a NACK storm). */
  retransmitsLimited: number;
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
  /**
   * Datagrams the kernel dropped at this socket because its receive buffer was full: this side
   * did not read fast enough (a CPU-bound receiver), which the protocol alone would take for
   * loss on the path. A train coalesced by GRO counts once. Linux; read every 50 ms; 0 elsewhere.
   */
  receiveBufferDrops: number;
  /** Delivery batches handed to JavaScript, and batches (messages) dropped behind a busy event loop. */
  batches: number;
  droppedBatches: number;
  droppedMessages: number;
  /** Messages the protocol refused to send (e.g. too large for the format). */
  refused: number;
  /** Whether the kernel does UDP segmentation offload on this socket. */
  gso: boolean;
  /** Keep-alive PINGs sent (to peers this socket sent nothing else for `keepAlive` ms). */
  keepAlivesSent: number;
  /** Path MTU probes sent. */
  mtuProbesSent: number;
  /** Peers forgotten after `idleTimeout` ms of silence (each also a `'timeout'` event). */
  idleTimeouts: number;
  /**
   * The largest UDP payload known to cross the path to the most recently active peer: 1200
   * until the first search settles, 0 with `mtuProbe: false`. Keep datagrams at most
   * `pathMtu - 23` bytes (the v1 header and stream header) to avoid losing them whole.
   */
  pathMtu: number;
  /** The pacing rate now, bits/s (0: unpaced): `rate`, or the bandwidth estimate with `adaptiveRate`. */
  paceRateBps: number;
  /** Delivered payloads dropped for naming a stream this socket does not have. */
  streamMalformed: number;
  /** Handshakes completed (with a passphrase or keys), as either end. */
  handshakes: number;
  /**
   * Datagrams dropped because they did not authenticate: a handshake made with another key, a
   * packet whose tag is wrong (another key, or altered bytes), one from an address with no
   * session, or one in the clear. None is ever delivered.
   */
  authFailed: number;
  /** Authentic packets dropped as already seen (a replay) or older than the replay window. */
  replayed: number;
  /** Handshakes refused by the `handshakesPerSecond` limit. */
  handshakesLimited: number;
  /** Handshake answers withheld because the address, not yet proven, had not sent a third of them (anti-amplification). */
  amplificationLimited: number;
  /** Messages dropped while this socket's handshake with their peer was pending (more than 1 MiB waited). */
  handshakeHeldDrops: number;
  /** Per-stream counters, one entry per stream (stream 0 first). */
  streams: StreamCounters[];
  /** Batches handed to the engine: one per event-loop turn that had sends, not one per message. */
  sendCalls: number;
  /** Messages an async iterator dropped because its consumer fell `iteratorBuffer` behind. */
  iteratorDropped: number;
  /**
   * What carries this socket's messages: 'udp', or 'tcp' once any peer uses TCP (a TCP
   * connection was made: this socket fell back, or a peer fell back to it). See `tcpFallback`.
   */
  transport: 'udp' | 'tcp';
  /** TCP connections made: opened by this socket (reconnections included) and accepted. */
  tcpConnections: number;
  /** Messages sent and received over TCP, one frame each. */
  tcpFramesSent: number;
  tcpFramesReceived: number;
  /** TCP connections dropped because the peer announced a frame larger than this socket's largest message. */
  tcpMalformed: number;
  /**
   * Messages for a TCP peer not sent: past a connection's write bound (a TCP path slower than
   * the stream), waiting for a reconnection past that bound, or, for a peer that fell back,
   * sent during the trial beyond what is kept for the replay.
   */
  tcpDropped: number;
  /** TCP connections (or attempts) that failed: refused, reset, timed out; and connections refused past `maxPeers`. */
  tcpErrors: number;
  /** Binds whose TCP port (the UDP port's number) could not be listened on; the socket then runs on UDP alone. */
  tcpListenErrors: number;
  /** Peers whose UDP path was found silent, so that TCP was tried for them. */
  fallbacks: number;
  /** Peers whose UDP path is still on trial (or whose TCP connection is being opened). */
  fallbackPending: number;
}

/** One stream's counters (see `SocketOptions.streams`). */
export interface StreamCounters {
  id: number;
  /** Messages sent on the stream. */
  sent: number;
  /** Messages dropped at this sender after waiting `maxDelay` for the pacer. */
  expired: number;
  /** Reliable messages sent again (not acknowledged in time). */
  resent: number;
  /** Messages delivered. */
  delivered: number;
  /** Reliable messages that arrived again after delivery. */
  duplicates: number;
}

/** The counters the JavaScript side keeps. */
export type LocalCounters = Pick<SocketStats, 'sendCalls' | 'iteratorDropped'>;

/** The counters of the TCP fallback (`transport` follows from them). */
export type TcpCounters = Pick<
  SocketStats,
  | 'tcpConnections'
  | 'tcpFramesSent'
  | 'tcpFramesReceived'
  | 'tcpMalformed'
  | 'tcpDropped'
  | 'tcpErrors'
  | 'tcpListenErrors'
  | 'fallbacks'
  | 'fallbackPending'
>;

/** The counters the engine keeps. */
export type EngineCounters = Omit<SocketStats, keyof LocalCounters | keyof TcpCounters | 'transport'>;

/** A fresh set of TCP counters, all zero. */
export function zeroTcpCounters(): TcpCounters {
  return {
    tcpConnections: 0,
    tcpFramesSent: 0,
    tcpFramesReceived: 0,
    tcpMalformed: 0,
    tcpDropped: 0,
    tcpErrors: 0,
    tcpListenErrors: 0,
    fallbacks: 0,
    fallbackPending: 0,
  };
}

const ZERO: EngineCounters = {
  sent: 0,
  repairsSent: 0,
  retransmitted: 0,
  retransmitsLimited: 0,
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
  receiveBufferDrops: 0,
  batches: 0,
  droppedBatches: 0,
  droppedMessages: 0,
  refused: 0,
  gso: false,
  keepAlivesSent: 0,
  mtuProbesSent: 0,
  idleTimeouts: 0,
  pathMtu: 0,
  paceRateBps: 0,
  streamMalformed: 0,
  handshakes: 0,
  authFailed: 0,
  replayed: 0,
  handshakesLimited: 0,
  amplificationLimited: 0,
  handshakeHeldDrops: 0,
  streams: [],
};

/**
 * Merges the engine's counters (`undefined` before the socket is bound) with the local ones
 * and the TCP fallback's (all zero for an engine used without it, such as a relay's).
 * Counters the engine does not report yet read 0; ones it reports beyond these are kept.
 */
export function mergeStats(engine: EngineStats | undefined, local: LocalCounters, tcp: TcpCounters = zeroTcpCounters()): SocketStats {
  return { ...ZERO, ...engine, ...local, ...tcp, transport: tcp.tcpConnections > 0 ? 'tcp' : 'udp' };
}
