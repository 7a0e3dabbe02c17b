/** Percentiles of a sample, for the report. */
export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;
  return { count: v.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: v[v.length - 1]!, mean: v.reduce((a, b) => a + b, 0) / v.length };
}
