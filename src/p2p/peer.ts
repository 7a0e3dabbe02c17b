import { resolvePeerOptions, type PeerOptions } from './peer-options.js';
import { PeerNode } from './peer/node.js';
import type { Peer } from './peer/types.js';

export type { PeerOptions } from './peer-options.js';
export type { Peer, PeerEvents, PeerStats, SwitchRecord } from './peer/types.js';

/**
 * Starts a viewer of a P2P stream: reaches the coordinator (a PING for the round trip, then a
 * JOIN answered by its placement: a parent and backups per stripe), subscribes to its parents,
 * decodes the stripe code and writes the stream's datagrams to `options.to` in order, and
 * relays the symbols of the stripes its children take from it the moment they arrive. A parent
 * silent for `silenceMs` is replaced by a backup in one round trip; the coordinator is told.
 *
 * @example
 * const peer = await startPeer({ coordinator: { host: '10.0.0.1', port: 7000 }, to: { host: '127.0.0.1', port: 5004 } })
 * // ffplay udp://127.0.0.1:5004
 * await peer.close()
 * @returns the peer once placed and subscribed
 * @throws TypeError or RangeError (synchronously) for bad options; the promise rejects when the
 *   coordinator cannot be reached within `joinTimeoutMs` or refuses the join
 */
export function startPeer(options: PeerOptions): Promise<Peer> {
  const node = new PeerNode(resolvePeerOptions(options));
  return node.start().then(
    () => node,
    async (err: unknown) => {
      await node.close({ graceful: false });
      throw err;
    },
  );
}
