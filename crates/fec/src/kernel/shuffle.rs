//! GF(2^8) multiply-accumulate by table lookup in registers, for x86 CPUs without GFNI.
//!
//! c * x = c * (x & 0x0F) ^ c * (x & 0xF0), so two 16-entry tables per coefficient cover every
//! byte, and `pshufb` looks up 16 (SSSE3) or 32 (AVX2) bytes at once: the technique of ISA-L and
//! of reed-solomon-erasure's C kernel, here selected at run time instead of compiled for one CPU.

use std::arch::x86_64::*;

use reed_solomon_erasure::galois_8::mul;

use super::simd::simd_kernel;

/// The products of c with every low nibble, then with every high nibble.
fn nibble_tables(c: u8) -> [[u8; 16]; 2] {
    let mut tables = [[0u8; 16]; 2];
    for n in 0..16u8 {
        tables[0][n as usize] = mul(c, n);
        tables[1][n as usize] = mul(c, n << 4);
    }
    tables
}

simd_kernel!(avx2, "avx2", block: 32, columns: 1, vector: __m256i,
    coefficient: [__m256i; 2] = |c| {
        let [low, high] = nibble_tables(c);
        // SAFETY: each table is 16 readable bytes.
        unsafe {
            [_mm256_broadcastsi128_si256(_mm_loadu_si128(low.as_ptr().cast())),
             _mm256_broadcastsi128_si256(_mm_loadu_si128(high.as_ptr().cast()))]
        }
    },
    input: [__m256i; 2] = |ptr| {
        let x = _mm256_loadu_si256(ptr.cast());
        let mask = _mm256_set1_epi8(0x0F);
        [_mm256_and_si256(x, mask), _mm256_and_si256(_mm256_srli_epi16::<4>(x), mask)]
    },
    product: |x, tables| _mm256_xor_si256(_mm256_shuffle_epi8(tables[0], x[0]), _mm256_shuffle_epi8(tables[1], x[1])),
    zero: _mm256_setzero_si256, xor: _mm256_xor_si256, store: _mm256_storeu_si256);

simd_kernel!(ssse3, "ssse3", block: 16, columns: 1, vector: __m128i,
    coefficient: [__m128i; 2] = |c| {
        let [low, high] = nibble_tables(c);
        // SAFETY: each table is 16 readable bytes.
        unsafe { [_mm_loadu_si128(low.as_ptr().cast()), _mm_loadu_si128(high.as_ptr().cast())] }
    },
    input: [__m128i; 2] = |ptr| {
        let x = _mm_loadu_si128(ptr.cast());
        let mask = _mm_set1_epi8(0x0F);
        [_mm_and_si128(x, mask), _mm_and_si128(_mm_srli_epi16::<4>(x), mask)]
    },
    product: |x, tables| _mm_xor_si128(_mm_shuffle_epi8(tables[0], x[0]), _mm_shuffle_epi8(tables[1], x[1])),
    zero: _mm_setzero_si128, xor: _mm_xor_si128, store: _mm_storeu_si128);
