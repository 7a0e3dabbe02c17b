import { backupsToTry, DEFAULT_REPAIR_POLICY, type RepairPolicy } from './repair.js';
import type { NodeRef } from './wire/control.js';

/** One stripe's upstream as a peer sees it. */
export interface StripeUpstream {
  stripe: number;
  parent: NodeRef | null;
  backups: NodeRef[];
  /** Parents given up on in this stripe (ids), not tried again until the coordinator names them. */
  failed: Set<string>;
  /** Local ms: last symbol or tick from the parent, last symbol, and when it was subscribed to. */
  lastHeard: number;
  lastData: number;
  subscribedAt: number;
  /** The parent before the last switch, whose in-flight symbols are still welcome until `graceUntil`. */
  previous: NodeRef | null;
  graceUntil: number;
}

/** A switch the peer should make: subscribe to `to` (or report an orphaned stripe when null). */
export interface Switch {
  stripe: number;
  from: NodeRef | null;
  to: NodeRef | null;
}

/**
 * A peer's parents, one per stripe, with backups; decides when a parent counts as silent and
 * which backup to take (by `repair.ts`'s policy: a backup that already serves another stripe is
 * never taken, so one peer's loss costs one stripe). Pure: no clock, no I/O (the peer passes
 * `now` and does the sending). The peer reports the loss to the coordinator at the same moment
 * (the race `repair.ts` describes): a backup that accepts wins and the coordinator records it
 * (`attach`); one that refuses leaves the coordinator's answer (a MOVE).
 */
export class Upstreams {
  readonly stripes: StripeUpstream[];
  /** Since when data has flowed on some stripe without a pause of `pauseMs` (the source may pause). */
  #flowingSince = 0;
  #lastAnyData = -Infinity;
  readonly #pauseMs: number;

  readonly #policy: RepairPolicy;

  constructor(count: number, pauseMs: number, policy: RepairPolicy = DEFAULT_REPAIR_POLICY) {
    this.#pauseMs = pauseMs;
    this.#policy = policy;
    this.stripes = Array.from({ length: count }, (_, stripe) => ({
      stripe, parent: null, backups: [], failed: new Set<string>(), lastHeard: 0, lastData: 0, subscribedAt: 0, previous: null, graceUntil: 0,
    }));
  }

  /** Takes `parent` for `stripe` (from a placement or a move); backups are replaced when given. */
  assign(stripe: number, parent: NodeRef, backups: NodeRef[] | undefined, now: number, graceMs: number): NodeRef | null {
    const s = this.stripes[stripe]!;
    const old = s.parent;
    if (old !== null && old.id !== parent.id) {
      s.previous = old;
      s.graceUntil = now + graceMs;
    }
    s.parent = parent;
    s.failed.delete(parent.id);
    if (backups !== undefined && backups.length > 0) s.backups = backups.filter((b) => b.id !== parent.id);
    s.subscribedAt = now;
    s.lastHeard = now;
    s.lastData = now;
    return old !== null && old.id !== parent.id ? old : null;
  }

  /** Whether a message on `stripe` from node `addr` comes from its parent (or the one just left). */
  accepts(stripe: number, addr: string, now: number, resolve: (ref: NodeRef) => string): boolean {
    const s = this.stripes[stripe];
    if (s === undefined) return false;
    if (s.parent !== null && resolve(s.parent) === addr) return true;
    return s.previous !== null && now < s.graceUntil && resolve(s.previous) === addr;
  }

  /** The parent sent something: a symbol (`data`) or a tick (it is alive but has nothing to send). */
  heard(stripe: number, now: number, data: boolean): void {
    const s = this.stripes[stripe]!;
    s.lastHeard = now;
    if (!data) return;
    s.lastData = now;
    if (now - this.#lastAnyData >= this.#pauseMs) this.#flowingSince = now;
    this.#lastAnyData = now;
  }

  /**
   * Stripes whose parent has been silent for `silenceMs` (no symbol and no tick: it is gone),
   * then stripes whose parent sent only ticks for `starveMs` while other stripes had data (it
   * is alive but cut off, and its own repair is taking too long).
   */
  silent(now: number, silenceMs: number, starveMs: number): Array<{ stripe: number; reason: 'silent' | 'starved' }> {
    const out: Array<{ stripe: number; reason: 'silent' | 'starved' }> = [];
    const flowing = now - this.#lastAnyData < silenceMs;
    for (const s of this.stripes) {
      if (s.parent === null) continue;
      if (now - Math.max(s.lastHeard, s.subscribedAt) >= silenceMs) out.push({ stripe: s.stripe, reason: 'silent' });
      else if (flowing && now - Math.max(s.lastData, s.subscribedAt, this.#flowingSince) >= starveMs) out.push({ stripe: s.stripe, reason: 'starved' });
    }
    return out;
  }

  /**
   * Gives up on `stripe`'s parent (silent, refused us, or said bye) and picks the next backup;
   * `to` is null when none is left (the stripe is orphaned until the coordinator moves it).
   */
  fail(stripe: number, now: number, graceMs: number): Switch {
    const s = this.stripes[stripe]!;
    const from = s.parent;
    if (from !== null) s.failed.add(from.id);
    // The shared repair policy (also the simulator's) picks the backups worth trying: a few,
    // never one that already is a parent in another stripe (parents stay distinct).
    const inUse = new Set(this.stripes.filter((o) => o.stripe !== stripe && o.parent !== null).map((o) => o.parent!.id));
    const live = s.backups.filter((b) => !s.failed.has(b.id));
    const ids = backupsToTry({ stripe, parent: from?.id ?? '', backups: live.map((b) => b.id), lastHeardMs: s.lastHeard }, inUse, this.#policy);
    const to = live.find((b) => b.id === ids[0]) ?? null;
    if (to === null) {
      s.parent = null;
      if (from !== null) {
        s.previous = from;
        s.graceUntil = now + graceMs;
      }
    } else this.assign(stripe, to, undefined, now, graceMs);
    return { stripe, from, to };
  }

  /**
   * Credits `ms` to every parent's clock of silence: the peer's own event loop was stalled that
   * long (a busy machine), and what the parents sent meanwhile is still queued, not missing.
   */
  pause(ms: number): void {
    for (const s of this.stripes) {
      s.lastHeard += ms;
      s.lastData += ms;
      s.subscribedAt += ms;
    }
    this.#lastAnyData += ms;
  }

  /** Marks a node failed everywhere (it said bye, or was found dead): the stripes it served. */
  served(id: string): number[] {
    return this.stripes.filter((s) => s.parent?.id === id).map((s) => s.stripe);
  }

  /** Every distinct current parent. */
  parents(): NodeRef[] {
    const byId = new Map<string, NodeRef>();
    for (const s of this.stripes) if (s.parent !== null) byId.set(s.parent.id, s.parent);
    return [...byId.values()];
  }
}
