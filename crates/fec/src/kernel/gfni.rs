//! GF(2^8) multiply-accumulate with the GFNI affine instruction.
//!
//! Multiplying by a constant c is linear over GF(2), so it is an 8x8 bit matrix; GFNI's
//! `gf2p8affineqb` applies such a matrix to every byte of a vector at once, whatever the field
//! polynomial (its own `gf2p8mulb` is fixed to AES's 0x11B, so it cannot serve zfec's 0x11D).
//! Two widths: AVX-512 (64 bytes) and AVX2 (32).

use std::arch::x86_64::*;

use super::simd::simd_kernel;

/// Multiplication in zfec's field (polynomial 0x11D), for building the table at compile time.
const fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1D;
        }
        b >>= 1;
    }
    product
}

/// `AFFINE[c]`: the bit matrix of "multiply by c", laid out as `gf2p8affineqb` reads it
/// (byte `7 - i` holds row i, the input bits that feed output bit i). Built at compile time, so
/// preparing a block's coefficients is a plain table lookup each.
static AFFINE: [i64; 256] = {
    let mut table = [0i64; 256];
    let mut c = 0;
    while c < 256 {
        let mut matrix = 0u64;
        let mut bit = 0;
        while bit < 8 {
            let mut row = 0u8;
            let mut j = 0;
            while j < 8 {
                if gf_mul(c as u8, 1 << j) >> bit & 1 == 1 {
                    row |= 1 << j;
                }
                j += 1;
            }
            matrix |= (row as u64) << (8 * (7 - bit));
            bit += 1;
        }
        table[c] = matrix as i64;
        c += 1;
    }
    table
};

// The matrix stays 8 bytes until used: a broadcast load per product is cheaper than keeping
// every coefficient as a full vector (measured: 1.15 vs 1.85 us for a (20, 5, 1200 B) encode).
simd_kernel!(avx512, "avx512f,avx512bw,gfni", block: 64, columns: 2, vector: __m512i,
    coefficient: i64 = |c| AFFINE[c as usize],
    input: __m512i = |ptr| _mm512_loadu_si512(ptr.cast()),
    product: |x, matrix| _mm512_gf2p8affine_epi64_epi8::<0>(x, _mm512_set1_epi64(*matrix)),
    zero: _mm512_setzero_si512, xor: _mm512_xor_si512, store: _mm512_storeu_si512);

simd_kernel!(avx2, "avx2,gfni", block: 32, columns: 1, vector: __m256i,
    coefficient: i64 = |c| AFFINE[c as usize],
    input: __m256i = |ptr| _mm256_loadu_si256(ptr.cast()),
    product: |x, matrix| _mm256_gf2p8affine_epi64_epi8::<0>(x, _mm256_set1_epi64x(*matrix)),
    zero: _mm256_setzero_si256, xor: _mm256_xor_si256, store: _mm256_storeu_si256);
