/**
 * Where the viewer server gets the live stream: anything that hands out MPEG-TS datagrams as they
 * arrive. The peer and the coordinator already have such a stream (the datagrams they release to
 * their own output), so they adapt it with {@link pushFeed}; {@link udpFeed} listens on a UDP
 * port instead, for wiring the viewer behind any UDP output (e.g. `peer --out udp://...`).
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';

/** A live source of MPEG-TS datagrams (usually 7 TS packets, 1316 bytes, each). */
export interface DatagramFeed {
  /**
   * Calls `onDatagram` for every datagram from now on, synchronously as it arrives; the callee
   * must not keep the array beyond the call unless it copies it (the feed may reuse it).
   * @returns a function that unsubscribes
   */
  subscribe(onDatagram: (datagram: Uint8Array) => void): () => void;
}

/** A feed that the owner pushes into: `push(d)` delivers to every current subscriber. */
export interface PushFeed extends DatagramFeed {
  /** Hands one datagram to every subscriber. */
  push(datagram: Uint8Array): void;
}

/** Makes a {@link PushFeed}: the adapter for code that already holds the datagrams. */
export function pushFeed(): PushFeed {
  const subscribers = new Set<(d: Uint8Array) => void>();
  return {
    subscribe(onDatagram) {
      // Wrapped so one callback subscribed twice still unsubscribes once each.
      const entry = (d: Uint8Array): void => onDatagram(d);
      subscribers.add(entry);
      return () => {
        subscribers.delete(entry);
      };
    },
    push(datagram) {
      for (const s of subscribers) s(datagram);
    },
  };
}

/** A {@link DatagramFeed} read from a UDP port, with its socket. */
export interface UdpFeed extends DatagramFeed {
  /** The bound address (the real port when 0 was asked for). */
  address: { address: string; port: number };
  /** Closes the socket. */
  close(): Promise<void>;
}

/**
 * Listens on a UDP port and feeds every datagram it receives.
 * @param bind - where to listen, e.g. `{ host: '127.0.0.1', port: 5002 }`
 */
export async function udpFeed(bind: { host: string; port: number }): Promise<UdpFeed> {
  const socket = createSocket('udp4');
  const feed = pushFeed();
  socket.on('message', (msg) => feed.push(msg));
  socket.bind(bind.port, bind.host);
  await once(socket, 'listening');
  // Live video bursts: a larger receive buffer absorbs an event-loop stall.
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    // The kernel caps it (net.core.rmem_max); the default still works at a few Mbit/s.
  }
  const a = socket.address();
  return {
    subscribe: feed.subscribe,
    address: { address: a.address, port: a.port },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** The one method {@link emitterFeed} needs: node:events' `on`/`off`. */
export interface DatagramEmitter {
  on(event: string, listener: (datagram: Uint8Array) => void): unknown;
  off(event: string, listener: (datagram: Uint8Array) => void): unknown;
}

/**
 * Adapts an EventEmitter that emits each output datagram, e.g. `emitterFeed(peer, 'datagram')`.
 * @param event - the event's name
 */
export function emitterFeed(emitter: DatagramEmitter, event: string): DatagramFeed {
  return {
    subscribe(onDatagram) {
      const listener = (d: Uint8Array): void => onDatagram(d);
      emitter.on(event, listener);
      return () => {
        emitter.off(event, listener);
      };
    },
  };
}
