import { native } from '../native.js'

/**
 * The SIMD kernel the codec picked for this CPU when the addon loaded: `gfni-avx512`,
 * `gfni-avx2`, `shuffle-avx2` or `shuffle-ssse3` on x86-64 (chosen at run time, so one binary
 * serves CPUs with and without AVX2), else `reed-solomon-erasure`.
 */
export function codecKernel(): string {
  return native.codecKernel()
}
