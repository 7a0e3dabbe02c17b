/**
 * Whether UDP reaches a peer, decided from silence: a v1 receiver answers a sender within about
 * 250 ms of its first data (feedback and RTT pings), so a sender that has sent for
 * `fallbackAfter` ms and heard nothing back concludes that UDP is blocked on the way.
 *
 * A small state machine with no timers and no clock of its own: the caller passes the time in,
 * so tests drive it on a virtual clock and the socket polls it from one shared timer.
 */

/** What the decision says: still waiting, UDP works, or UDP is blocked and TCP should carry it. */
export type Verdict = 'udp' | 'tcp' | 'pending';

/** The decision for one peer; once it says 'udp' or 'tcp' it never changes. */
export class FallbackDecision {
  readonly #after: number;
  #since: number | undefined;
  #verdict: Verdict = 'pending';

  /** @param fallbackAfter - ms of sending without a reply after which UDP counts as blocked */
  constructor(fallbackAfter: number) {
    this.#after = fallbackAfter;
  }

  /** The first message left for the peer at `now` (ms); later calls change nothing. */
  start(now: number): void {
    this.#since ??= now;
  }

  /**
   * Something came back at `now`: UDP works. Ignored before `start` or for a time before it,
   * since a reply cannot precede the first message.
   */
  heard(now: number): void {
    if (this.#verdict === 'pending' && this.#since !== undefined && now >= this.#since) this.#verdict = 'udp';
  }

  /** The verdict at `now`: 'tcp' once `fallbackAfter` ms have passed since `start` unheard. */
  poll(now: number): Verdict {
    if (this.#verdict === 'pending' && this.#since !== undefined && now - this.#since >= this.#after) this.#verdict = 'tcp';
    return this.#verdict;
  }
}
