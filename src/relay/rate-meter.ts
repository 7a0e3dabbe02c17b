import { performance } from 'node:perf_hooks';

interface Sample<K extends string> {
  at: number;
  values: Record<K, number>;
}

/**
 * Per-second rates of cumulative counters over about the last `windowMs`: the counters are
 * sampled every `stepMs` on an unref'd timer, and a rate is the change since the newest sample
 * at least a window old. Sampling on a timer keeps the hot path free of clock reads.
 */
export class RateMeter<K extends string> {
  readonly #read: () => Record<K, number>;
  readonly #windowMs: number;
  readonly #samples: Array<Sample<K>> = [];
  readonly #timer: NodeJS.Timeout;

  /** Starts sampling `read` at once. */
  constructor(read: () => Record<K, number>, windowMs = 1000, stepMs = 200) {
    this.#read = read;
    this.#windowMs = windowMs;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), stepMs);
    this.#timer.unref();
  }

  /** Each counter's change per second over the last window (0 until some time has passed). */
  perSecond(): Record<K, number> {
    const now = performance.now();
    const current = this.#read();
    const base = this.#samples[0];
    const rates = {} as Record<K, number>;
    const seconds = base === undefined ? 0 : (now - base.at) / 1000;
    for (const key of Object.keys(current) as K[]) {
      rates[key] = seconds > 0.01 ? (current[key] - base!.values[key]) / seconds : 0;
    }
    return rates;
  }

  /** Stops the timer; rates read afterwards span the time since the last sample. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    const now = performance.now();
    this.#samples.push({ at: now, values: this.#read() });
    // Keep one sample at least a window old as the base, nothing older.
    while (this.#samples.length > 1 && this.#samples[1]!.at <= now - this.#windowMs) this.#samples.shift();
  }
}
