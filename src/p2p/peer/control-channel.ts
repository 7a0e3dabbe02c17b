import { once } from 'node:events';
import type { PerfectSocket, SocketStream } from '../../socket/socket.js';
import { lookupHost } from '../../socket/resolve.js';
import { CONTROL_STREAM, createLinkSocket, REPORT_STREAM, type LinkOptions } from '../link.js';
import { encodeControl, formatAddr, splitAddr, type Control, type NodeRef } from '../wire/control.js';

/** Where a control message goes. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * A peer's socket as its control plane: control messages to the coordinator and the neighbours,
 * reports to the coordinator, the wait for the coordinator's answers while joining. Once closed
 * it sends nothing, so late timers and handlers need no checks of their own.
 */
export class ControlChannel {
  readonly socket: PerfectSocket;
  readonly #control: SocketStream;
  /** Unreliable: reports, and the second copy of a BYE. */
  readonly #unreliable: SocketStream;
  /** The coordinator's address, resolved, as `formatAddr` spells it (how it is recognised). */
  coordinatorAddr = '';
  coordinator: Endpoint = { host: '', port: 0 };
  #waiter: ((msg: Control) => boolean) | undefined;
  #closed = false;

  constructor(link: LinkOptions) {
    this.socket = createLinkSocket(link);
    this.#control = this.socket.stream(CONTROL_STREAM);
    this.#unreliable = this.socket.stream(REPORT_STREAM);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves the coordinator's host once: every later message goes to that address. */
  async locate(coordinator: Endpoint): Promise<void> {
    const { address } = await lookupHost(coordinator.host);
    this.coordinator = { host: address, port: coordinator.port };
    this.coordinatorAddr = formatAddr(address, coordinator.port);
  }

  /** Binds the socket; rejects with the socket's error (a port in use). */
  async bind(at: Endpoint): Promise<void> {
    this.socket.bind(at.port, at.host);
    await Promise.race([once(this.socket, 'listening'), once(this.socket, 'error').then(([e]) => Promise.reject(e as Error))]);
  }

  /** A node's address as messages from it show it (the coordinator's ref has an empty address). */
  readonly resolve = (ref: NodeRef): string => (ref.addr === '' ? this.coordinatorAddr : ref.addr);

  /** Where to send to a node. */
  target(ref: NodeRef): Endpoint {
    return ref.addr === '' ? this.coordinator : splitAddr(ref.addr);
  }

  send(to: Endpoint, msg: Control): void {
    if (this.#closed) return;
    this.#control.send(encodeControl(msg), to.port, to.host);
  }

  /** Sends on the unreliable stream to the coordinator, or to `to`. */
  sendUnreliable(msg: Control, to: Endpoint = this.coordinator): void {
    if (!this.#closed) this.#unreliable.send(encodeControl(msg), to.port, to.host);
  }

  /** The first control message from the coordinator that `match`es, or undefined after `ms`. */
  await(match: (msg: Control) => boolean, ms: number): Promise<Control | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve(undefined);
      }, ms);
      this.#waiter = (msg) => {
        if (!match(msg)) return false;
        clearTimeout(timer);
        this.#waiter = undefined;
        resolve(msg);
        return true;
      };
    });
  }

  /** Offers a message from the coordinator to a pending {@link await}: true if it took it. */
  answers(msg: Control): boolean {
    return this.#waiter !== undefined && this.#waiter(msg);
  }

  /** Stops sending and waiting, and closes the socket. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiter = undefined;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
