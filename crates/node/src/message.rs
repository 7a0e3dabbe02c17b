//! Seed 000's message helpers: pad-split-encode and decode-join-unpad.

use fec::MAX_SHARDS;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args;

/// Pads `data` to a multiple of k, splits it into k fragments and encodes them to n; returns
/// the n fragments back to back (each `ceil(len / k)` bytes).
#[napi]
pub fn encode_message_joined(env: Env, data: Uint8ArraySlice, k: Unknown, n: Unknown) -> Result<Buffer> {
    let k = args::integer(&env, k, "k", 1, MAX_SHARDS as u32)?;
    let n = args::integer(&env, n, "n", 1, MAX_SHARDS as u32)?;
    let fragments = fec::encode_message(&data, k, n).map_err(|e| args::throw_fec(&env, e))?;
    Ok(fragments.concat().into())
}

/// Decodes any k fragments (`shards`) with their indices, joins them and cuts the padding off at
/// `origLen`.
#[napi]
pub fn decode_message(env: Env, shards: Unknown, indices: Unknown, k: Unknown, n: Unknown, orig_len: Unknown) -> Result<Buffer> {
    let shards = args::array(&env, shards, "shards")?;
    let indices = args::array(&env, indices, "indices")?;
    let shards = args::byte_arrays(&env, &shards, "shards")?;
    let indices = args::indices(&env, &indices, "indices")?;
    let k = args::integer(&env, k, "k", 1, MAX_SHARDS as u32)?;
    let n = args::integer(&env, n, "n", 1, MAX_SHARDS as u32)?;
    let orig_len = args::integer(&env, orig_len, "origLen", 0, u16::MAX as u32)?;
    let message = fec::decode_message(&shards, &indices, k, n, orig_len).map_err(|e| args::throw_fec(&env, e))?;
    Ok(message.into())
}
