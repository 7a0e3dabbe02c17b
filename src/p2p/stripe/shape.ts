/**
 * The block shape of the cross-stripe code: a block of k source datagrams is encoded into n
 * Reed-Solomon symbols, symbol i travelling on stripe i % S. n is the least count for which any
 * S - 1 stripes still hold k symbols, so losing one stripe (one parent) loses no data.
 */

/** Symbols stripe `stripe` carries of a block of `n` dealt round robin over `stripes`. */
export function symbolsOnStripe(n: number, stripes: number, stripe: number): number {
  return stripe < n % stripes ? Math.ceil(n / stripes) : Math.floor(n / stripes);
}

/** The least n with n - ceil(n / stripes) >= k: stripe 0 holds the most symbols, ceil(n / S). */
export function blockSymbols(k: number, stripes: number): number {
  let n = k;
  while (n - Math.ceil(n / stripes) < k) n++;
  return n;
}

/** Largest k whose block still fits the codec's 256 symbols (and the header's u8 fields). */
export function maxSourcesPerBlock(stripes: number): number {
  let k = 1;
  while (blockSymbols(k + 1, stripes) <= 255) k++;
  return k;
}

/** Stream bytes a stripe carries per stream byte: n / (k * S), for the full block shape. */
export function stripeRatio(k: number, stripes: number): number {
  return blockSymbols(k, stripes) / (k * stripes);
}
