import { localNow, type ClockMap } from '../clock.js';
import type { ResolvedPeerOptions } from '../peer-options.js';
import { P2P_VERSION, type Join, type Placed } from '../wire/control.js';
import type { ControlChannel } from './control-channel.js';

/** How long one PING waits for its PONG before the next is sent. */
const PING_WAIT_MS = 500;

/** The JOIN a peer sends, first and on each rejoin. */
export function joinMessage(o: ResolvedPeerOptions, rttMs: number): Join {
  return { t: 'join', v: P2P_VERSION, ...o.budget, rttMs };
}

/** With a passphrase, silence most likely means the coordinator holds another one (or none). */
function whyUnanswered(o: ResolvedPeerOptions): string {
  return o.link.passphrase === undefined ? '' : ' (with --passphrase: does the coordinator use the same passphrase?)';
}

/**
 * The join handshake: PINGs the coordinator until one is answered (the round trip, which the
 * placement weighs, and the clock offset, into `clock`), then JOINs, all within
 * `o.joinTimeoutMs`.
 * @returns the placement and the round trip measured
 * @throws when the coordinator does not answer in time, refuses the join, or the channel closes
 */
export async function joinCoordinator(channel: ControlChannel, clock: ClockMap, o: ResolvedPeerOptions): Promise<{ placed: Placed; rttMs: number }> {
  const end = localNow() + o.joinTimeoutMs;
  // 1. The round trip and the clock offset.
  let rttMs = -1;
  while (rttMs < 0) {
    if (localNow() >= end || channel.closed) throw new Error(`no answer from the coordinator at ${channel.coordinatorAddr} within ${o.joinTimeoutMs} ms${whyUnanswered(o)}`);
    const sent = localNow();
    channel.send(channel.coordinator, { t: 'ping', at: sent });
    const pong = await channel.await((m) => m.t === 'pong' && m.at === sent, Math.min(PING_WAIT_MS, end - localNow()));
    if (pong?.t === 'pong') rttMs = clock.measure(sent, localNow(), pong.now);
  }
  // 2. The join: one round trip.
  channel.send(channel.coordinator, joinMessage(o, rttMs));
  const answer = await channel.await((m) => m.t === 'placed' || m.t === 'refused', Math.max(1, end - localNow()));
  if (answer === undefined) throw new Error(`the coordinator at ${channel.coordinatorAddr} did not place this peer within ${o.joinTimeoutMs} ms`);
  if (answer.t === 'refused') throw new Error(`the coordinator refused the join: ${answer.reason}`);
  return { placed: answer as Placed, rttMs };
}
