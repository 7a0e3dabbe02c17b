import type { PeerState } from './state.js';
import { formatAddr, type NodeRef, type Report } from './wire/control.js';
import { ROOT, type PlacementTree } from './tree/types.js';

/** What the coordinator keeps about one peer. */
export interface PeerRecord {
  id: string;
  host: string;
  port: number;
  addr: string;
  rttMs: number;
  homeStripe: number;
  /** Local ms of the last message from it (reports are the heartbeat). */
  lastSeen: number;
  report: Omit<Report, 't'> | undefined;
}

/** The coordinator's peers, by id and by address. */
export class Registry {
  readonly #byId = new Map<string, PeerRecord>();
  readonly #byAddr = new Map<string, PeerRecord>();
  #seq = 0;

  get size(): number {
    return this.#byId.size;
  }

  /** A fresh id: "p" and a base-36 number (matches the wire's id pattern). */
  nextId(): string {
    return `p${(++this.#seq).toString(36)}`;
  }

  add(record: PeerRecord): void {
    this.#byId.set(record.id, record);
    this.#byAddr.set(record.addr, record);
  }

  remove(id: string): PeerRecord | undefined {
    const r = this.#byId.get(id);
    if (r === undefined) return undefined;
    this.#byId.delete(id);
    this.#byAddr.delete(r.addr);
    return r;
  }

  get(id: string): PeerRecord | undefined {
    return this.#byId.get(id);
  }

  byAddr(host: string, port: number): PeerRecord | undefined {
    return this.#byAddr.get(formatAddr(host, port));
  }

  all(): IterableIterator<PeerRecord> {
    return this.#byId.values();
  }

  /** A node reference for the wire: the root is "" (the peer knows the coordinator's address). */
  ref(id: string): NodeRef | null {
    if (id === ROOT) return { id: ROOT, addr: '' };
    const r = this.#byId.get(id);
    return r === undefined ? null : { id, addr: r.addr };
  }

  refs(ids: readonly string[]): NodeRef[] {
    return ids.map((id) => this.ref(id)).filter((r): r is NodeRef => r !== null);
  }

  /** One peer as the state page shows it. */
  state(r: PeerRecord, tree: PlacementTree, now: number): PeerState {
    const parents: (string | null)[] = [];
    const depth: number[] = [];
    for (let s = 0; s < tree.stripes; s++) {
      parents.push(tree.parentOf(r.id, s));
      depth.push(tree.depthOf(r.id, s));
    }
    const rep = r.report;
    const total = rep === undefined ? 0 : rep.blocks + rep.lost;
    return {
      id: r.id,
      address: r.addr,
      homeStripe: r.homeStripe,
      parents,
      depth,
      loss: rep === undefined || total === 0 ? 0 : rep.lost / total,
      rawLoss: rep?.rawLoss ?? 0,
      inBps: rep?.inBps ?? 0,
      outBps: rep?.outBps ?? 0,
      rttMs: r.rttMs,
      lastSeenMs: Math.max(0, now - r.lastSeen),
    };
  }
}
