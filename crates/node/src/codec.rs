//! The zfec-compatible codec. The TypeScript `Encoder`/`Decoder` call these with the shape
//! they checked once at construction, and assemble the shard arrays.

use std::sync::Arc;

use fec::{ReedSolomon, MAX_SHARDS};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args;

/// The shared codec for a shape; errors thrown as `RangeError`.
pub fn shared(env: &Env, k: usize, n: usize) -> Result<Arc<ReedSolomon>> {
    ReedSolomon::shared(k, n).map_err(|e| args::throw_fec(env, e))
}

/// Checks `k` and `n` (integers, `1 <= k <= n <= 256`) and builds the shape's matrices, so
/// later calls with it cannot fail on the shape.
#[napi]
pub fn check_shape(env: Env, k: Unknown, n: Unknown) -> Result<()> {
    let k = args::integer(&env, k, "k", 1, MAX_SHARDS as u32)?;
    let n = args::integer(&env, n, "n", 1, MAX_SHARDS as u32)?;
    shared(&env, k, n).map(drop)
}

/// Returns the data shards absent from `indices`, in ascending index order, back to back in
/// one buffer (empty when no data shard is missing).
#[napi]
pub fn recover(env: Env, k: u32, n: u32, shards: Unknown, indices: Unknown) -> Result<Buffer> {
    let codec = shared(&env, k as usize, n as usize)?;
    let shards = args::array(&env, shards, "shards")?;
    let indices = args::array(&env, indices, "indices")?;
    let shards = args::byte_arrays(&env, &shards, "shards")?;
    let indices = args::indices(&env, &indices, "indices")?;
    let fail = |e| args::throw_fec(&env, e);
    let missing = codec.missing_data(&indices).map_err(fail)?;
    let len = shards.first().map_or(0, |s| s.len());
    let mut rebuilt = vec![0u8; missing.len() * len];
    let mut outputs = args::split_mut(&mut rebuilt, missing.len(), len);
    codec.recover_into(&shards, &indices, &mut outputs).map_err(fail)?;
    Ok(rebuilt.into())
}

/// The name of the SIMD kernel the codec picked for this CPU at load time (e.g. `gfni-avx512`,
/// `shuffle-avx2`, `shuffle-ssse3`), for diagnostics and benchmarks.
#[napi]
pub fn codec_kernel() -> &'static str {
    fec::kernel_name()
}
