/**
 * Repair handling: stripes cut off from the root and how they come back. A cut-off child notices
 * its parent's silence, tries its backups while its report races to the coordinator (the peers'
 * own policy, `../repair.ts`), and the stripe reaches it again when the winner answers; until then
 * every peer below it goes without, which is recorded as outage intervals for the continuity
 * accounting. Planned moves (push-down, leave, rebalance) are make-before-break and cost nothing,
 * unless they place a stripe that was already cut off.
 */
import { backfillRange, backupsToTry, raceRepair, tryBackups } from '../repair.js';
import { ROOT, type Move, type PeerId } from '../tree/types.js';
import { alive, cutKey, rtt, type SimEvent, type SimWorld } from './world.js';

/** Marks `child`'s stripe `s` as cut off since `since` and arms its silence timer. */
export function cutOff(w: SimWorld, child: PeerId, s: number, parent: PeerId, since: number, now: number): void {
  const k = cutKey(child, s);
  const prev = w.cutSince.get(k);
  w.cutSince.set(k, prev === undefined ? since : Math.min(prev, since));
  w.queue.push(now + w.c.repair.silenceMs, { kind: 'silence', id: child, stripe: s, parent });
}

/** The stripe reaches `id` again at `at`: every peer below it had it missing since the cut. */
function restore(w: SimWorld, id: PeerId, s: number, at: number, newParent: PeerId): void {
  const c = w.c;
  const k = cutKey(id, s);
  const since = w.cutSince.get(k);
  if (since === undefined) return;
  w.cutSince.delete(k);
  let until = at;
  if (c.backfill) {
    // Symbols still inside the deadline are fetched again from the new parent.
    const [from] = backfillRange(since, at, rtt(w, id, newParent), c.latencyMs - pathDelay(w, id, s));
    until = Math.max(since, from);
  }
  w.repairMs.push(at - since);
  if (until <= since) return;
  const stack = [id];
  while (stack.length > 0) {
    const m = stack.pop()!;
    const p = w.peers.get(m);
    if (p === undefined) continue;
    // Outage already behind the accounting (measured) window: not counted; reported.
    if (since < w.accountedTo && w.accountedTo > w.measureFrom && until > w.measureFrom) w.counters.lateRecords++;
    p.outages.push(s, since, until);
    for (const ch of w.tree.childrenOf(m, s)) stack.push(ch);
  }
}

/** One-way delay from the root to `id` in `s` along its current path (hops: rtt / 2 + forwarding). */
function pathDelay(w: SimWorld, id: PeerId, s: number): number {
  let d = 0;
  for (let m: PeerId | null = id; m !== null && m !== ROOT; ) {
    const p: PeerId | null = w.tree.parentOf(m, s);
    if (p === null) break;
    d += rtt(w, m, p) / 2 + w.c.forwardMs;
    m = p;
  }
  return d;
}

/** Carries out the tree's moves: a move onto a dead parent cuts off; one that places a cut-off stripe restores it. */
export function applyMoves(w: SimWorld, moves: readonly Move[], now: number): void {
  w.counters.moves += moves.length;
  for (const mv of moves) {
    if (!alive(w, mv.to)) cutOff(w, mv.child, mv.stripe, mv.to, now, now);
    else if (w.cutSince.has(cutKey(mv.child, mv.stripe))) {
      // An orphan placed, or a cut-off child moved away from a dead parent: data flows again once
      // the coordinator's word arrives and the new parent answers.
      restore(w, mv.child, mv.stripe, now + rtt(w, mv.child, ROOT) / 2 + rtt(w, mv.child, mv.to), mv.to);
    }
  }
}

/** A child's silence timer fired: it repairs the stripe by a backup or the coordinator's answer, whichever wins. */
export function onSilence(w: SimWorld, ev: Extract<SimEvent, { kind: 'silence' }>, now: number): void {
  const { c, tree, counters } = w;
  const { id, stripe: s, parent } = ev;
  if (!tree.has(id) || tree.parentOf(id, s) !== parent) return;
  counters.repairs++;
  const others = new Set<PeerId>();
  for (let t = 0; t < w.stripes; t++) if (t !== s) others.add(tree.parentOf(id, t) ?? '');
  const watch = { stripe: s, parent, backups: [...tree.backupsOf(id, s)], lastHeardMs: now - c.repair.silenceMs };
  const outcome = tryBackups(
    backupsToTry(watch, others, c.repair, tree.childrenOf(id, s).length > 0),
    (b) => (!alive(w, b) ? 'silent' : tree.canAttach(id, s, b) ? 'accepted' : 'refused'),
    (b) => rtt(w, id, b),
    c.repair,
  );
  // The report to the coordinator races the backup tries (see repair.ts): the coordinator
  // places the child when the report arrives; a backup that answers first overrides that.
  const answer = tree.parentLost(id, s, parent);
  const viaCoordinator = answer === null ? null : rtt(w, id, ROOT) + rtt(w, id, answer.parent);
  const winner = raceRepair(outcome, viaCoordinator);
  if (winner === null) {
    counters.orphanedStripes++;
    return; // stays cut off until a rebalance places it (applyMoves restores it then)
  }
  if (winner.via === 'backup') {
    tree.attach(id, s, winner.to);
    // The coordinator's own pick may have taken the backup's last slot meanwhile; then its pick stands.
    if (tree.parentOf(id, s) === winner.to) {
      counters.backupSwitches++;
      restore(w, id, s, now + winner.elapsedMs, winner.to);
      return;
    }
  }
  if (answer === null) {
    counters.orphanedStripes++;
    return;
  }
  counters.coordinatorAnswers++;
  const to = answer.parent;
  const at = now + (viaCoordinator ?? winner.elapsedMs);
  if (!alive(w, to)) cutOff(w, id, s, to, w.cutSince.get(cutKey(id, s)) ?? now, at);
  else restore(w, id, s, at, to);
}
