import { createSocket as createUdpSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { lookupHost } from '../socket/resolve.js';
import type { ProtectionOptions } from '../socket/options.js';
import { createSocket, type PerfectSocket } from '../socket/socket.js';
import type { SocketStats } from '../socket/stats.js';
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
  /** SO_RCVBUF / SO_SNDBUF for the plain UDP socket (default 4 MiB; the kernel may cap it). */
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
 * Carries datagrams between plain UDP and a protected endpoint, unchanged and one for one:
 *
 * - `udp://H:P -> psock://H:P` (sender side): a node:dgram socket bound at `from` takes
 *   datagrams (say from `ffmpeg -f mpegts udp://H:P`) and a {@link PerfectSocket} sends each to
 *   the psock peer. The socket stays open and reading, because the receiver sends its NACKs,
 *   feedback and pings back to it.
 * - `psock://H:P -> udp://H:P` (receiver side): a PerfectSocket bound at `from` (in order,
 *   `ordered: true`, unless the URL says `ordered=0`) hands each message to a dgram socket
 *   connected to `to` (say `ffplay udp://H:P`).
 *
 * Nothing is batched here beyond what the sockets do. Nothing from the network throws: failed
 * sends, oversized datagrams and socket errors are counted in {@link Relay.stats}.
 *
 * @throws (rejects) UsageError for a malformed URL, TypeError or RangeError for bad settings or
 *   not exactly one psock side, and the socket error (EADDRINUSE, ...) when a bind fails
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const plan = planRelay(options.from, options.to, options.settings);
  const bufferBytes = options.socketBufferBytes ?? DEFAULT_BUFFER_BYTES;
  const [local, remote] = await Promise.all([lookupHost(plan.from.host), lookupHost(plan.to.host)]);
  const sender = plan.mode === 'udp->psock';
  const psock = createSocket(
    sender ? { type: remote.type, ...plan.protection } : { type: local.type, ordered: true, ...plan.protection },
  );
  const udp = createUdpSocket({
    type: (sender ? local : remote).type,
    recvBufferSize: bufferBytes,
    sendBufferSize: bufferBytes,
  });
  const relay = new ForwardingRelay(plan, udp, psock, remote.address);
  try {
    if (sender) {
      // Bound before any input arrives, so control packets from the receiver have a home.
      psock.bind(0, remote.type === 'udp6' ? '::' : '0.0.0.0');
      udp.bind(plan.from.port, local.address);
      await Promise.all([once(psock, 'listening'), once(udp, 'listening')]);
    } else {
      // Connected: the address is fixed once, and ICMP errors from `to` are reported.
      udp.connect(plan.to.port, remote.address);
      psock.bind(plan.from.port, local.address);
      await Promise.all([once(udp, 'connect'), once(psock, 'listening')]);
    }
  } catch (err) {
    await relay.close();
    throw err;
  }
  relay.started();
  return relay;
}

class ForwardingRelay implements Relay {
  readonly mode: RelayMode;
  readonly settings: ProtectionOptions;
  readonly #udp: UdpSocket;
  readonly #psock: PerfectSocket;
  readonly #in: Traffic = { packets: 0, bytes: 0 };
  readonly #out: Traffic = { packets: 0, bytes: 0 };
  #dropped = 0;
  #udpErrors = 0;
  #address: RelayAddress | undefined;
  #meter: RateMeter<'inBytes' | 'outBytes' | 'inPackets' | 'outPackets' | 'wireBytes'> | undefined;
  #closing: Promise<void> | undefined;

  constructor(plan: RelayPlan, udp: UdpSocket, psock: PerfectSocket, toAddress: string) {
    this.mode = plan.mode;
    this.settings = plan.protection;
    this.#udp = udp;
    this.#psock = psock;
    const toPort = plan.to.port;
    // Error listeners first: an 'error' with no listener would throw into the event loop.
    udp.on('error', () => {
      this.#udpErrors++;
      // On the receiver side the dgram socket only sends: its errors are failed sends.
      if (this.mode === 'psock->udp') this.#dropped++;
    });
    // Bind failures reach startRelay through once(); afterwards only failed sends come here.
    psock.on('error', () => this.#dropped++);
    if (this.mode === 'udp->psock') {
      udp.on('message', (msg) => {
        this.#count(this.#in, msg.length);
        if (this.#closing) return;
        psock.send(msg, toPort, toAddress);
        this.#count(this.#out, msg.length);
      });
    } else {
      psock.on('message', (msg) => {
        this.#count(this.#in, msg.length);
        if (this.#closing) return;
        udp.send(msg);
        this.#count(this.#out, msg.length);
      });
    }
  }

  get address(): RelayAddress {
    if (this.#address === undefined) throw new Error('the relay is not listening');
    return this.#address;
  }

  /** Called once both sockets are ready. */
  started(): void {
    const a = this.mode === 'udp->psock' ? this.#udp.address() : this.#psock.address();
    this.#address = { address: a.address, port: a.port, family: a.family };
    this.#meter = new RateMeter(() => {
      const { bytesSent, bytesReceived } = this.#psock.stats();
      return {
        inBytes: this.#in.bytes,
        outBytes: this.#out.bytes,
        inPackets: this.#in.packets,
        outPackets: this.#out.packets,
        wireBytes: bytesSent + bytesReceived,
      };
    });
  }

  stats(): RelayStats {
    const r = this.#meter?.perSecond();
    return {
      mode: this.mode,
      in: { ...this.#in },
      out: { ...this.#out },
      dropped: this.#dropped,
      udpErrors: this.#udpErrors,
      rates: {
        inBitsPerSecond: 8 * (r?.inBytes ?? 0),
        outBitsPerSecond: 8 * (r?.outBytes ?? 0),
        inPacketsPerSecond: r?.inPackets ?? 0,
        outPacketsPerSecond: r?.outPackets ?? 0,
        wireBitsPerSecond: 8 * (r?.wireBytes ?? 0),
      },
      psock: this.#psock.stats(),
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    this.#meter?.stop();
    // Input side first, so nothing arrives for a socket already closed.
    const [first, second] = this.mode === 'udp->psock' ? [this.#udp, this.#psock] : [this.#psock, this.#udp];
    for (const socket of [first, second]) {
      const closed = once(socket, 'close');
      try {
        socket.close();
      } catch {
        continue; // never opened, or closed already: nothing to wait for
      }
      await closed;
    }
  }

  #count(traffic: Traffic, bytes: number): void {
    traffic.packets++;
    traffic.bytes += bytes;
  }
}
