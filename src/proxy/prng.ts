import { getRandomValues } from 'node:crypto';

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/** splitmix32: turns related seeds (1, 2, 3...) into unrelated generator states. */
function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

/**
 * Creates a seeded generator (sfc32) so a proxy run can be replayed exactly.
 *
 * `stream` picks an independent sequence for the same seed: each random decision (loss, jitter,
 * reorder, duplicate; each direction) draws from its own stream, so turning one impairment on does
 * not shift the pattern of another.
 */
export function createRng(seed: number, stream = 0): Rng {
  const mix = splitmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x85ebca6b));
  let a = mix() | 0;
  let b = mix() | 0;
  let c = mix() | 0;
  let d = mix() | 0;
  const next: Rng = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 still echo the seed; discard them.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A fresh 32-bit seed from the OS, for runs where the user gave none (print it to replay). */
export function randomSeed(): number {
  return getRandomValues(new Uint32Array(1))[0]!;
}
