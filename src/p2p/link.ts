import type { EncryptMode } from '../socket/options.js';
import { createSocket, type PerfectSocket } from '../socket/socket.js';

/** Logical stream of control messages: reliable, in order. */
export const CONTROL_STREAM = 1;
/** Logical stream of stripe symbols and ticks: bound by the latency budget, unordered. */
export const DATA_STREAM = 2;
/**
 * Logical stream of REPORTs, the peers' heartbeats: unreliable, so a lost one costs nothing
 * (the next follows in 250 ms) and holds nothing up, where on the reliable stream it would
 * delay every later message until resent.
 */
export const REPORT_STREAM = 3;

/**
 * Per-hop protection of the links between coordinator and peers. Every node owns one
 * PerfectSocket for all its neighbours; each link gets FEC with a fixed small redundancy and
 * NACK repair. A stripe carries about a third of the stream, so a link sees few symbols per ms:
 * blocks are closed by time (`blockTime`), and the socket sends at least one repair per block,
 * so a longer block time costs less overhead (one repair per ~12 symbols at 200 ms for a
 * 2 Mbit/s stream) and delays only repairs, never the symbols themselves; NACK repairs what
 * the repair cannot. Delivery is
 * unordered (`ordered: false`): a symbol is handed on the moment it arrives, with no
 * head-of-line wait at any hop; the stripe assembler orders blocks at the end.
 */
export interface LinkOptions {
  /** Repair symbols per source symbol on each link (default 0.06: one repair per block of up to 16). */
  redundancy?: number;
  /** Per-hop block time bound, ms (default 200). */
  blockTime?: number;
  /** Per-hop receive budget for FEC/NACK repair, ms (default 600). */
  latency?: number;
  /** Authenticate and encrypt every link (the same passphrase on the coordinator and every peer). */
  passphrase?: string;
  /** What to encrypt with a passphrase: 'all' (default) or 'control' (media authenticated in the clear). */
  encrypt?: EncryptMode;
}

export const LINK_DEFAULTS = { redundancy: 0.06, blockTime: 200, latency: 600 } as const;

/**
 * Link overhead assumed when turning a peer's upload budget into stripe slots: headers, repairs
 * (one per block of up to 16), NACKed resends, ticks and control. Measured on loopback with 1%
 * loss at a third of a 2 Mbit/s stream: 1.12 to 1.16.
 */
export const LINK_OVERHEAD = 1.15;
/**
 * The same for the root, whose budget is a hard limit (the source's upload): a wider margin.
 */
export const ROOT_LINK_OVERHEAD = 1.35;

/** Creates the (unbound) socket of a coordinator or peer. */
export function createLinkSocket(options: LinkOptions = {}): PerfectSocket {
  return createSocket({
    type: 'udp4',
    streams: [
      { id: CONTROL_STREAM, reliable: true, priority: 0 },
      { id: DATA_STREAM, priority: 1 },
      { id: REPORT_STREAM, priority: 0 },
    ],
    k: 16,
    redundancy: options.redundancy ?? LINK_DEFAULTS.redundancy,
    adaptive: false,
    blockTime: options.blockTime ?? LINK_DEFAULTS.blockTime,
    latency: options.latency ?? LINK_DEFAULTS.latency,
    nack: true,
    ordered: false,
    tcpFallback: false,
    idleTimeout: 30_000,
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.encrypt !== undefined ? { encrypt: options.encrypt } : {}),
  });
}
