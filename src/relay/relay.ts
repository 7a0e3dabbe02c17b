import { engineClass, type Engine, type EngineOptions } from '../socket/engine-contract.js';
import { resolveOptions, type ProtectionOptions } from '../socket/options.js';
import { lookupHost } from '../socket/resolve.js';
import { mergeStats, type SocketStats } from '../socket/stats.js';
import type { EndpointUrl } from '../url.js';
import { planRelay, type RelayMode, type RelayPlan } from './plan.js';
import { RateMeter } from './rate-meter.js';

/** How to start a relay (see {@link startRelay}). */
export interface RelayOptions {
  /** Where to listen: `udp://HOST:PORT` or `psock://HOST:PORT?..`; port 0 picks a free port. */
  from: string | EndpointUrl;
  /** Where to forward: a `psock://` URL when `from` is udp, a `udp://` URL when it is psock. */
  to: string | EndpointUrl;
  /** Settings overriding the psock URL's query: every one given wins. */
  settings?: ProtectionOptions;
  /** SO_RCVBUF / SO_SNDBUF for both sockets (default 4 MiB; the kernel may cap it). */
  socketBufferBytes?: number;
}

/** Payloads counted at one side of the relay. */
export interface Traffic {
  packets: number;
  bytes: number;
}

/** Rates over about the last second. */
export interface RelayRates {
  /** Payload taken in at `from`, and handed on at `to`. */
  inBitsPerSecond: number;
  outBitsPerSecond: number;
  inPacketsPerSecond: number;
  outPacketsPerSecond: number;
  /** The protected socket's datagrams both ways, headers, repairs and control included. */
  wireBitsPerSecond: number;
}

/** A relay's counters: both sockets', and its own. */
export interface RelayStats {
  mode: RelayMode;
  /** Payloads taken in at `from`: datagrams (udp) or delivered messages (psock). */
  in: Traffic;
  /** Payloads handed to the socket at `to`, including those it then failed to send. */
  out: Traffic;
  /** Of `out`, payloads not sent: a send that failed, or one too large for the protected format. */
  dropped: number;
  /** Errors reported by the plain UDP socket (e.g. ICMP port unreachable at `to`). */
  udpErrors: number;
  /**
   * Datagrams the kernel dropped at `from`'s socket, its receive buffer full, before `in` could
   * count them: the relay did not keep up (see `SocketStats.receiveBufferDrops`).
   */
  receiveBufferDrops: number;
  rates: RelayRates;
  /** The protected socket's counters (FEC, NACK, RTT, ...). */
  psock: SocketStats;
}

/** A bound address. */
export interface RelayAddress {
  address: string;
  port: number;
  family: string;
}

/** A running relay. */
export interface Relay {
  readonly mode: RelayMode;
  /** Where it listens (the `from` side). */
  readonly address: RelayAddress;
  /** The psock side's settings in effect (URL query with overrides applied). */
  readonly settings: ProtectionOptions;
  /** A snapshot of the counters; a closed relay keeps its last values. */
  stats(): RelayStats;
  /** Stops taking input, then closes both sockets. Safe to call twice. */
  close(): Promise<void>;
}

const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Carries datagrams between plain UDP and a protected endpoint, unchanged and one for one. The
 * data path runs on the native engine's I/O thread, both sockets there (its bridge), so a
 * forwarded datagram never crosses into JavaScript; this object only configures it and reads
 * its counters.
 *
 * - `udp://H:P -> psock://H:P` (sender side): the engine's plain socket, bound at `from`, takes
 *   datagrams (say from `ffmpeg -f mpegts udp://H:P`) and sends each to the psock peer as a
 *   protected message. The protected socket stays open and reading, because the receiver sends
 *   its NACKs, feedback and pings back to it.
 * - `psock://H:P -> udp://H:P` (receiver side): the protected socket, bound at `from`, delivers
 *   in order (`ordered: true`, unless the URL says `ordered=0`) and each message leaves the
 *   plain socket for `to` (say `ffplay udp://H:P`).
 *
 * Nothing from the network throws: failed sends, oversized datagrams and socket errors are
 * counted in {@link Relay.stats}.
 *
 * @throws (rejects) UsageError for a malformed URL, TypeError or RangeError for bad settings or
 *   not exactly one psock side, and an Error naming the address when a bind fails
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const plan = planRelay(options.from, options.to, options.settings);
  const [local, remote] = await Promise.all([lookupHost(plan.from.host), lookupHost(plan.to.host)]);
  const sender = plan.mode === 'udp->psock';
  const { engine: protection } = resolveOptions(
    sender ? { type: remote.type, ...plan.protection } : { type: local.type, ordered: true, ...plan.protection },
  );
  const socketBufferBytes = options.socketBufferBytes ?? DEFAULT_BUFFER_BYTES;
  const Engine = engineClass();
  const bridge: EngineOptions = sender
    ? { bridgeIn: { host: local.address, port: plan.from.port, peerHost: remote.address, peerPort: plan.to.port } }
    : { bridgeOut: { host: remote.address, port: plan.to.port } };
  // Every delivery leaves through the bridge; the engine never calls back with messages.
  const engine = new Engine({ ...protection, ...bridge, socketBufferBytes }, () => {});
  try {
    const bound = sender ? engine.bind(remote.type === 'udp6' ? '::' : '0.0.0.0', 0) : engine.bind(local.address, plan.from.port);
    const address = sender ? engine.bridgeAddress() : bound;
    if (address == null) throw new Error('the native engine has no bridge; rebuild it with `npm run build`');
    return new BridgedRelay(plan, engine, address);
  } catch (err) {
    engine.close();
    throw err;
  }
}

class BridgedRelay implements Relay {
  readonly mode: RelayMode;
  readonly settings: ProtectionOptions;
  readonly address: RelayAddress;
  readonly #engine: Engine;
  readonly #meter: RateMeter<'inBytes' | 'outBytes' | 'inPackets' | 'outPackets' | 'wireBytes'>;
  #last: RelayStats | undefined;
  #closed = false;

  constructor(plan: RelayPlan, engine: Engine, address: RelayAddress) {
    this.mode = plan.mode;
    this.settings = plan.protection;
    this.address = { address: address.address, port: address.port, family: address.family };
    this.#engine = engine;
    this.#meter = new RateMeter(() => {
      const { in: taken, out: handed, psock } = this.#counts();
      return {
        inBytes: taken.bytes,
        outBytes: handed.bytes,
        inPackets: taken.packets,
        outPackets: handed.packets,
        wireBytes: psock.bytesSent + psock.bytesReceived,
      };
    });
  }

  stats(): RelayStats {
    if (this.#closed && this.#last) return this.#last;
    const r = this.#meter.perSecond();
    return {
      ...this.#counts(),
      rates: {
        inBitsPerSecond: 8 * r.inBytes,
        outBitsPerSecond: 8 * r.outBytes,
        inPacketsPerSecond: r.inPackets,
        outPacketsPerSecond: r.outPackets,
        wireBitsPerSecond: 8 * r.wireBytes,
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#last = this.stats();
    this.#closed = true;
    this.#meter.stop();
    // Sends what is queued, then stops the I/O thread and closes both sockets.
    this.#engine.close();
  }

  /** The counters, read from the engine: its bridge is the plain side. */
  #counts(): Omit<RelayStats, 'rates'> {
    const native = this.#engine.stats();
    const psock = mergeStats(native, { sendCalls: 0, iteratorDropped: 0 });
    const bridge = {
      datagramsIn: native.bridgeDatagramsIn ?? 0,
      bytesIn: native.bridgeBytesIn ?? 0,
      datagramsOut: native.bridgeDatagramsOut ?? 0,
      bytesOut: native.bridgeBytesOut ?? 0,
      sendErrors: native.bridgeSendErrors ?? 0,
      queueDrops: native.bridgeSendQueueDrops ?? 0,
      receiveBufferDrops: native.bridgeReceiveBufferDrops ?? 0,
    };
    if (this.mode === 'udp->psock') {
      const refused = psock.refused;
      return {
        mode: this.mode,
        in: { packets: bridge.datagramsIn, bytes: bridge.bytesIn },
        out: { packets: psock.sent, bytes: bridge.bytesIn },
        dropped: refused,
        udpErrors: 0,
        receiveBufferDrops: bridge.receiveBufferDrops,
        psock,
      };
    }
    return {
      mode: this.mode,
      in: { packets: psock.delivered, bytes: bridge.bytesOut },
      out: { packets: bridge.datagramsOut + bridge.sendErrors + bridge.queueDrops, bytes: bridge.bytesOut },
      dropped: bridge.sendErrors + bridge.queueDrops,
      udpErrors: bridge.sendErrors,
      receiveBufferDrops: psock.receiveBufferDrops,
      psock,
    };
  }
}
