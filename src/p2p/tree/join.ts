import { stripeParent } from './backups.js';
import { newNode } from './node.js';
import { place } from './place.js';
import { file, recheck, type TreeState } from './tree-state.js';
import { ROOT, type Move, type PeerInfo, type Placement, type StripeParent } from './types.js';

/** The home stripe for a newcomer: fewest free home slots, then fewest home peers, then lowest index. */
function pickHome(t: TreeState): number {
  let best = 0;
  for (let s = 1; s < t.S; s++) {
    if (t.freeHome[s]! < t.freeHome[best]! || (t.freeHome[s] === t.freeHome[best] && t.homeCount[s]! < t.homeCount[best]!)) best = s;
  }
  return best;
}

/** Adds `peer` and places it in every stripe, home first (see `createPlacementTree`). */
export function join(t: TreeState, peer: PeerInfo): Placement {
  if (typeof peer.id !== 'string' || peer.id === ROOT || t.nodes.has(peer.id))
    throw new RangeError(`peer id must be a new string other than '${ROOT}', got ${JSON.stringify(peer.id)}`);
  if (!Number.isInteger(peer.slots) || peer.slots < 0) throw new RangeError(`slots must be an integer >= 0, got ${peer.slots}`);
  if (!Number.isFinite(peer.rttMs) || peer.rttMs < 0) throw new RangeError(`rttMs must be a number >= 0, got ${peer.rttMs}`);
  const home = pickHome(t);
  const x = newNode(peer.id, peer.slots, peer.rttMs, home, t.S);
  t.nodes.set(x.id, x);
  t.homeCount[home]!++;
  t.homeSlots[home]!.set(x.slots, (t.homeSlots[home]!.get(x.slots) ?? 0) + 1);
  t.freeHome[home]! += x.slots;
  const moves: Move[] = [];
  for (let i = 0; i < t.S; i++) {
    const s = (home + i) % t.S; // home first: the push-down there must not collide with a parent elsewhere
    moves.push(...place(t, x, s, true).moves);
    file(t, x, s);
  }
  recheck(t, x);
  const parents = t.stripeList.map((s) => stripeParent(t, x, s)).filter((p): p is StripeParent => p !== null);
  return moves.length > 0 ? { homeStripe: home, parents, moves } : { homeStripe: home, parents };
}
