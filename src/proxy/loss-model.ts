import type { Rng } from './prng.js';

/** Decides, packet by packet, whether the network loses it. */
export interface LossModel {
  /** Advances the model by one packet; true means drop it. */
  drop(): boolean;
}

function checkProbability(p: number, name: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability in [0, 1], got ${p}`);
}

/**
 * The shortest mean burst length that a two-state model can give for loss rate `p`: the
 * good->bad transition probability p/(b(1-p)) must not exceed 1.
 */
export function minBurstLength(p: number): number {
  if (p >= 1) return 1;
  return Math.max(1, p / (1 - p));
}

/** True when a two-state model can have loss rate `p` with mean burst length `b`. */
export function burstFeasible(p: number, b: number): boolean {
  // Tolerance because p/(1-p) is rarely exact in floating point (0.8/0.2 > 4).
  return Number.isFinite(b) && b >= minBurstLength(p) * (1 - 1e-9);
}

/** Independent loss: every packet is dropped with probability `p`. */
export class BernoulliLoss implements LossModel {
  /**
   * @param p - loss probability in [0, 1]
   * @param rng - seeded uniform source
   */
  constructor(
    readonly p: number,
    private readonly rng: Rng,
  ) {
    checkProbability(p, 'loss');
  }

  drop(): boolean {
    return this.p > 0 && this.rng() < this.p;
  }
}

/**
 * Gilbert-Elliott burst loss (the simple Gilbert form: the good state loses nothing, the bad state
 * loses everything), parameterised by what users think in: the long-run loss rate `p` and the mean
 * burst length `b`. The transition probabilities follow from them:
 * P(bad->good) = 1/b makes bursts geometric with mean b, and P(good->bad) = p/(b(1-p)) makes the
 * stationary share of the bad state, hence the loss rate, equal p.
 */
export class GilbertElliottLoss implements LossModel {
  /** Probability of entering a burst after a delivered packet. */
  readonly pGoodToBad: number;
  /** Probability of a burst ending after a lost packet. */
  readonly pBadToGood: number;
  private bad: boolean;

  /**
   * @param p - long-run loss rate in [0, 1]
   * @param meanBurst - mean number of consecutive losses, at least max(1, p/(1-p))
   * @param rng - seeded uniform source
   */
  constructor(
    readonly p: number,
    readonly meanBurst: number,
    private readonly rng: Rng,
  ) {
    checkProbability(p, 'loss');
    const min = minBurstLength(p);
    if (!burstFeasible(p, meanBurst)) {
      throw new RangeError(
        `burst must be a mean length of at least ${min.toFixed(3)} packets for loss ${p}, got ${meanBurst}`,
      );
    }
    if (p >= 1) {
      this.pGoodToBad = 1;
      this.pBadToGood = 0;
    } else {
      this.pBadToGood = 1 / meanBurst;
      this.pGoodToBad = Math.min(1, p / (meanBurst * (1 - p)));
    }
    // Start in the stationary distribution so short runs are not biased towards "good".
    this.bad = p > 0 && rng() < p;
  }

  drop(): boolean {
    const lost = this.bad;
    if (this.bad) {
      if (this.rng() < this.pBadToGood) this.bad = false;
    } else if (this.pGoodToBad > 0 && this.rng() < this.pGoodToBad) {
      this.bad = true;
    }
    return lost;
  }
}

/**
 * Picks the model the flags ask for: Bernoulli unless a mean burst length is given.
 * @throws RangeError when `p` or `meanBurst` is out of range
 */
export function createLossModel(p: number, meanBurst: number | undefined, rng: Rng): LossModel {
  return meanBurst === undefined ? new BernoulliLoss(p, rng) : new GilbertElliottLoss(p, meanBurst, rng);
}
