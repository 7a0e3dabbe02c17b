import type { SwitchRecord } from './types.js';

const MAX_SWITCH_LOG = 256;

/**
 * The parent switches a peer made, for its stats: each record's `gapMs` is filled in when the
 * new parent is first heard from.
 */
export class SwitchLog {
  readonly #records: SwitchRecord[] = [];
  /** Per stripe, the switch waiting for its first message from the new parent. */
  readonly #pendingGap = new Map<number, { record: SwitchRecord; lastHeard: number }>();

  /** Logs `record`; `lastHeard` is when the parent given up was last heard from. */
  add(record: SwitchRecord, lastHeard: number): void {
    if (this.#records.length < MAX_SWITCH_LOG) this.#records.push(record);
    // The gap runs from the last message of the parent given up, across any further switches.
    const earlier = this.#pendingGap.get(record.stripe);
    this.#pendingGap.set(record.stripe, { record, lastHeard: earlier?.lastHeard ?? lastHeard });
  }

  /** The current parent of `stripe` was heard from: closes the gap of the switch to it, if one is open. */
  heard(stripe: number, now: number): void {
    const pending = this.#pendingGap.get(stripe);
    if (pending === undefined) return;
    pending.record.gapMs = now - pending.lastHeard;
    this.#pendingGap.delete(stripe);
  }

  /** Copies of the records (the live ones still get their gap filled in). */
  list(): SwitchRecord[] {
    return this.#records.map((s) => ({ ...s }));
  }
}
