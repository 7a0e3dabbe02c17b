import test from 'ava';
import {
  backfillRange,
  backupsToTry,
  DEFAULT_REPAIR_POLICY,
  nextSilenceCheckMs,
  raceRepair,
  silentStripes,
  tryBackups,
  type StripeWatch,
} from '../src/p2p/repair.js';
import { blockFailure } from '../src/p2p/sim/block-loss.js';
import { DEFAULT_SIM, rootSlotsFor, slotsFor, stripeMargin } from '../src/p2p/sim/config.js';
import { EventQueue } from '../src/p2p/sim/event-queue.js';
import { simulate } from '../src/p2p/sim/simulate.js';

const watch = (over: Partial<StripeWatch> = {}): StripeWatch => ({ stripe: 1, parent: 'p', backups: ['a', 'b', 'c'], lastHeardMs: 1000, ...over });

test('repair policy: a stripe is silent after silenceMs without any packet', (t) => {
  const ws = [watch({ stripe: 0, lastHeardMs: 1000 }), watch({ stripe: 1, lastHeardMs: 1200 })];
  t.deepEqual(
    silentStripes(ws, 1299).map((w) => w.stripe),
    [],
  );
  t.deepEqual(
    silentStripes(ws, 1300).map((w) => w.stripe),
    [0],
  );
  t.is(nextSilenceCheckMs(ws), 1000 + DEFAULT_REPAIR_POLICY.silenceMs);
});

test('repair policy: backups to try skip the silent parent and parents of other stripes', (t) => {
  t.deepEqual(backupsToTry(watch({ backups: ['p', 'a', 'b', 'c'] }), new Set(['a'])), ['b', 'c']);
  t.deepEqual(backupsToTry(watch(), new Set(), { ...DEFAULT_REPAIR_POLICY, maxBackupTries: 1 }), ['a']);
  // A child that forwards the stripe waits for the coordinator (it gets its parent's slot).
  t.deepEqual(backupsToTry(watch(), new Set(), DEFAULT_REPAIR_POLICY, true), []);
});

test('repair policy: tries cost a round trip each, a dead backup its timeout; the race takes the first', (t) => {
  const rtt = (b: string): number => ({ a: 40, b: 60, c: 80 })[b] ?? 0;
  t.deepEqual(
    tryBackups(['a', 'b'], (b) => (b === 'a' ? 'refused' : 'accepted'), rtt),
    { kind: 'switched', to: 'b', elapsedMs: 100, tries: 2 },
  );
  t.deepEqual(tryBackups(['a', 'b'], () => 'silent', rtt), { kind: 'ask-coordinator', elapsedMs: 2 * 40 + 2 * 60, tries: 2 });
  const switched = tryBackups(['c'], () => 'accepted', rtt);
  t.deepEqual(raceRepair(switched, 120), { via: 'backup', to: 'c', elapsedMs: 80 });
  t.deepEqual(raceRepair(switched, 50), { via: 'coordinator', elapsedMs: 50 });
  t.deepEqual(raceRepair(switched, null), { via: 'backup', to: 'c', elapsedMs: 80 });
  t.is(raceRepair({ kind: 'ask-coordinator', elapsedMs: 10, tries: 1 }, null), null);
});

test('repair policy: backfill asks only for blocks whose deadline a resend can still meet', (t) => {
  // Lost at 0, restored at 400 with a 50 ms round trip and a 1 s budget: everything is still in time.
  t.deepEqual(backfillRange(0, 400, 50, 1000), [0, 400]);
  // Restored at 1500: blocks produced before 550 are past their deadline by the time a resend lands.
  t.deepEqual(backfillRange(0, 1500, 50, 1000), [550, 1500]);
  t.deepEqual(backfillRange(0, 3000, 50, 1000), [2050, 3000]);
  t.deepEqual(backfillRange(0, 100, 2000, 1000), [100, 100]);
});

test('block failure: exact for the stripe shape', (t) => {
  const shape = { k: 8, n: 12, stripes: 4 };
  const clean = [0, 0, 0, 0];
  t.is(blockFailure(shape, 0, clean), 0);
  t.is(blockFailure(shape, 0b0001, clean), 0, 'any three stripes decode');
  t.is(blockFailure(shape, 0b0011, clean), 1, 'two stripes out: 6 symbols < 8');
  const q = 0.01;
  // One stripe out: 9 symbols left, need 8: fails when 2 or more of the 9 are lost.
  const expected = 1 - (1 - q) ** 9 - 9 * q * (1 - q) ** 8;
  t.true(Math.abs(blockFailure(shape, 0b1000, [q, q, q, q]) - expected) < 1e-12);
  // The live defaults: k = 9 of n = 12 over 4 stripes, copies of 1/3 of the stream plus 15% (35% at the root).
  const nine = { k: 9, n: 12, stripes: 4 };
  t.is(blockFailure(nine, 0b0001, clean), 0);
  t.true(Math.abs(blockFailure(nine, 0b0001, [0, q, q, q]) - (1 - (1 - q) ** 9)) < 1e-12, 'one stripe out: every other symbol needed');
  t.is(stripeMargin(DEFAULT_SIM), 1);
  t.is(slotsFor(2, DEFAULT_SIM), 5, '2x the stream buys 5 stripe copies of 0.383x');
  t.is(rootSlotsFor(DEFAULT_SIM), 4, 'the root: 4 copies (one top node per stripe)');
});

test('event queue: by time, ties in insertion order', (t) => {
  const q = new EventQueue<string>();
  q.push(5, 'c');
  q.push(1, 'a');
  q.push(5, 'd');
  q.push(3, 'b');
  q.push(1, 'a2');
  const out: string[] = [];
  for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.item);
  t.deepEqual(out, ['a', 'a2', 'b', 'c', 'd']);
});

const small = { ...DEFAULT_SIM, peers: 2000, minutes: 1, rampS: 10, settleS: 10 };

test('simulator, 2,000 peers with 10%/min churn: depth within 2x, flat source upload, continuity >= 99.9%', (t) => {
  const r = simulate(small);
  t.log(
    `depth max ${r.depth.maxOverRun} (min ${r.depth.minDepth}), continuity mean ${(r.continuity.mean * 100).toFixed(4)}% ` +
      `p1 ${(r.continuity.p1 * 100).toFixed(3)}%, >=99.9%: ${(r.continuity.atLeast999 * 100).toFixed(2)}%, repair p50 ${r.repairMs.p50.toFixed(0)} ms, ${r.runtimeMs} ms`,
  );
  t.true(r.counters.crashes > 50 && r.counters.graceful > 50, 'churn happened');
  t.true(r.counters.repairs > 0);
  t.true(r.depth.ratio <= 2, `depth ratio ${r.depth.ratio}`);
  t.is(r.rootUpload.min, r.rootUpload.max, 'root upload flat');
  t.true(r.rootUpload.max <= DEFAULT_SIM.rootBudget, 'within the root budget');
  t.true(r.continuity.mean >= 0.999, `continuity ${r.continuity.mean}`);
  t.true(r.scored > small.peers);
  // Deterministic: the same config gives the same figures.
  const again = simulate(small);
  t.deepEqual(again.continuity, r.continuity);
  t.deepEqual(again.counters, r.counters);
});

test('simulator: slow failure detection costs continuity (the model responds to the policy)', (t) => {
  const base = simulate({ ...small, minutes: 0.5 });
  const slow = simulate({ ...small, minutes: 0.5, detectMs: 5000, repair: { ...DEFAULT_REPAIR_POLICY, silenceMs: 3000 } });
  t.true(slow.repairMs.p50 > base.repairMs.p50 + 2000, `${slow.repairMs.p50} vs ${base.repairMs.p50}`);
  t.true(slow.continuity.mean < base.continuity.mean, `${slow.continuity.mean} vs ${base.continuity.mean}`);
  const noChurn = simulate({ ...small, minutes: 0.5, churnPerMinute: 0 });
  t.is(noChurn.counters.repairs, 0);
  t.true(noChurn.continuity.min > 0.99999, 'without churn only residual link loss remains');
});
