import test from 'ava';
import { BernoulliLoss, GilbertElliottLoss, createLossModel, minBurstLength, type LossModel } from '../src/proxy/loss-model.js';
import { createRng } from '../src/proxy/prng.js';

/** Runs a model for n packets; returns the loss rate and the mean length of loss runs. */
function measure(model: LossModel, n: number): { rate: number; meanBurst: number } {
  let lost = 0;
  let bursts = 0;
  let inBurst = false;
  for (let i = 0; i < n; i++) {
    const drop = model.drop();
    if (drop) {
      lost++;
      if (!inBurst) bursts++;
    }
    inBurst = drop;
  }
  return { rate: lost / n, meanBurst: bursts === 0 ? 0 : lost / bursts };
}

test('prng is uniform in [0, 1) and reproducible per seed and stream', (t) => {
  const a = createRng(42);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const x = a();
    t.true(x >= 0 && x < 1);
    sum += x;
  }
  t.true(Math.abs(sum / 100_000 - 0.5) < 0.01);
  const seq = (seed: number, stream: number): number[] => {
    const r = createRng(seed, stream);
    return Array.from({ length: 8 }, () => r());
  };
  t.deepEqual(seq(7, 0), seq(7, 0));
  t.notDeepEqual(seq(7, 0), seq(8, 0));
  t.notDeepEqual(seq(7, 0), seq(7, 1));
});

for (const p of [0.01, 0.05, 0.2, 0.5]) {
  test(`Bernoulli loss rate is near ${p}`, (t) => {
    const n = 200_000;
    const { rate, meanBurst } = measure(new BernoulliLoss(p, createRng(1)), n);
    const sigma = Math.sqrt((p * (1 - p)) / n);
    t.true(Math.abs(rate - p) < 6 * sigma, `rate ${rate}`);
    // Independent losses still clump by chance: runs are geometric with mean 1/(1-p).
    t.true(Math.abs(meanBurst - 1 / (1 - p)) < 0.05 * (1 / (1 - p)), `mean burst ${meanBurst}`);
  });
}

for (const [p, b] of [
  [0.05, 4],
  [0.01, 10],
  [0.2, 2],
  [0.3, 1.5],
  [0.5, 8],
] as const) {
  test(`Gilbert-Elliott loss p=${p} b=${b}: rate near p, mean burst near b`, (t) => {
    const model = new GilbertElliottLoss(p, b, createRng(3));
    t.is(model.pBadToGood, 1 / b);
    // Stationary share of the bad state q/(q+r) must equal p.
    const q = model.pGoodToBad;
    const r = model.pBadToGood;
    t.true(Math.abs(q / (q + r) - p) < 1e-12);
    const { rate, meanBurst } = measure(model, 400_000);
    t.true(Math.abs(rate - p) < 0.12 * p, `rate ${rate}`);
    t.true(Math.abs(meanBurst - b) < 0.08 * b, `mean burst ${meanBurst}`);
  });
}

test('same seed, same loss pattern', (t) => {
  const pattern = (seed: number): boolean[] => {
    const m = createLossModel(0.1, 3, createRng(seed));
    return Array.from({ length: 2000 }, () => m.drop());
  };
  t.deepEqual(pattern(9), pattern(9));
  t.notDeepEqual(pattern(9), pattern(10));
});

test('loss 0 never drops, loss 1 always drops, in both models', (t) => {
  for (const burst of [undefined, 1, 5]) {
    const none = createLossModel(0, burst, createRng(1));
    const all = createLossModel(1, burst, createRng(1));
    for (let i = 0; i < 1000; i++) {
      t.false(none.drop());
      t.true(all.drop());
    }
  }
});

test('out-of-range parameters throw RangeError naming them', (t) => {
  const rng = createRng(1);
  t.throws(() => new BernoulliLoss(-0.1, rng), { instanceOf: RangeError, message: /loss/ });
  t.throws(() => new BernoulliLoss(1.5, rng), { instanceOf: RangeError, message: /loss/ });
  t.throws(() => new BernoulliLoss(Number.NaN, rng), { instanceOf: RangeError });
  t.throws(() => new GilbertElliottLoss(0.1, 0.5, rng), { instanceOf: RangeError, message: /burst/ });
  t.throws(() => new GilbertElliottLoss(0.1, Number.POSITIVE_INFINITY, rng), { instanceOf: RangeError });
  // Loss 80% cannot come in bursts averaging 2: that needs P(good->bad) = 2 > 1.
  t.throws(() => new GilbertElliottLoss(0.8, 2, rng), { instanceOf: RangeError, message: /at least 4/ });
  t.notThrows(() => new GilbertElliottLoss(0.8, 4, rng));
});

test('minBurstLength is max(1, p/(1-p))', (t) => {
  t.is(minBurstLength(0), 1);
  t.is(minBurstLength(0.5), 1);
  t.true(Math.abs(minBurstLength(0.8) - 4) < 1e-9);
  t.is(minBurstLength(1), 1);
});
