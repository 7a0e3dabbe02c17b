/**
 * Per-stream coordinator ownership (src/p2p/lease.ts) against a real redis-server (Debian
 * `redis-server`), started per test file on a private Unix socket with persistence off.
 */
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { EpochFence, LeaseKeeper, leaseKeys, lookupOwner, tryAcquire, type LeaseRecord } from '../src/p2p/lease.js';
import { until } from './helpers/wait.js';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const redisTest = haveRedis
  ? test.serial
  : (title: string, _fn: unknown) => test.skip(`${title} [skipped: no redis-server on PATH; apt-get install redis-server]`, () => {});

let dir = '';
let server: ChildProcess | undefined;
const clients: Redis[] = [];

/** A fresh client; closed after the file. */
function client(): Redis {
  const c = new Redis({ path: join(dir, 'redis.sock'), maxRetriesPerRequest: 1, lazyConnect: false });
  clients.push(c);
  return c;
}

test.before(async () => {
  if (!haveRedis) return;
  dir = mkdtempSync(join(tmpdir(), 'p2p-lease-'));
  // No TCP port, no RDB/AOF: a throwaway Redis that only this file can reach.
  server = spawn('redis-server', ['--port', '0', '--unixsocket', join(dir, 'redis.sock'), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const probe = client();
  probe.on('error', () => {}); // the socket may not exist for the first few tries
  await until(() => probe.status === 'ready', 10_000);
});

test.after.always(async () => {
  for (const c of clients) c.disconnect();
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let streamNo = 0;
/** A stream id no other test uses, so tests do not share keys. */
function stream(): string {
  return `s${++streamNo}`;
}

redisTest('lease: one owner at a time, the epoch grows per acquisition, renew and release are compare-and-set', async (t) => {
  const store = client();
  const s = stream();
  const a = await tryAcquire({ store, stream: s, owner: 'coord-a', address: '10.0.0.1:7000', ttlMs: 5000 });
  t.truthy(a);
  t.deepEqual(a!.record, { epoch: 1, owner: 'coord-a', address: '10.0.0.1:7000' });
  t.true(a!.valid());
  t.is(await tryAcquire({ store, stream: s, owner: 'coord-b', address: '10.0.0.2:7000' }), null, 'held: no second owner');
  t.deepEqual(await lookupOwner({ store, stream: s }), a!.record);
  // The keys are what docs/P2P-SCALING.md says, in one cluster slot.
  const keys = leaseKeys(s);
  t.is(keys.owner, `perfect-socket:{${s}}:owner`);
  t.is(await store.get(keys.owner), '1|coord-a|10.0.0.1:7000');
  t.is(await store.get(keys.epoch), '1');
  const pttl = await store.pttl(keys.owner);
  t.true(pttl > 4000 && pttl <= 5000, String(pttl));

  t.true(await a!.renew());
  t.true(await a!.release());
  t.is(await lookupOwner({ store, stream: s }), null);
  t.false(await a!.release(), 'a second release is a no-op');

  const b = await tryAcquire({ store, stream: s, owner: 'coord-b', address: '10.0.0.2:7000' });
  t.is(b!.record.epoch, 2, 'every acquisition bumps the epoch');
  t.false(await a!.renew(), 'the old holder cannot extend the new lease');
  t.false(a!.valid());
  t.is((await lookupOwner({ store, stream: s }))!.owner, 'coord-b');

  await t.throwsAsync(tryAcquire({ store, stream: s, owner: 'a|b', address: 'x' }), { instanceOf: RangeError });
});

redisTest('lease: an unrenewed lease expires; the late holder knows before Redis frees it and cannot renew after', async (t) => {
  const store = client();
  const s = stream();
  const a = (await tryAcquire({ store, stream: s, owner: 'coord-a', address: 'a:1', ttlMs: 200 }))!;
  // The holder's own deadline is never later than Redis's expiry.
  t.true(a.validUntil <= performance.now() + 200);
  await until(() => !a.valid(), 1000);
  let b = null;
  const end = performance.now() + 2000;
  while (!b && performance.now() < end) {
    b = await tryAcquire({ store, stream: s, owner: 'coord-b', address: 'b:1', ttlMs: 5000 });
    if (!b) await sleep(10);
  }
  t.truthy(b, 'free once the TTL ran out');
  t.is(b!.record.epoch, 2);
  t.false(await a.renew());
});

redisTest('lease: minEpoch keeps epochs above what peers remember when Redis lost its counter', async (t) => {
  const store = client();
  const s = stream();
  const a = (await tryAcquire({ store, stream: s, owner: 'coord-a', address: 'a:1' }))!;
  t.is(a.record.epoch, 1);
  await store.del(...Object.values(leaseKeys(s))); // Redis restarted without persistence
  const b = (await tryAcquire({ store, stream: s, owner: 'coord-b', address: 'b:1', minEpoch: 7 }))!;
  t.is(b.record.epoch, 8);
  await b.release();
  t.is((await tryAcquire({ store, stream: s, owner: 'coord-c', address: 'c:1' }))!.record.epoch, 9, 'the counter carries on from there');
});

redisTest('LeaseKeeper: a standby takes over after the owner goes silent, never while the old owner still acts', async (t) => {
  const s = stream();
  // Short enough for a quick test, long enough that a loaded CI machine does not miss renewals.
  const ttlMs = 600;
  const log: { who: string; what: string; epoch: number; at: number }[] = [];
  const keeper = (who: string, store: Redis) =>
    new LeaseKeeper(
      { store, stream: s, owner: who, address: `${who}:7000`, ttlMs },
      {
        onAcquired: (r: LeaseRecord) => log.push({ who, what: 'acquired', epoch: r.epoch, at: performance.now() }),
        onLost: (r: LeaseRecord) => log.push({ who, what: 'lost', epoch: r.epoch, at: performance.now() }),
        onError: () => {},
      },
    );
  const storeA = client();
  storeA.on('error', () => {});
  const a = keeper('a', storeA);
  a.start();
  await until(() => log.length === 1, 2000);
  const b = keeper('b', client());
  b.start();
  // B campaigns for a while and gets nothing: A keeps renewing.
  await sleep(ttlMs * 3);
  t.deepEqual(log.map((e) => `${e.who} ${e.what} ${e.epoch}`), ['a acquired 1']);

  // A is cut off from Redis (a partition or a hung process): it can no longer renew.
  const cut = performance.now();
  storeA.disconnect();
  await until(() => log.some((e) => e.who === 'b' && e.what === 'acquired'), 5000);
  t.deepEqual(log.map((e) => `${e.who} ${e.what} ${e.epoch}`), ['a acquired 1', 'a lost 1', 'b acquired 2']);
  const lost = log[1].at, taken = log[2].at;
  t.true(lost <= taken, 'the old owner stops before the new one starts');
  t.true(taken - cut < ttlMs + ttlMs / 3 + 300, `takeover within TTL + a renewal period (${Math.round(taken - cut)} ms)`);

  // Graceful hand-over: stop() releases, a third keeper gets it within one campaign period.
  const c = keeper('c', client());
  c.start();
  await sleep(50);
  const stopAt = performance.now();
  await b.stop();
  await until(() => log.some((e) => e.who === 'c' && e.what === 'acquired'), 2000);
  t.true(log.at(-1)!.at - stopAt < ttlMs / 3 + 200, 'no TTL wait after a release');
  t.is(log.at(-1)!.epoch, 3);

  // Fencing: a peer shows C a newer epoch than its own (someone else took over); C steps down.
  c.sawEpoch(5);
  t.is(log.at(-1)!.what, 'lost');
  t.is(c.lease, null);
  await c.stop();
  await a.stop();
});

test('EpochFence: admits the current and newer epochs, drops older ones', (t) => {
  const fence = new EpochFence();
  t.true(fence.admit(3));
  t.true(fence.admit(3));
  t.true(fence.admit(4));
  t.false(fence.admit(3), 'a deposed owner still sending epoch 3');
  t.is(fence.highest, 4);
});
