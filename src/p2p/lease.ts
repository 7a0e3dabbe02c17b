/**
 * Per-stream coordinator ownership through a lease in Redis (docs/P2P-SCALING.md says why and how
 * the rest of the system uses it). Not a consensus protocol: Redis is the single arbiter, a lease
 * is a key that expires, and an epoch counter bumped on every acquisition fences off a former
 * owner that has not noticed yet.
 *
 * Keys, per stream (the `{stream}` hash tag keeps both in one Redis Cluster slot, which scripts
 * touching two keys need):
 * - `<prefix>{<stream>}:owner`  "<epoch>|<owner>|<address>", with a PX expiry = the lease.
 * - `<prefix>{<stream>}:epoch`  the counter; never expires (fencing needs it to only grow).
 *
 * The store is anything with ioredis's `eval(script, numKeys, ...keysAndArgs)`, so the package
 * does not depend on a Redis client: pass your own ioredis instance.
 */

/** The one Redis call the lease needs (ioredis's `Redis` and `Cluster` have it). */
export interface LeaseStore {
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}

/** Who owns a stream, as stored in Redis. */
export interface LeaseRecord {
  /** Grows by at least one on every acquisition; control messages carry it (fencing). */
  epoch: number;
  /** The owning coordinator process (unique per process incarnation, e.g. host:pid:random). */
  owner: string;
  /** Where peers reach the owner's control endpoint, host:port. */
  address: string;
}

/** Options shared by every lease call. */
export interface LeaseOptions {
  store: LeaseStore;
  /** The stream the lease is for. */
  stream: string;
  /** Key prefix (default 'perfect-socket:'). */
  prefix?: string;
}

/** Options of {@link tryAcquire} and {@link LeaseKeeper}. */
export interface AcquireOptions extends LeaseOptions {
  owner: string;
  address: string;
  /** Lease length, ms (default 6000). The owner renews every third of it. */
  ttlMs?: number;
  /**
   * Highest epoch this process has seen for the stream (e.g. from peers re-registering). The
   * new epoch is above it even if Redis lost the counter (a restart without persistence), so
   * peers that remember a higher epoch do not reject the new owner forever.
   */
  minEpoch?: number;
}

const DEFAULT_TTL_MS = 6000;

/** Local clocks may run this much faster than Redis's; the holder gives up that much early. */
const DRIFT = 0.01;

// Both scripts run atomically in Redis: nothing interleaves between the check and the write.

/** Takes a free lease and bumps the epoch in one step, so no owner ever holds a reused epoch. */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
local epoch = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[4])
if epoch <= floor then
  epoch = floor + 1
  redis.call('SET', KEYS[2], epoch)
end
local value = epoch .. '|' .. ARGV[1] .. '|' .. ARGV[2]
redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
return {1, value}`;

/** Extends the lease only if it is still ours (same owner, same epoch): compare-and-extend. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** Deletes the lease only if it is still ours, so a slow release cannot free a successor's. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const LOOKUP = `return redis.call('GET', KEYS[1])`;

/** The two keys of a stream's lease. */
export function leaseKeys(stream: string, prefix = 'perfect-socket:'): { owner: string; epoch: string } {
  return { owner: `${prefix}{${stream}}:owner`, epoch: `${prefix}{${stream}}:epoch` };
}

function parse(value: unknown): LeaseRecord | null {
  if (typeof value !== 'string') return null;
  const first = value.indexOf('|');
  const second = value.indexOf('|', first + 1);
  if (first < 0 || second < 0) return null;
  const epoch = Number(value.slice(0, first));
  if (!Number.isSafeInteger(epoch)) return null;
  return { epoch, owner: value.slice(first + 1, second), address: value.slice(second + 1) };
}

function format(r: LeaseRecord): string {
  return `${r.epoch}|${r.owner}|${r.address}`;
}

function checkAcquire(o: AcquireOptions): number {
  // '|' separates the stored fields; the address may contain anything but the owner may not.
  if (!o.owner || o.owner.includes('|')) throw new RangeError(`lease owner must be non-empty without '|': ${JSON.stringify(o.owner)}`);
  if (!o.stream) throw new RangeError('lease stream must be non-empty');
  const ttl = o.ttlMs ?? DEFAULT_TTL_MS;
  if (!Number.isInteger(ttl) || ttl < 10) throw new RangeError(`lease ttlMs must be an integer >= 10: ${ttl}`);
  return ttl;
}

/** The stream's current owner, or null when no one holds the lease. */
export async function lookupOwner(o: LeaseOptions): Promise<LeaseRecord | null> {
  return parse(await o.store.eval(LOOKUP, 1, leaseKeys(o.stream, o.prefix).owner));
}

/** A lease this process holds. */
export class Lease {
  /** Local monotonic time (performance.now()) until which this process may act as owner. */
  validUntil: number;

  /** @internal use {@link tryAcquire} */
  constructor(
    readonly record: LeaseRecord,
    private readonly options: LeaseOptions,
    readonly ttlMs: number,
    sentAt: number,
  ) {
    this.validUntil = Lease.deadline(sentAt, ttlMs);
  }

  /**
   * Counted from when the request was *sent*: Redis started the TTL no earlier than that, so the
   * holder's view never outlives Redis's, whatever the round trip took.
   */
  private static deadline(sentAt: number, ttlMs: number): number {
    return sentAt + ttlMs * (1 - DRIFT);
  }

  /** True while the lease may still be ours by the local clock. */
  valid(now = performance.now()): boolean {
    return now < this.validUntil;
  }

  /** Extends the lease by its TTL if it is still ours; false means it is lost (stop acting as owner). */
  async renew(): Promise<boolean> {
    const sentAt = performance.now();
    const keys = leaseKeys(this.options.stream, this.options.prefix);
    const ok = (await this.options.store.eval(RENEW, 1, keys.owner, format(this.record), this.ttlMs)) === 1;
    if (ok) this.validUntil = Lease.deadline(sentAt, this.ttlMs);
    else this.validUntil = 0;
    return ok;
  }

  /** Gives the lease up at once (graceful shutdown: a standby takes over without waiting the TTL out). */
  async release(): Promise<boolean> {
    this.validUntil = 0;
    const keys = leaseKeys(this.options.stream, this.options.prefix);
    return (await this.options.store.eval(RELEASE, 1, keys.owner, format(this.record))) === 1;
  }
}

/**
 * One attempt at the stream's lease: the {@link Lease} if it was free, else null (read the holder
 * with {@link lookupOwner}). Redis errors reject.
 */
export async function tryAcquire(o: AcquireOptions): Promise<Lease | null> {
  const ttl = checkAcquire(o);
  const keys = leaseKeys(o.stream, o.prefix);
  const sentAt = performance.now();
  const reply = (await o.store.eval(ACQUIRE, 2, keys.owner, keys.epoch, o.owner, o.address, ttl, Math.max(0, Math.floor(o.minEpoch ?? 0)))) as [number, string];
  if (!Array.isArray(reply) || reply[0] !== 1) return null;
  const record = parse(reply[1]);
  if (!record) throw new Error(`lease: unexpected value from Redis: ${JSON.stringify(reply[1])}`);
  return new Lease(record, o, ttl, sentAt);
}

/**
 * The fencing rule, for peers (and coordinators hearing from peers): remember the highest epoch
 * seen for the stream, refuse anything older. A deposed owner that has not noticed yet still
 * sends with its old epoch, and those messages are dropped.
 */
export class EpochFence {
  /** The highest epoch admitted so far (0: none yet). */
  highest = 0;

  /** Admits `epoch` if it is not older than anything seen; a newer one raises the bar. */
  admit(epoch: number): boolean {
    if (epoch < this.highest) return false;
    this.highest = epoch;
    return true;
  }
}

/** Callbacks of {@link LeaseKeeper}. */
export interface LeaseKeeperEvents {
  /** This process now owns the stream under `record.epoch`: start (or resume) coordinating. */
  onAcquired(record: LeaseRecord): void;
  /** The lease is gone (renewal refused, or Redis unreachable until it ran out): stop at once. */
  onLost(record: LeaseRecord, reason: string): void;
  /** A Redis call failed; the keeper carries on (retries, or loses the lease when it runs out). */
  onError?(err: unknown): void;
}

/**
 * Campaigns for a stream's lease and keeps it: tries every third of the TTL until it gets it,
 * then renews every third of the TTL. Losing it (refused renewal, or no successful renewal before
 * the local deadline) calls `onLost` exactly when the local deadline passes or the refusal
 * arrives, whichever is first, and the keeper goes back to campaigning. This is the "behind an
 * option" piece: a coordinator given a lease store runs as owner only between onAcquired and
 * onLost, and stamps `record.epoch` on every control message.
 */
export class LeaseKeeper {
  #lease: Lease | null = null;
  #timer: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #stopped = false;
  #busy = false;
  readonly #ttl: number;
  #minEpoch: number;

  constructor(
    private readonly options: AcquireOptions,
    private readonly events: LeaseKeeperEvents,
  ) {
    this.#ttl = checkAcquire(options);
    this.#minEpoch = options.minEpoch ?? 0;
  }

  /** The lease while held. */
  get lease(): Lease | null {
    return this.#lease;
  }

  /** Starts campaigning. */
  start(): void {
    if (this.#timer) return;
    this.#stopped = false;
    void this.#tick();
    this.#timer = setInterval(() => void this.#tick(), Math.max(5, Math.floor(this.#ttl / 3)));
    // The keeper alone should not hold a process open; whatever it guards (sockets) does that.
    this.#timer.unref();
  }

  /**
   * Raises the epoch floor (a peer showed a newer epoch than ours: we were deposed without
   * noticing). Drops the lease if we hold an older one.
   */
  sawEpoch(epoch: number): void {
    this.#minEpoch = Math.max(this.#minEpoch, epoch);
    if (this.#lease && epoch > this.#lease.record.epoch) this.#lose(`a newer epoch ${epoch} exists`);
  }

  /** Stops renewing and releases the lease if held (a standby takes over at once). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#expiry);
    const lease = this.#lease;
    this.#lease = null;
    if (lease) await lease.release().catch((err) => this.events.onError?.(err));
  }

  async #tick(): Promise<void> {
    // One Redis call in flight at a time: a slow Redis must not stack renewals.
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      if (this.#lease) {
        const lease = this.#lease;
        const ok = await lease.renew();
        if (this.#lease !== lease) return; // lost or stopped meanwhile
        if (!ok) this.#lose('renewal refused: the lease expired or another owner holds it');
        else this.#armExpiry();
      } else {
        const lease = await tryAcquire({ ...this.options, minEpoch: this.#minEpoch });
        if (!lease || this.#stopped) {
          if (lease) await lease.release();
          return;
        }
        this.#lease = lease;
        this.#minEpoch = lease.record.epoch;
        this.#armExpiry();
        this.events.onAcquired(lease.record);
      }
    } catch (err) {
      // Transient Redis trouble: keep the lease until its local deadline, then the expiry fires.
      this.events.onError?.(err);
    } finally {
      this.#busy = false;
    }
  }

  /** The local deadline: if no renewal lands before it, the lease is lost whatever Redis says. */
  #armExpiry(): void {
    clearTimeout(this.#expiry);
    const lease = this.#lease;
    if (!lease) return;
    this.#expiry = setTimeout(() => {
      if (this.#lease === lease) this.#lose('no renewal before the lease ran out');
    }, Math.max(0, lease.validUntil - performance.now()));
    this.#expiry.unref();
  }

  #lose(reason: string): void {
    const lease = this.#lease;
    if (!lease) return;
    this.#lease = null;
    clearTimeout(this.#expiry);
    lease.validUntil = 0;
    this.events.onLost(lease.record, reason);
  }
}
