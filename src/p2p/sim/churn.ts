/**
 * Churn: the flash crowd's arrivals, then departures at the configured rate (Poisson), each a
 * graceful leave or a crash and each replaced by an arrival, so the population holds steady. A
 * crash leaves the tree only when the coordinator's heartbeat timeout declares the peer dead; until
 * then its children are cut off and repair on their own.
 */
import type { PeerId } from '../tree/types.js';
import { slotsFor } from './config.js';
import { drawPosition, ORIGIN, rttBetween } from './network.js';
import { applyMoves, cutOff } from './repairs.js';
import { finish } from './scores.js';
import { alive, cutKey, rtt, type SimPeer, type SimWorld } from './world.js';

/** Schedules the flash crowd (all `c.peers` arrivals over `rampS`) and the first departure after it. */
export function scheduleChurn(w: SimWorld): void {
  const c = w.c;
  for (let i = 0; i < c.peers; i++) w.queue.push(w.rngChurn() * c.rampS * 1000, { kind: 'arrive' });
  if (departRate(w) > 0) w.queue.push(nextDeparture(w, c.rampS * 1000), { kind: 'depart' });
}

/** Departures per ms. */
function departRate(w: SimWorld): number {
  return (w.c.churnPerMinute * w.c.peers) / 60_000;
}

/** When the departure after `now` happens (exponential gaps). */
export function nextDeparture(w: SimWorld, now: number): number {
  return now - Math.log(Math.max(w.rngChurn(), 1e-12)) / departRate(w);
}

/** A newcomer's upload slots: none for the share that cannot forward, else from a uniform budget. */
function drawSlots(w: SimWorld): number {
  const c = w.c;
  const rng = w.rngPeer;
  if (rng() < c.noUploadShare) return 0;
  const [lo, hi] = c.peerBudget;
  return slotsFor(lo + (hi - lo) * rng(), c);
}

/** A new peer joins through the coordinator; its first block arrives once enough stripes flow. */
export function arrive(w: SimWorld, now: number): void {
  const { c, tree } = w;
  const S = w.stripes;
  const id = `p${w.nextId++}`;
  const pos = drawPosition(w.rngNet, c.net);
  const slots = drawSlots(w);
  w.paths.ensureRoom(w.nextId);
  const peer: SimPeer = { id, ix: w.nextId - 1, pos, slots, joinedAt: now, activeFrom: Infinity, leftAt: Infinity, dead: false, lastPaths: null, outages: [], produced: 0, lost: 0 };
  w.peers.set(id, peer);
  w.positions.set(id, pos);
  w.presentAt.set(id, w.present.length);
  w.present.push(peer);
  w.slotSum += slots;
  w.counters.joins++;
  const toCoordinator = rttBetween(pos, ORIGIN, c.net);
  const placement = tree.join({ id, slots, rttMs: toCoordinator });
  applyMoves(w, placement.moves ?? [], now);
  // First block: the join round trip, then the slowest of the stripes it needs to subscribe to,
  // then one block's worth of symbols.
  const ready: number[] = [];
  for (const sp of placement.parents) {
    if (alive(w, sp.parent)) ready.push(rtt(w, id, sp.parent));
    else cutOff(w, id, sp.stripe, sp.parent, now, now);
  }
  for (let s = 0; s < S; s++) if (tree.parentOf(id, s) === null) w.cutSince.set(cutKey(id, s), now);
  ready.sort((a, b) => a - b);
  const need = S - w.margin;
  if (ready.length >= need) {
    const t = toCoordinator + ready[need - 1]! + w.blockMs;
    peer.activeFrom = now + t;
    if (now >= c.rampS * 1000) w.joinMs.push(t);
  }
}

/** Removes `peer` from the present list in O(1) by moving the last one into its place. */
function removePresent(w: SimWorld, peer: SimPeer): void {
  const i = w.presentAt.get(peer.id)!;
  const last = w.present.pop()!;
  if (last !== peer) {
    w.present[i] = last;
    w.presentAt.set(last.id, i);
  }
  w.presentAt.delete(peer.id);
}

/** A random present peer leaves or crashes, and an arrival replaces it. */
export function depart(w: SimWorld, now: number): void {
  const { c, tree, present, cutSince } = w;
  const S = w.stripes;
  if (present.length === 0) return;
  const peer = present[Math.floor(w.rngChurn() * present.length)]!;
  const crash = w.rngChurn() < c.crashShare;
  removePresent(w, peer);
  peer.lastPaths = w.paths.snapshot(peer);
  peer.leftAt = now;
  w.slotSum -= peer.slots;
  if (crash) {
    w.counters.crashes++;
    peer.dead = true;
    for (let s = 0; s < S; s++) {
      const since = cutSince.get(cutKey(peer.id, s)) ?? now;
      for (const ch of tree.childrenOf(peer.id, s)) cutOff(w, ch, s, peer.id, since, now);
      cutSince.delete(cutKey(peer.id, s));
    }
    w.queue.push(now + c.detectMs, { kind: 'detect', id: peer.id });
  } else {
    w.counters.graceful++;
    // A leaver that was itself cut off hands its children over already short of data.
    for (let s = 0; s < S; s++) {
      const since = cutSince.get(cutKey(peer.id, s));
      if (since === undefined) continue;
      for (const ch of tree.childrenOf(peer.id, s)) cutSince.set(cutKey(ch, s), Math.min(cutSince.get(cutKey(ch, s)) ?? since, since));
      cutSince.delete(cutKey(peer.id, s));
    }
    applyMoves(w, tree.leave(peer.id), now);
    finish(w, peer);
  }
  w.queue.push(now, { kind: 'arrive' });
}

/** The coordinator declares a crashed peer dead: it leaves the tree, its children are placed anew. */
export function detect(w: SimWorld, id: PeerId, now: number): void {
  const peer = w.peers.get(id);
  if (peer === undefined) return;
  applyMoves(w, w.tree.leave(id), now);
  for (let s = 0; s < w.stripes; s++) w.cutSince.delete(cutKey(id, s));
  finish(w, peer);
}
