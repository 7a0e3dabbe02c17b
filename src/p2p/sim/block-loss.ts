/**
 * Probability that one Reed-Solomon block fails at a peer, given which stripes are out and each
 * delivered stripe's residual symbol loss. The block's n symbols are dealt round robin over the S
 * stripes (n / S per stripe); it decodes when at least k symbols arrive. Exact: a convolution of
 * per-stripe binomials (n is small).
 */
export interface BlockShape {
  /** Symbols needed to decode. */
  k: number;
  /** Symbols per block; a multiple of the stripe count. */
  n: number;
  stripes: number;
}

/** P(fewer than k symbols arrive); `outMask` bit s set = stripe s is out; q[s] = P(a symbol of s is lost). */
export function blockFailure(shape: BlockShape, outMask: number, q: ArrayLike<number>): number {
  const m = shape.n / shape.stripes;
  // dist[j] = P(j symbols received so far)
  let dist = [1];
  for (let s = 0; s < shape.stripes; s++) {
    if (outMask & (1 << s)) continue;
    const p = 1 - q[s]!;
    const binom: number[] = [];
    for (let j = 0; j <= m; j++) binom.push(choose(m, j) * p ** j * (1 - p) ** (m - j));
    const next = new Array<number>(dist.length + m).fill(0);
    for (let a = 0; a < dist.length; a++) for (let j = 0; j <= m; j++) next[a + j]! += dist[a]! * binom[j]!;
    dist = next;
  }
  let fail = 0;
  for (let j = 0; j < Math.min(shape.k, dist.length); j++) fail += dist[j]!;
  return Math.min(1, Math.max(0, fail));
}

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}
