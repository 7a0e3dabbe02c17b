//! The loop every x86 SIMD kernel shares, stamped out per instruction set.
//!
//! Up to `GROUP` outputs are accumulated in registers per pass, so each input vector is loaded
//! (and prepared, e.g. split into nibbles) once per group instead of once per output. Kernels
//! differ only in how a vector is multiplied by a constant, which the invocation supplies as
//! three small expressions: how a coefficient is prepared, how an input vector is loaded, and
//! the product of the two.

/// Outputs accumulated in registers per pass over the inputs.
pub(super) const GROUP: usize = 8;

/// Stamps out `mod $module { unsafe fn linear_combine(..) }` for one instruction set (a
/// `#[target_feature]` function cannot be generic over instruction sets, so a macro it is).
macro_rules! simd_kernel {
    ($module:ident, $features:literal, block: $block:literal, columns: $columns:literal, vector: $vector:ty,
     coefficient: $coefficient:ty = |$c:ident| $prepare:expr,
     input: $input:ty = |$ptr:ident| $load:expr,
     product: |$x:ident, $m:ident| $product:expr,
     zero: $zero:ident, xor: $xor:ident, store: $store:ident) => {
        pub(super) mod $module {
            use super::*;
            use $crate::kernel::simd::GROUP;

            const BLOCK: usize = $block;
            /// Blocks side by side per pass: more than one where registers allow (AVX-512's 32),
            /// so each coefficient load serves several products.
            const COLUMNS: usize = $columns;

            /// # Safety
            /// The CPU must support the features this kernel is compiled for.
            #[target_feature(enable = $features)]
            pub(in super::super) unsafe fn linear_combine(coefficients: &[u8], inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
                let len = inputs[0].len();
                if len < BLOCK {
                    return unsafe { linear_combine_short(coefficients, inputs, outputs) };
                }
                let width = inputs.len();
                // On the stack for the usual shapes: this runs once per block sent.
                let prepared: smallvec::SmallVec<[$coefficient; 128]> = coefficients.iter().map(|&$c| $prepare).collect();
                let input_ptrs: smallvec::SmallVec<[*const u8; 64]> = inputs.iter().map(|s| s.as_ptr()).collect();
                let full = len / BLOCK * BLOCK;
                for (group_index, group) in outputs.chunks_mut(GROUP).enumerate() {
                    let first_row = group_index * GROUP;
                    let group_coefficients = &prepared[first_row * width..(first_row + group.len()) * width];
                    let mut out_ptrs = [std::ptr::null_mut::<u8>(); GROUP];
                    for (slot, out) in out_ptrs.iter_mut().zip(group.iter_mut()) {
                        *slot = out.as_mut_ptr();
                    }
                    // SAFETY: `full` bytes are readable in every input and writable in every output.
                    unsafe { combine_rows(group.len(), group_coefficients, &input_ptrs, &out_ptrs, 0, full) };
                    if full < len {
                        // The ragged end: one more whole block ending at `len`. It overlaps bytes
                        // already done, and rewrites them with the same values, since each output
                        // byte depends only on the input bytes at its own offset.
                        // SAFETY: len >= BLOCK, so [len - BLOCK, len) is in bounds everywhere.
                        unsafe { combine_rows(group.len(), group_coefficients, &input_ptrs, &out_ptrs, len - BLOCK, len) };
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
            unsafe fn combine_rows(rows: usize, coefficients: &[$coefficient], inputs: &[*const u8], outputs: &[*mut u8; GROUP], from: usize, to: usize) {
                unsafe {
                    match rows {
                        1 => combine::<1>(coefficients, inputs, outputs, from, to),
                        2 => combine::<2>(coefficients, inputs, outputs, from, to),
                        3 => combine::<3>(coefficients, inputs, outputs, from, to),
                        4 => combine::<4>(coefficients, inputs, outputs, from, to),
                        5 => combine::<5>(coefficients, inputs, outputs, from, to),
                        6 => combine::<6>(coefficients, inputs, outputs, from, to),
                        7 => combine::<7>(coefficients, inputs, outputs, from, to),
                        _ => combine::<8>(coefficients, inputs, outputs, from, to),
                    }
                }
            }

            #[target_feature(enable = $features)]
            unsafe fn combine<const ROWS: usize>(coefficients: &[$coefficient], inputs: &[*const u8], outputs: &[*mut u8; GROUP], from: usize, to: usize) {
                debug_assert_eq!(coefficients.len(), ROWS * inputs.len());
                let mut at = from;
                while at + COLUMNS * BLOCK <= to {
                    // SAFETY: as for this function, for the blocks [at, at + COLUMNS * BLOCK).
                    unsafe { combine_at::<ROWS, COLUMNS>(coefficients, inputs, outputs, at) };
                    at += COLUMNS * BLOCK;
                }
                while at < to {
                    // SAFETY: as for this function, for the block [at, at + BLOCK).
                    unsafe { combine_at::<ROWS, 1>(coefficients, inputs, outputs, at) };
                    at += BLOCK;
                }
            }

            /// `COLS` consecutive blocks from `at` of `ROWS` outputs, each coefficient fetched
            /// once per input for all of them.
            #[target_feature(enable = $features)]
            #[inline]
            unsafe fn combine_at<const ROWS: usize, const COLS: usize>(coefficients: &[$coefficient], inputs: &[*const u8], outputs: &[*mut u8; GROUP], at: usize) {
                let width = inputs.len();
                let mut acc: [[$vector; ROWS]; COLS] = [[$zero(); ROWS]; COLS];
                for (i, &input) in inputs.iter().enumerate() {
                    // SAFETY: an all-zero vector is a valid value of every SIMD type; each slot
                    // is overwritten by a load before it is read.
                    let mut columns: [$input; COLS] = unsafe { std::mem::zeroed() };
                    for (c, column) in columns.iter_mut().enumerate() {
                        // SAFETY: callers guarantee readable bytes up to at + COLS * BLOCK.
                        let $ptr = unsafe { input.add(at + c * BLOCK) };
                        *column = unsafe { $load };
                    }
                    for row in 0..ROWS {
                        // SAFETY: coefficients holds ROWS x width entries.
                        let $m: &$coefficient = unsafe { coefficients.get_unchecked(row * width + i) };
                        for (c, &$x) in columns.iter().enumerate() {
                            acc[c][row] = $xor(acc[c][row], $product);
                        }
                    }
                }
                for (c, sums) in acc.iter().enumerate() {
                    for (row, sum) in sums.iter().enumerate() {
                        // SAFETY: callers guarantee writable bytes up to at + COLS * BLOCK.
                        unsafe { $store(outputs[row].add(at + c * BLOCK).cast(), *sum) };
                    }
                }
            }
        }
    };
}

pub(super) use simd_kernel;
