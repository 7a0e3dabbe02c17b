//! GF(2^8) multiply-accumulate with the GFNI affine instruction.
//!
//! Multiplying by a constant c is linear over GF(2), so it is an 8x8 bit matrix; GFNI's
//! `gf2p8affineqb` applies such a matrix to every byte of a vector at once, whatever the field
//! polynomial (its own `gf2p8mulb` is fixed to AES's 0x11B, so it cannot serve zfec's 0x11D).
//! Up to `GROUP` outputs are accumulated in registers per pass, so each input byte is loaded
//! once per group instead of once per output. Two widths: AVX-512 (64 bytes) and AVX2 (32).

use std::arch::x86_64::*;
use std::sync::OnceLock;

use reed_solomon_erasure::galois_8::mul;

const GROUP: usize = 8;

/// The widest GFNI kernel this CPU runs, if any.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Width {
    Avx512,
    Avx2,
}

pub(super) fn detect() -> Option<Width> {
    static WIDTH: OnceLock<Option<Width>> = OnceLock::new();
    *WIDTH.get_or_init(|| {
        if !is_x86_feature_detected!("gfni") {
            None
        } else if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
            Some(Width::Avx512)
        } else if is_x86_feature_detected!("avx2") {
            Some(Width::Avx2)
        } else {
            None
        }
    })
}

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

/// Stamps out one kernel width: the same algorithm, with that width's vector type and
/// intrinsics (a `#[target_feature]` function cannot be generic over instruction sets).
macro_rules! gfni_kernel {
    ($module:ident, $features:literal, $vector:ty, $block:literal,
     zero: $zero:ident, load: $load:ident, store: $store:ident, splat: $splat:ident,
     affine: $affine:ident, xor: $xor:ident) => {
        pub(super) mod $module {
            use super::*;

            const BLOCK: usize = $block;

            /// # Safety
            /// The CPU must support the features this kernel is compiled for ([`detect`]).
            #[target_feature(enable = $features)]
            pub(in super::super) unsafe fn linear_combine(coefficients: &[u8], inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
                let len = inputs[0].len();
                if len < BLOCK {
                    return unsafe { linear_combine_short(coefficients, inputs, outputs) };
                }
                let width = inputs.len();
                let table = affine_table();
                let matrices: Vec<i64> = coefficients.iter().map(|&c| table[c as usize]).collect();
                let input_ptrs: Vec<*const u8> = inputs.iter().map(|s| s.as_ptr()).collect();
                let full = len / BLOCK * BLOCK;
                for (group_index, group) in outputs.chunks_mut(GROUP).enumerate() {
                    let first_row = group_index * GROUP;
                    let group_matrices = &matrices[first_row * width..(first_row + group.len()) * width];
                    let mut out_ptrs = [std::ptr::null_mut::<u8>(); GROUP];
                    for (slot, out) in out_ptrs.iter_mut().zip(group.iter_mut()) {
                        *slot = out.as_mut_ptr();
                    }
                    // SAFETY: `full` bytes are readable in every input and writable in every output.
                    unsafe { combine_rows(group.len(), group_matrices, &input_ptrs, &out_ptrs, 0, full) };
                    if full < len {
                        // The ragged end: one more whole block ending at `len`. It overlaps bytes
                        // already done, and rewrites them with the same values, since each output
                        // byte depends only on the input bytes at its own offset.
                        // SAFETY: len >= BLOCK, so [len - BLOCK, len) is in bounds everywhere.
                        unsafe { combine_rows(group.len(), group_matrices, &input_ptrs, &out_ptrs, len - BLOCK, len) };
                    }
                }
            }

            /// Shards shorter than one block: run on zero-padded copies.
            #[target_feature(enable = $features)]
            unsafe fn linear_combine_short(coefficients: &[u8], inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
                let len = inputs[0].len();
                let padded = |s: &[u8]| {
                    let mut block = [0u8; BLOCK];
                    block[..len].copy_from_slice(s);
                    block
                };
                let padded_inputs: Vec<[u8; BLOCK]> = inputs.iter().map(|s| padded(s)).collect();
                let padded_refs: Vec<&[u8]> = padded_inputs.iter().map(|b| &b[..]).collect();
                let mut padded_outputs = vec![[0u8; BLOCK]; outputs.len()];
                let mut padded_out_refs: Vec<&mut [u8]> = padded_outputs.iter_mut().map(|b| &mut b[..]).collect();
                unsafe { linear_combine(coefficients, &padded_refs, &mut padded_out_refs) };
                for (out, block) in outputs.iter_mut().zip(&padded_outputs) {
                    out.copy_from_slice(&block[..len]);
                }
            }

            /// Bytes `from..to` (a multiple of BLOCK long) of `rows` (<= GROUP) outputs,
            /// dispatched to a fixed accumulator count so the accumulators live in registers.
            #[target_feature(enable = $features)]
            unsafe fn combine_rows(rows: usize, matrices: &[i64], inputs: &[*const u8], outputs: &[*mut u8; GROUP], from: usize, to: usize) {
                unsafe {
                    match rows {
                        1 => combine::<1>(matrices, inputs, outputs, from, to),
                        2 => combine::<2>(matrices, inputs, outputs, from, to),
                        3 => combine::<3>(matrices, inputs, outputs, from, to),
                        4 => combine::<4>(matrices, inputs, outputs, from, to),
                        5 => combine::<5>(matrices, inputs, outputs, from, to),
                        6 => combine::<6>(matrices, inputs, outputs, from, to),
                        7 => combine::<7>(matrices, inputs, outputs, from, to),
                        _ => combine::<8>(matrices, inputs, outputs, from, to),
                    }
                }
            }

            #[target_feature(enable = $features)]
            unsafe fn combine<const ROWS: usize>(matrices: &[i64], inputs: &[*const u8], outputs: &[*mut u8; GROUP], from: usize, to: usize) {
                let width = inputs.len();
                debug_assert_eq!(matrices.len(), ROWS * width);
                let mut at = from;
                while at < to {
                    let mut acc = [$zero(); ROWS];
                    for (i, &input) in inputs.iter().enumerate() {
                        // SAFETY: callers guarantee `to` readable bytes at every input.
                        let x = unsafe { $load(input.add(at).cast()) };
                        for (row, sum) in acc.iter_mut().enumerate() {
                            // SAFETY: matrices holds ROWS x width entries.
                            let matrix = $splat(unsafe { *matrices.get_unchecked(row * width + i) });
                            *sum = $xor(*sum, $affine::<0>(x, matrix));
                        }
                    }
                    for (row, sum) in acc.iter().enumerate() {
                        // SAFETY: callers guarantee `to` writable bytes at every output.
                        unsafe { $store(outputs[row].add(at).cast(), *sum) };
                    }
                    at += BLOCK;
                }
            }
        }
    };
}

gfni_kernel!(avx512, "avx512f,avx512bw,gfni", __m512i, 64,
    zero: _mm512_setzero_si512, load: _mm512_loadu_si512, store: _mm512_storeu_si512,
    splat: _mm512_set1_epi64, affine: _mm512_gf2p8affine_epi64_epi8, xor: _mm512_xor_si512);

gfni_kernel!(avx2, "avx2,gfni", __m256i, 32,
    zero: _mm256_setzero_si256, load: _mm256_loadu_si256, store: _mm256_storeu_si256,
    splat: _mm256_set1_epi64x, affine: _mm256_gf2p8affine_epi64_epi8, xor: _mm256_xor_si256);
