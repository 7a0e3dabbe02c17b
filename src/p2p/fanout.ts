import type { SocketStream } from '../socket/socket.js';
import type { RemoteInfo } from '../socket/peers.js';
import { formatAddr } from './wire/control.js';

/** Subscriptions accepted beyond `slots` (see {@link Fanout.subscribe}). */
export const OVERCOMMIT = 1;
/** A child gets at most one backfill per stripe this often. */
const BACKFILL_EVERY_MS = 500;

/** One child's subscription to one stripe. */
interface Subscription {
  host: string;
  port: number;
  id: string;
  /** Local ms of the last SUBSCRIBE (children refresh it); stale ones are dropped. */
  refreshed: number;
}

/**
 * A node's children: who takes which stripe from it, within `slots` stripe copies in all.
 * Forwarding sends a message to every subscriber of its stripe without waiting on any (UDP:
 * a slow or dead child costs nothing to the others; the socket packs one turn's sends into
 * one native call).
 */
export class Fanout {
  slots: number;
  readonly #data: SocketStream;
  readonly #byStripe: Map<string, Subscription>[];
  /** Messages and bytes forwarded (bytes include backfills). */
  sent = 0;
  bytes = 0;
  /** Backfills made, and the symbols they carried. */
  backfills = 0;
  backfilledSymbols = 0;
  readonly #backfilled = new Map<string, number>();

  constructor(stripes: number, slots: number, data: SocketStream) {
    this.slots = slots;
    this.#data = data;
    this.#byStripe = Array.from({ length: stripes }, () => new Map());
  }

  /** Stripe copies in use. */
  get used(): number {
    let used = 0;
    for (const m of this.#byStripe) used += m.size;
    return used;
  }

  /** Child ids per stripe. */
  children(stripe: number): string[] {
    return [...(this.#byStripe[stripe]?.values() ?? [])].map((s) => s.id);
  }

  /** Adds or refreshes a subscription; false when there is no slot for a new one. */
  subscribe(from: RemoteInfo, stripe: number, id: string, now: number): boolean {
    const subs = this.#byStripe[stripe];
    if (subs === undefined) return false;
    const key = formatAddr(from.address, from.port);
    const existing = subs.get(key);
    if (existing !== undefined) {
      existing.refreshed = now;
      existing.id = id;
      return true;
    }
    // One over the budget is let in: the coordinator's placement respects the budget, so a
    // parent that looks full holds a subscription that is stale (a crashed child, not yet
    // expired; a moved one whose UNSUB is still on its way), which goes within CHILD_EXPIRY.
    if (this.used >= this.slots + OVERCOMMIT) return false;
    subs.set(key, { host: from.address, port: from.port, id, refreshed: now });
    return true;
  }

  /** Whether `from` is subscribed to `stripe` (a refresh needs no answer). */
  has(from: RemoteInfo, stripe: number): boolean {
    return this.#byStripe[stripe]?.has(formatAddr(from.address, from.port)) ?? false;
  }

  unsubscribe(from: RemoteInfo, stripe: number): void {
    this.#byStripe[stripe]?.delete(formatAddr(from.address, from.port));
  }

  /** Forgets a child in every stripe. */
  remove(addr: string): void {
    for (const subs of this.#byStripe) subs.delete(addr);
  }

  /** Drops subscriptions not refreshed since `before`; returns how many. */
  expire(before: number): number {
    let dropped = 0;
    for (const subs of this.#byStripe) {
      for (const [key, s] of subs) if (s.refreshed < before) (subs.delete(key), dropped++);
    }
    return dropped;
  }

  /** Sends `msg` to every subscriber of `stripe`. */
  forward(stripe: number, msg: Uint8Array): void {
    const subs = this.#byStripe[stripe];
    if (subs === undefined) return;
    for (const s of subs.values()) {
      this.#data.send(msg, s.port, s.host);
      this.sent++;
      this.bytes += msg.byteLength;
    }
  }

  /**
   * Sends a child the symbols it missed (a backfill, see SymbolCache), at most once per
   * BACKFILL_EVERY_MS per child and stripe; returns how many were sent.
   */
  backfill(to: RemoteInfo, stripe: number, msgs: readonly Uint8Array[], now: number): number {
    const key = `${formatAddr(to.address, to.port)}/${stripe}`;
    const last = this.#backfilled.get(key);
    if (last !== undefined && now - last < BACKFILL_EVERY_MS) return 0;
    if (this.#backfilled.size > 4096) this.#backfilled.clear();
    this.#backfilled.set(key, now);
    for (const msg of msgs) {
      this.#data.send(msg, to.port, to.address);
      this.bytes += msg.byteLength;
    }
    this.backfills++;
    this.backfilledSymbols += msgs.length;
    return msgs.length;
  }

  /** Every child's address, once. */
  addresses(): Array<{ host: string; port: number }> {
    const seen = new Map<string, { host: string; port: number }>();
    for (const subs of this.#byStripe) for (const [key, s] of subs) seen.set(key, { host: s.host, port: s.port });
    return [...seen.values()];
  }
}
