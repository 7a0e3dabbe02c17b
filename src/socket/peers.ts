import type { Engine, EngineAddress, EngineNewPeer } from './engine-contract.js';
import { PeerMap } from './peer-map.js';

/** Where a message came from, as in node:dgram. */
export interface RemoteInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  /** The message's length in bytes. */
  size: number;
  /** The logical stream it came on, on sockets that declared streams (see `socket.stream()`). */
  stream?: number;
}

/** A sender's address without a message size. */
export type PeerAddress = Omit<RemoteInfo, 'size' | 'stream'>;

/**
 * Senders the engine tracks at most at once (its id table's bound). Its ids only increase, so
 * keeping the newest this many covers every id it can still use.
 */
const MAX_SENDERS = 1 << 16;

/** Normalises the engine's family string to node:dgram's. */
export function toPeerAddress(a: EngineAddress): PeerAddress {
  return { address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port };
}

/** Sender ids of delivered messages -> addresses, learnt from each batch's `newPeers`. */
export class Senders {
  readonly #byId = new Map<number, PeerAddress>();

  /** Records the senders a batch announces. */
  learn(newPeers: readonly EngineNewPeer[]): void {
    for (const p of newPeers) {
      this.#byId.set(p.id, toPeerAddress(p));
      // A Map iterates in insertion order, which is id order here: the first key is the oldest.
      if (this.#byId.size > MAX_SENDERS) this.#byId.delete(this.#byId.keys().next().value!);
    }
  }

  get(id: number): PeerAddress | undefined {
    return this.#byId.get(id);
  }
}

/**
 * Destination ids for `Engine.send`, interned once per address and port. The engine bounds
 * the table (it refuses new destinations past its cap), so this mirror is bounded too.
 */
export class Destinations {
  readonly #ids = new PeerMap<number>();

  /**
   * The id of `address`:`port`, asking the engine the first time.
   * @throws whatever `Engine.peer` throws (an invalid address, or too many destinations)
   */
  id(engine: Engine, address: string, port: number): number {
    let id = this.#ids.get(address, port);
    if (id !== undefined) return id;
    id = engine.peer(address, port);
    this.#ids.set(address, port, id);
    return id;
  }
}
