import type { RemoteInfo } from './peers.js';

/** One received message, as the async iterator yields it. */
export interface Delivery {
  msg: Buffer;
  rinfo: RemoteInfo;
}

/**
 * The buffer behind one async iterator of a socket: messages wait here until the consumer
 * asks for them. Bounded: past `limit` waiting messages, new ones are dropped (like a full
 * socket receive buffer) and reported through `onDrop`, so a stalled consumer cannot grow
 * memory without bound.
 */
export class MessageQueue implements AsyncIterableIterator<Delivery> {
  readonly #limit: number;
  readonly #onDrop: () => void;
  readonly #onEnd: (queue: MessageQueue) => void;
  #items: Delivery[] = [];
  #head = 0;
  #waiters: Array<(result: IteratorResult<Delivery, undefined>) => void> = [];
  #ended = false;

  /**
   * @param limit - messages held at most
   * @param onDrop - called for each message dropped because the queue was full
   * @param onEnd - called once when the consumer stops early or the socket closes
   */
  constructor(limit: number, onDrop: () => void, onEnd: (queue: MessageQueue) => void) {
    this.#limit = limit;
    this.#onDrop = onDrop;
    this.#onEnd = onEnd;
  }

  /** Offers a message: to a waiting consumer, else to the buffer if it has room. */
  push(delivery: Delivery): void {
    if (this.#ended) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: delivery, done: false });
    else if (this.#items.length - this.#head < this.#limit) this.#items.push(delivery);
    else this.#onDrop();
  }

  /** No more messages will come: the consumer gets what is buffered, then the end. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onEnd(this);
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Delivery, undefined>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as unknown as Delivery; // let the batch go
      // Compact now and then so a long-lived queue does not keep a growing array.
      if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The consumer stopped (break out of for-await): stop buffering for it. */
  return(): Promise<IteratorResult<Delivery, undefined>> {
    this.end();
    this.#items = [];
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
