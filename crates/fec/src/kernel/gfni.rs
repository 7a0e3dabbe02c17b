//! GF(2^8) multiply-accumulate with the GFNI affine instruction.
//!
//! Multiplying by a constant c is linear over GF(2), so it is an 8x8 bit matrix; GFNI's
//! `gf2p8affineqb` applies such a matrix to every byte of a vector at once, whatever the field
//! polynomial (its own `gf2p8mulb` is fixed to AES's 0x11B, so it cannot serve zfec's 0x11D).
//! Two widths: AVX-512 (64 bytes) and AVX2 (32).

use std::arch::x86_64::*;
use std::sync::OnceLock;

use reed_solomon_erasure::galois_8::mul;

use super::simd::simd_kernel;

/// `AFFINE[c]`: the bit matrix of "multiply by c", laid out as `gf2p8affineqb` reads it
/// (byte `7 - i` holds row i, the input bits that feed output bit i).
fn affine_table() -> &'static [i64; 256] {
    static TABLE: OnceLock<[i64; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0i64; 256];
        for (c, entry) in table.iter_mut().enumerate() {
            let mut matrix = 0u64;
            for bit in 0..8 {
                let row = (0..8).filter(|&j| mul(c as u8, 1 << j) >> bit & 1 == 1).fold(0u8, |r, j| r | 1 << j);
                matrix |= (row as u64) << (8 * (7 - bit));
            }
            *entry = matrix as i64;
        }
        table
    })
}

simd_kernel!(avx512, "avx512f,avx512bw,gfni", block: 64, vector: __m512i,
    coefficient: __m512i = |c| _mm512_set1_epi64(affine_table()[c as usize]),
    input: __m512i = |ptr| _mm512_loadu_si512(ptr.cast()),
    product: |x, matrix| _mm512_gf2p8affine_epi64_epi8::<0>(x, *matrix),
    zero: _mm512_setzero_si512, xor: _mm512_xor_si512, store: _mm512_storeu_si512);

simd_kernel!(avx2, "avx2,gfni", block: 32, vector: __m256i,
    coefficient: __m256i = |c| _mm256_set1_epi64x(affine_table()[c as usize]),
    input: __m256i = |ptr| _mm256_loadu_si256(ptr.cast()),
    product: |x, matrix| _mm256_gf2p8affine_epi64_epi8::<0>(x, *matrix),
    zero: _mm256_setzero_si256, xor: _mm256_xor_si256, store: _mm256_storeu_si256);
