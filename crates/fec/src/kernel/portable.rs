//! The fallback kernel: `reed-solomon-erasure`'s table multiply, one (input, output) pair at
//! a time, in passes small enough to stay in cache.

use reed_solomon_erasure::galois_8::{mul_slice, mul_slice_xor};

pub(super) const NAME: &str = "reed-solomon-erasure";

/// Bytes of every input and output touched per pass; small enough that a pass stays in L2
/// when shards are large, so each input is read from cache, not memory, for every output.
const WORKING_SET: usize = 192 * 1024;

pub(super) fn linear_combine(coefficients: &[u8], inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
    let width = inputs.len();
    let len = inputs[0].len();
    let chunk = (WORKING_SET / (width + outputs.len())).clamp(1024, len.max(1024)) & !63;
    let mut start = 0;
    while start < len {
        let end = (start + chunk).min(len);
        for (o, out) in outputs.iter_mut().enumerate() {
            let row = &coefficients[o * width..(o + 1) * width];
            let out = &mut out[start..end];
            mul_slice(row[0], &inputs[0][start..end], out);
            for (input, &c) in inputs.iter().zip(row).skip(1) {
                if c != 0 {
                    mul_slice_xor(c, &input[start..end], out);
                }
            }
        }
        start = end;
    }
}
