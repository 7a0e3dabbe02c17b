//! The one byte-crunching operation: outputs = coefficient rows x inputs over GF(2^8).
//!
//! Picked once per process from what the CPU has: a GFNI kernel (one affine instruction per
//! coefficient and vector, several outputs per pass over the inputs) with AVX-512 or AVX2,
//! else `reed-solomon-erasure`'s table kernels, one (input, output) pair at a time.

#[cfg(target_arch = "x86_64")]
mod gfni;
mod portable;

/// `outputs[o] = sum_i coefficients[o * inputs.len() + i] * inputs[i]` over GF(2^8).
/// All slices must have the same length; callers validate shapes before getting here.
pub(crate) fn linear_combine(coefficients: &[u8], inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
    debug_assert_eq!(coefficients.len(), inputs.len() * outputs.len());
    let len = inputs.first().map_or(0, |s| s.len());
    if len == 0 || outputs.is_empty() {
        return;
    }
    // SAFETY: each GFNI kernel runs only where `detect` found its CPU features.
    #[cfg(target_arch = "x86_64")]
    match gfni::detect() {
        Some(gfni::Width::Avx512) => return unsafe { gfni::avx512::linear_combine(coefficients, inputs, outputs) },
        Some(gfni::Width::Avx2) => return unsafe { gfni::avx2::linear_combine(coefficients, inputs, outputs) },
        None => {}
    }
    portable::linear_combine(coefficients, inputs, outputs);
}

/// The name of the kernel this CPU runs, for benchmarks and diagnostics.
pub fn kernel_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    match gfni::detect() {
        Some(gfni::Width::Avx512) => return "gfni-avx512",
        Some(gfni::Width::Avx2) => return "gfni-avx2",
        None => {}
    }
    portable::NAME
}

#[cfg(test)]
mod tests {
    use super::*;
    use reed_solomon_erasure::galois_8::mul;

    type Kernel = fn(&[u8], &[&[u8]], &mut [&mut [u8]]);

    /// Every kernel this CPU can run agrees with scalar field arithmetic, at lengths around
    /// the block sizes.
    #[test]
    fn kernels_match_scalar_arithmetic() {
        let mut kernels: Vec<(&str, Kernel)> = vec![("portable", portable::linear_combine)];
        #[cfg(target_arch = "x86_64")]
        {
            if gfni::detect().is_some() {
                kernels.push(("avx2", |c, i, o| unsafe { gfni::avx2::linear_combine(c, i, o) }));
            }
            if gfni::detect() == Some(gfni::Width::Avx512) {
                kernels.push(("avx512", |c, i, o| unsafe { gfni::avx512::linear_combine(c, i, o) }));
            }
        }
        for len in [1, 15, 31, 32, 33, 63, 64, 65, 95, 1200, 4099] {
            for width in [1, 3, 9] {
                for outputs in [1, 4, 8, 11] {
                    let inputs: Vec<Vec<u8>> =
                        (0..width).map(|i| (0..len).map(|b| (b * 37 + i * 101 + 7) as u8).collect()).collect();
                    let coefficients: Vec<u8> = (0..width * outputs).map(|c| (c * 73 + 1) as u8).collect();
                    let expected: Vec<Vec<u8>> = (0..outputs)
                        .map(|o| {
                            (0..len)
                                .map(|b| (0..width).fold(0, |acc, i| acc ^ mul(coefficients[o * width + i], inputs[i][b])))
                                .collect()
                        })
                        .collect();
                    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
                    for (name, kernel) in &kernels {
                        let mut got = vec![vec![0xAAu8; len]; outputs];
                        let mut outs: Vec<&mut [u8]> = got.iter_mut().map(Vec::as_mut_slice).collect();
                        kernel(&coefficients, &refs, &mut outs);
                        assert_eq!(got, expected, "{name}: len {len} width {width} outputs {outputs}");
                    }
                }
            }
        }
    }
}
