/**
 * A map keyed by address and port. Nested maps rather than one map of "address port" strings:
 * looked up once per message sent, and a fresh key string per lookup costs its hashing each time,
 * while the address strings here come from the resolver's cache and keep their hashes.
 */
export class PeerMap<V> {
  readonly #byAddress = new Map<string, Map<number, V>>();
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  get(address: string, port: number): V | undefined {
    return this.#byAddress.get(address)?.get(port);
  }

  set(address: string, port: number, value: V): void {
    let ports = this.#byAddress.get(address);
    if (ports === undefined) this.#byAddress.set(address, (ports = new Map()));
    if (!ports.has(port)) this.#size++;
    ports.set(port, value);
  }

  delete(address: string, port: number): boolean {
    const ports = this.#byAddress.get(address);
    if (ports === undefined || !ports.delete(port)) return false;
    if (ports.size === 0) this.#byAddress.delete(address);
    this.#size--;
    return true;
  }

  /** The values, as a snapshot: entries may be deleted while it is walked. */
  values(): V[] {
    return [...this.#byAddress.values()].flatMap((ports) => [...ports.values()]);
  }

  clear(): void {
    this.#byAddress.clear();
    this.#size = 0;
  }
}
