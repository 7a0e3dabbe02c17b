import type { EventEmitter } from 'node:events';
import type { SocketStats } from '../../socket/stats.js';
import type { AssemblerCounters } from '../stripe/assembler.js';

/** One parent switch, as the peer saw it. */
export interface SwitchRecord {
  stripe: number;
  reason: 'silent' | 'starved' | 'refused' | 'bye';
  from: string | null;
  to: string | null;
  /** ms from the old parent's last message to the switch decision. */
  silentMs: number;
  /** ms from the old parent's last message to the first message from the new one (undefined until then). */
  gapMs: number | undefined;
}

/** Counters of a {@link Peer}. */
export interface PeerStats {
  id: string;
  homeStripe: number;
  /** Parent id per stripe ("root" for the coordinator), null while orphaned. */
  parents: (string | null)[];
  children: number;
  /** Stripe copies this peer may serve. */
  slots: number;
  assembler: AssemblerCounters;
  symbolsForwarded: number;
  bytesForwarded: number;
  /** Backfills sent to children that switched to this peer, and the symbols they carried. */
  backfills: number;
  backfilledSymbols: number;
  /** Datagrams written to the output, and sends that failed. */
  datagramsOut: number;
  outputErrors: number;
  /** Messages off the network that failed their checks (dropped). */
  malformedControl: number;
  malformedData: number;
  /** Well-formed messages from a node that had no business sending them (dropped). */
  unsolicited: number;
  switches: SwitchRecord[];
  moves: number;
  /** Times the coordinator had lost track of this peer and it joined again. */
  rejoins: number;
  socket: SocketStats;
}

/** The events of a {@link Peer}. */
export interface PeerEvents {
  /** A parent was given up (silent, refused, said bye) and a backup taken (or none was left). */
  switch: [record: SwitchRecord];
  /** The coordinator moved a stripe to a new parent. */
  move: [stripe: number, parent: string];
  /** A stream datagram, as it goes out to `to` (in order, once): what a browser viewer is fed. */
  datagram: [datagram: Buffer];
}

/** A running peer; see {@link startPeer}. */
export interface Peer extends EventEmitter<PeerEvents> {
  /** The id the coordinator gave it. */
  readonly id: string;
  /** The peer's socket address (what its children send to). */
  readonly address: { address: string; port: number };
  stats(): PeerStats;
  /**
   * Stops the peer. Graceful (the default): tells the coordinator (LEAVE) and its neighbours
   * (BYE) so children switch at once. `{ graceful: false }` vanishes without a word, as a crash
   * would (what the coordinator's and children's failure detection is for).
   */
  close(options?: { graceful?: boolean }): Promise<void>;
}
