//! `encodeParity(k, n, parity, ...shards)`: the encoder's hot path as a raw N-API callback.
//!
//! Shards arrive as call arguments rather than as an array: one `napi_get_cb_info` fetches
//! them all, where reading an array costs a `napi_get_element` (with its exception scope) per
//! shard, which measured at about half of a (20, 5, 1200-byte) encode.

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
    let mut function = ptr::null_mut();
    let name = "encodeParity";
    check_status!(unsafe {
        sys::napi_create_function(env.raw(), name.as_ptr().cast(), name.len() as isize, Some(encode_parity), ptr::null_mut(), &mut function)
    })?;
    exports.set_named_property(name, unsafe { Unknown::from_raw_unchecked(env.raw(), function) })
}

unsafe extern "C" fn encode_parity(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let mut argc = MAX_ARGS;
    let mut argv = [ptr::null_mut(); MAX_ARGS];
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) };
    if status != sys::Status::napi_ok {
        return ptr::null_mut();
    }
    if let Err((range, message)) = unsafe { encode(env, &argv[..argc.min(MAX_ARGS)]) } {
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

/// Errors as (is a RangeError, message).
unsafe fn encode(env: sys::napi_env, argv: &[sys::napi_value]) -> std::result::Result<(), (bool, String)> {
    let [k, n, parity, shards @ ..] = argv else {
        return Err((false, "encodeParity(k, n, parity, ...shards) needs at least three arguments".into()));
    };
    let (k, n) = unsafe { (uint32(env, *k), uint32(env, *n)) };
    let codec = ReedSolomon::shared(k, n).map_err(|e| (e.is_range_error(), e.to_string()))?;
    let parity = unsafe { typed_array_bytes(env, *parity) }.ok_or_else(|| (false, "parity must be a Uint8Array".to_string()))?;
    let data = shards
        .iter()
        .enumerate()
        .map(|(i, &value)| unsafe { typed_array_bytes(env, value) }.map(|s| &*s).ok_or_else(|| (false, format!("shards[{i}] must be a Uint8Array"))))
        .collect::<std::result::Result<Vec<&[u8]>, _>>()?;
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
