//! The one byte-crunching operation: outputs = coefficient rows x inputs over GF(2^8).
//!
//! Picked once per process from what the CPU has, so one x86-64 binary runs everywhere and uses
//! the best the machine offers: GFNI (one affine instruction per coefficient and vector) with
//! AVX-512 or AVX2, else nibble-table lookups with AVX2 or SSSE3, else the portable kernel
//! (`reed-solomon-erasure`'s, which on x86-64 is built without its C kernel: that one is compiled
//! for Haswell and would fault on older CPUs).

#[cfg(target_arch = "x86_64")]
mod gfni;
mod portable;
#[cfg(target_arch = "x86_64")]
mod shuffle;
#[cfg(target_arch = "x86_64")]
mod simd;

/// The kernels, best first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kernel {
    #[cfg(target_arch = "x86_64")]
    GfniAvx512,
    #[cfg(target_arch = "x86_64")]
    GfniAvx2,
    #[cfg(target_arch = "x86_64")]
    ShuffleAvx2,
    #[cfg(target_arch = "x86_64")]
    ShuffleSsse3,
    Portable,
}

impl Kernel {
    /// Every kernel this CPU can run, best first.
    fn available() -> Vec<Kernel> {
        let mut kernels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            let gfni = is_x86_feature_detected!("gfni");
            let avx2 = is_x86_feature_detected!("avx2");
            if gfni && is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
                kernels.push(Kernel::GfniAvx512);
            }
            if gfni && avx2 {
                kernels.push(Kernel::GfniAvx2);
            }
            if avx2 {
                kernels.push(Kernel::ShuffleAvx2);
            }
            if is_x86_feature_detected!("ssse3") {
                kernels.push(Kernel::ShuffleSsse3);
            }
        }
        kernels.push(Kernel::Portable);
        kernels
    }

    fn best() -> Kernel {
        static BEST: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| Kernel::available()[0])
    }

    fn name(self) -> &'static str {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::GfniAvx512 => "gfni-avx512",
            #[cfg(target_arch = "x86_64")]
            Kernel::GfniAvx2 => "gfni-avx2",
            #[cfg(target_arch = "x86_64")]
            Kernel::ShuffleAvx2 => "shuffle-avx2",
            #[cfg(target_arch = "x86_64")]
            Kernel::ShuffleSsse3 => "shuffle-ssse3",
            Kernel::Portable => portable::NAME,
        }
    }

    fn run(self, coefficients: &[u8], inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
        // SAFETY: a SIMD kernel is only ever a value of `Kernel` when `available` found its
        // CPU features on this machine.
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::GfniAvx512 => unsafe { gfni::avx512::linear_combine(coefficients, inputs, outputs) },
            #[cfg(target_arch = "x86_64")]
            Kernel::GfniAvx2 => unsafe { gfni::avx2::linear_combine(coefficients, inputs, outputs) },
            #[cfg(target_arch = "x86_64")]
            Kernel::ShuffleAvx2 => unsafe { shuffle::avx2::linear_combine(coefficients, inputs, outputs) },
            #[cfg(target_arch = "x86_64")]
            Kernel::ShuffleSsse3 => unsafe { shuffle::ssse3::linear_combine(coefficients, inputs, outputs) },
            Kernel::Portable => portable::linear_combine(coefficients, inputs, outputs),
        }
    }
}

/// `outputs[o] = sum_i coefficients[o * inputs.len() + i] * inputs[i]` over GF(2^8).
/// All slices must have the same length; callers validate shapes before getting here.
pub(crate) fn linear_combine(coefficients: &[u8], inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
    debug_assert_eq!(coefficients.len(), inputs.len() * outputs.len());
    let len = inputs.first().map_or(0, |s| s.len());
    if len == 0 || outputs.is_empty() {
        return;
    }
    Kernel::best().run(coefficients, inputs, outputs);
}

/// The name of the kernel this CPU runs (e.g. `gfni-avx512`, `shuffle-ssse3`), for benchmarks
/// and diagnostics.
pub fn kernel_name() -> &'static str {
    Kernel::best().name()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reed_solomon_erasure::galois_8::mul;

    /// Every kernel this CPU can run agrees with scalar field arithmetic, at lengths around
    /// the block sizes.
    #[test]
    fn kernels_match_scalar_arithmetic() {
        let kernels = Kernel::available();
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
                    for kernel in &kernels {
                        let mut got = vec![vec![0xAAu8; len]; outputs];
                        let mut outs: Vec<&mut [u8]> = got.iter_mut().map(Vec::as_mut_slice).collect();
                        kernel.run(&coefficients, &refs, &mut outs);
                        assert_eq!(got, expected, "{}: len {len} width {width} outputs {outputs}", kernel.name());
                    }
                }
            }
        }
    }
}
