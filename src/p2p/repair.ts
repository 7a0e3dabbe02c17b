/**
 * The peer-side repair policy: what a child does when one stripe's parent goes quiet. Pure (no
 * clock, no I/O): the live peer and the simulator (`src/p2p/sim/`) both call it, so the repair
 * times the simulator reports are the policy's.
 *
 * Rule: a parent that lost its own upstream keeps sending keep-alives, so only the direct children
 * of a dead or cut-off peer hear *nothing* (no data, no keep-alive). A child that hears nothing on
 * a stripe for `silenceMs` tries its backups for that stripe in order (each try costs one round trip
 * to that backup: it accepts, or refuses when full), skipping any peer that already is its parent in
 * another stripe (parents stay distinct). A child that itself forwards the stripe skips the
 * backups: the coordinator gives such a child its silent parent's slot (or a place under the child
 * that got it), which keeps its whole subtree at its depth; a backup is wherever a slot was free,
 * usually near the bottom of the tree. At the same moment it reports `parentLost` to the
 * coordinator, whose answer names a new parent (a round trip to the coordinator, then one to that
 * parent). Whichever path delivers first wins ({@link raceRepair}); when a backup wins, the child
 * tells the coordinator (`attach`) and drops the coordinator's pick, so the tree ends up with the
 * parent the data actually comes from. Racing the two costs one extra message and saves the round
 * trips of backups that turn out full or dead.
 */
import type { PeerId, StripeParent } from './tree/types.js';

/** Settings of the repair policy. */
export interface RepairPolicy {
  /** Silence on a stripe (no packet at all from its parent) that declares the parent lost, ms. */
  silenceMs: number;
  /** Backups tried before asking the coordinator. */
  maxBackupTries: number;
  /** How long a try waits for an answer before counting the backup as dead, in its round trips. */
  tryTimeoutRtts: number;
}

export const DEFAULT_REPAIR_POLICY: Readonly<RepairPolicy> = { silenceMs: 300, maxBackupTries: 2, tryTimeoutRtts: 2 };

/** A child's view of one stripe: who feeds it, who could, and when it last heard anything. */
export interface StripeWatch extends StripeParent {
  /** Time of the last packet (data or keep-alive) from `parent`, ms on the caller's clock. */
  lastHeardMs: number;
}

/** Stripes whose parent has been silent for `silenceMs` or more at `nowMs`. */
export function silentStripes(watches: readonly StripeWatch[], nowMs: number, policy: RepairPolicy = DEFAULT_REPAIR_POLICY): StripeWatch[] {
  return watches.filter((w) => nowMs - w.lastHeardMs >= policy.silenceMs);
}

/** When the next stripe would turn silent if nothing more arrives (for the caller's timer). */
export function nextSilenceCheckMs(watches: readonly StripeWatch[], policy: RepairPolicy = DEFAULT_REPAIR_POLICY): number {
  let next = Infinity;
  for (const w of watches) next = Math.min(next, w.lastHeardMs + policy.silenceMs);
  return next;
}

/**
 * The backups to try for a silent stripe, in order: at most `maxBackupTries`, never the silent
 * parent itself and never a peer that is already the child's parent in another stripe; none when
 * the child forwards the stripe to children of its own (`forwarding`): it waits for the coordinator.
 */
export function backupsToTry(
  watch: StripeWatch,
  otherParents: ReadonlySet<PeerId>,
  policy: RepairPolicy = DEFAULT_REPAIR_POLICY,
  forwarding = false,
): PeerId[] {
  const out: PeerId[] = [];
  if (forwarding) return out;
  for (const b of watch.backups) {
    if (out.length >= policy.maxBackupTries) break;
    if (b !== watch.parent && !otherParents.has(b) && !out.includes(b)) out.push(b);
  }
  return out;
}

/** How a backup answered a try: accepted, refused (full), or never answered (dead). */
export type TryAnswer = 'accepted' | 'refused' | 'silent';

/** One step of a repair: switch to a backup that accepted, or ask the coordinator. */
export type RepairOutcome =
  | { kind: 'switched'; to: PeerId; elapsedMs: number; tries: number }
  | { kind: 'ask-coordinator'; elapsedMs: number; tries: number };

/**
 * Runs the backup tries for a silent stripe: `answer(b)` says how backup `b` answers, `rttMs(b)`
 * the round trip to it. Returns the first backup that accepted with the time the tries took, or
 * that the coordinator must be asked. (The live peer awaits the answers one by one; the simulator
 * knows them at once. The policy is the same.)
 */
export function tryBackups(
  candidates: readonly PeerId[],
  answer: (b: PeerId) => TryAnswer,
  rttMs: (b: PeerId) => number,
  policy: RepairPolicy = DEFAULT_REPAIR_POLICY,
): RepairOutcome {
  let elapsedMs = 0;
  let tries = 0;
  for (const b of candidates) {
    tries++;
    const a = answer(b);
    if (a === 'accepted') return { kind: 'switched', to: b, elapsedMs: elapsedMs + rttMs(b), tries };
    elapsedMs += a === 'refused' ? rttMs(b) : policy.tryTimeoutRtts * rttMs(b);
  }
  return { kind: 'ask-coordinator', elapsedMs, tries };
}

/**
 * Blocks worth asking the new parent for after a repair: those produced since `lostAtMs` whose
 * deadline (production + `latencyMs`) is still ahead once a resend can arrive (`restoredAtMs` plus
 * one round trip to the new parent). Returns the production-time range [from, to), empty if none.
 */
export function backfillRange(lostAtMs: number, restoredAtMs: number, rttMs: number, latencyMs: number): [number, number] {
  const from = Math.max(lostAtMs, restoredAtMs + rttMs - latencyMs);
  return from < restoredAtMs ? [from, restoredAtMs] : [restoredAtMs, restoredAtMs];
}

/** Which repair path delivered first: the backup tries or the coordinator's answer. */
export type RepairWinner = { via: 'backup'; to: PeerId; elapsedMs: number } | { via: 'coordinator'; elapsedMs: number };

/**
 * Races the backup tries against the coordinator's answer. `coordinatorMs` is how long the answer
 * plus connecting to the parent it names takes, or null when the coordinator has no parent to give.
 * Ties go to the backup (it needs no coordinator work). Returns null when neither path yields.
 */
export function raceRepair(backups: RepairOutcome, coordinatorMs: number | null): RepairWinner | null {
  if (backups.kind === 'switched' && (coordinatorMs === null || backups.elapsedMs <= coordinatorMs)) {
    return { via: 'backup', to: backups.to, elapsedMs: backups.elapsedMs };
  }
  return coordinatorMs === null ? null : { via: 'coordinator', elapsedMs: coordinatorMs };
}
