//! The codec's hot paths as raw N-API callbacks. The encoder has two ways in:
//!
//! - `encodeParity(k, n, parity, ...shards)`: shards arrive as call arguments rather than as
//!   an array: one `napi_get_cb_info` fetches them all, where reading an array costs a
//!   `napi_get_element` (with its exception scope) per shard, which measured at about half of
//!   a (20, 5, 1200-byte) encode.
//! - `encodeStaged(k, n, parity, staging)`: the shards already copied back to back into one
//!   staging buffer. For MTU-sized shards JS copies them (`TypedArray.set`) faster than N-API
//!   can describe them one by one (about 70 ns against 125 ns a shard, measured).
//!
//! The decoder has the staged one: `recoverStaged(k, n, out, staging, indices, length)`, the
//! shards back to back in `staging`, their indices as bytes.

use std::ptr;

use fec::{ReedSolomon, MAX_SHARDS};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::args::{split_mut, typed_array_bytes};

/// k, n, parity, then up to MAX_SHARDS shards; one more slot to notice too many.
const MAX_ARGS: usize = 3 + MAX_SHARDS + 1;

/// Registers the raw callback on the module's exports.
#[napi(module_exports)]
pub fn register(mut exports: Object, env: Env) -> Result<()> {
    type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;
    let callbacks: [(&str, Callback); 3] =
        [("encodeParity", encode_parity), ("encodeStaged", encode_staged), ("recoverStaged", recover_staged)];
    for (name, callback) in callbacks {
        let mut function = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_function(env.raw(), name.as_ptr().cast(), name.len() as isize, Some(callback), ptr::null_mut(), &mut function)
        })?;
        exports.set_named_property(name, unsafe { Unknown::from_raw_unchecked(env.raw(), function) })?;
    }
    Ok(())
}

unsafe extern "C" fn encode_parity(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { run(env, info, encode_from_arguments) }
}

unsafe extern "C" fn encode_staged(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { run(env, info, encode_from_staging) }
}

unsafe extern "C" fn recover_staged(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { run(env, info, recover_from_staging) }
}

/// Errors as (is a RangeError, message).
type Outcome = std::result::Result<(), (bool, String)>;

/// Fetches the call's arguments, runs `body`, and throws its error, if any.
unsafe fn run(env: sys::napi_env, info: sys::napi_callback_info, body: unsafe fn(sys::napi_env, &[sys::napi_value]) -> Outcome) -> sys::napi_value {
    let mut argc = MAX_ARGS;
    let mut argv = [ptr::null_mut(); MAX_ARGS];
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) };
    if status != sys::Status::napi_ok {
        return ptr::null_mut();
    }
    if let Err((range, message)) = unsafe { body(env, &argv[..argc.min(MAX_ARGS)]) } {
        let message = std::ffi::CString::new(message).unwrap_or_default();
        unsafe {
            if range {
                sys::napi_throw_range_error(env, ptr::null(), message.as_ptr());
            } else {
                sys::napi_throw_type_error(env, ptr::null(), message.as_ptr());
            }
        }
    }
    ptr::null_mut()
}

unsafe fn encode_from_arguments(env: sys::napi_env, argv: &[sys::napi_value]) -> Outcome {
    let [k, n, parity, shards @ ..] = argv else {
        return Err((false, "encodeParity(k, n, parity, ...shards) needs at least three arguments".into()));
    };
    let (codec, parity) = unsafe { shape_and_parity(env, *k, *n, *parity)? };
    let data = shards
        .iter()
        .enumerate()
        .map(|(i, &value)| unsafe { typed_array_bytes(env, value) }.map(|s| &*s).ok_or_else(|| (false, format!("shards[{i}] must be a Uint8Array"))))
        .collect::<std::result::Result<Vec<&[u8]>, _>>()?;
    encode(&codec, &data, parity)
}

unsafe fn encode_from_staging(env: sys::napi_env, argv: &[sys::napi_value]) -> Outcome {
    let [k, n, parity, staging] = argv else {
        return Err((false, "encodeStaged(k, n, parity, staging) takes four arguments".into()));
    };
    let (codec, parity) = unsafe { shape_and_parity(env, *k, *n, *parity)? };
    let staging = unsafe { typed_array_bytes(env, *staging) }.ok_or_else(|| (false, "staging must be a Uint8Array".to_string()))?;
    let len = parity.len() / codec.parity_shards().max(1);
    if staging.len() < len * codec.data_shards() {
        return Err((false, format!("staging must hold {} shards of {len} bytes", codec.data_shards())));
    }
    let data: Vec<&[u8]> = (0..codec.data_shards()).map(|i| &staging[i * len..(i + 1) * len]).collect();
    encode(&codec, &data, parity)
}

unsafe fn recover_from_staging(env: sys::napi_env, argv: &[sys::napi_value]) -> Outcome {
    let [k, n, out, staging, indices, length] = argv else {
        return Err((false, "recoverStaged(k, n, out, staging, indices, length) takes six arguments".into()));
    };
    let (codec, out) = unsafe { shape_and_parity(env, *k, *n, *out)? };
    let bytes = |value, name: &str| unsafe { typed_array_bytes(env, value) }.ok_or_else(|| (false, format!("{name} must be a Uint8Array")));
    let staging = bytes(*staging, "staging")?;
    let indices: Vec<usize> = bytes(*indices, "indices")?.iter().map(|&i| usize::from(i)).collect();
    let length = unsafe { uint32(env, *length) };
    if length == 0 || staging.len() < length * indices.len() {
        return Err((false, format!("staging must hold {} shards of {length} bytes", indices.len())));
    }
    let shards: Vec<&[u8]> = staging.chunks(length).take(indices.len()).collect();
    let mut outputs = split_mut(out, out.len() / length, length);
    codec.recover_into(&shards, &indices, &mut outputs).map_err(|e| (e.is_range_error(), e.to_string()))
}

unsafe fn shape_and_parity<'a>(env: sys::napi_env, k: sys::napi_value, n: sys::napi_value, parity: sys::napi_value) -> std::result::Result<(std::sync::Arc<ReedSolomon>, &'a mut [u8]), (bool, String)> {
    let (k, n) = unsafe { (uint32(env, k), uint32(env, n)) };
    let codec = ReedSolomon::shared(k, n).map_err(|e| (e.is_range_error(), e.to_string()))?;
    let parity = unsafe { typed_array_bytes(env, parity) }.ok_or_else(|| (false, "parity must be a Uint8Array".to_string()))?;
    Ok((codec, parity))
}

/// Checks `parity` holds `n - k` shards of the data's length and fills it.
fn encode(codec: &ReedSolomon, data: &[&[u8]], parity: &mut [u8]) -> Outcome {
    let len = data.first().map_or(0, |s| s.len());
    let m = codec.parity_shards();
    if parity.len() != len * m {
        return Err((false, format!("parity must be {} bytes ({m} x {len}), got {}", len * m, parity.len())));
    }
    let mut outputs = split_mut(parity, m, len);
    codec.encode_parity(&data, &mut outputs).map_err(|e| (e.is_range_error(), e.to_string()))
}

unsafe fn uint32(env: sys::napi_env, value: sys::napi_value) -> usize {
    let mut out = 0u32;
    // A non-number leaves 0, which the shape check then refuses.
    unsafe { sys::napi_get_value_uint32(env, value, &mut out) };
    out as usize
}
