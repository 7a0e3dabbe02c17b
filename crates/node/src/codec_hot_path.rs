//! The codec's hot paths as raw N-API callbacks, which take their buffers as call arguments:
//! one `napi_get_cb_info` fetches them all, where reading an array costs a `napi_get_element`
//! (with its exception scope) per element, measured at about half of a (20, 5, 1200-byte)
//! encode.
//!
//! - `encodeInto(k, n, data, ...parity)`: `data` holds the k shards back to back, or is null
//!   and the k shards come first among the arguments. `parity` is one buffer for the n - k
//!   parity shards back to back, or one buffer each. For MTU-sized shards JS copies them into
//!   a staging buffer (`TypedArray.set`) faster than N-API can describe them one by one (about
//!   70 ns against 125 ns a shard, measured), so `Encoder` stages them and passes `data`.
//! - `recoverStaged(k, n, out, staging, indices, length)`: the decoder's, the shards back to
//!   back in `staging`, their indices as bytes.

use std::ptr;

use fec::{ReedSolomon, MAX_SHARDS};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use smallvec::SmallVec;

use crate::args::{bytes_at, split_mut, typed_array_bytes};

/// k, n, data, then up to MAX_SHARDS buffers; one more slot to notice too many.
const MAX_ARGS: usize = 3 + MAX_SHARDS + 1;
/// Enough for a staged encode with one parity buffer per shard at the usual shapes.
const FEW_ARGS: usize = 16;

/// Registers the raw callbacks on the module's exports.
#[napi(module_exports)]
pub fn register(mut exports: Object, env: Env) -> Result<()> {
    type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;
    let callbacks: [(&str, Callback); 2] = [("encodeInto", encode_into), ("recoverStaged", recover_staged)];
    for (name, callback) in callbacks {
        let mut function = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_function(env.raw(), name.as_ptr().cast(), name.len() as isize, Some(callback), ptr::null_mut(), &mut function)
        })?;
        exports.set_named_property(name, unsafe { Unknown::from_raw_unchecked(env.raw(), function) })?;
    }
    Ok(())
}

unsafe extern "C" fn encode_into(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { run(env, info, encode_into_buffers) }
}

unsafe extern "C" fn recover_staged(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { run(env, info, recover_from_staging) }
}

/// A result whose error is (is a RangeError, message).
type Outcome<T = ()> = std::result::Result<T, (bool, String)>;

/// Fetches the call's arguments, runs `body`, and throws its error, if any.
unsafe fn run(env: sys::napi_env, info: sys::napi_callback_info, body: unsafe fn(sys::napi_env, &[sys::napi_value]) -> Outcome) -> sys::napi_value {
    // N-API fills every slot past the actual arguments with `undefined`, so ask for a few
    // first and for all only when there are more: filling 260 slots per call showed in profiles.
    let mut argv = [ptr::null_mut(); MAX_ARGS];
    let mut argc = FEW_ARGS;
    let mut status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) };
    if status == sys::Status::napi_ok && argc > FEW_ARGS {
        argc = MAX_ARGS;
        status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) };
    }
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

unsafe fn encode_into_buffers(env: sys::napi_env, argv: &[sys::napi_value]) -> Outcome {
    let [k, n, data, rest @ ..] = argv else {
        return Err((false, "encodeInto(k, n, data, ...parity) needs at least three arguments".into()));
    };
    let codec = unsafe { shared_codec(env, *k, *n)? };
    let (k, m) = (codec.data_shards(), codec.parity_shards());
    let (shards, parity) = if unsafe { is_null(env, *data) } {
        let (shards, parity) = rest.split_at(k.min(rest.len()));
        (unsafe { spans(env, shards, "shards") }?, parity)
    } else {
        let (ptr, bytes) = unsafe { span(env, *data) }.ok_or_else(|| (false, "data must be a Uint8Array".to_string()))?;
        if bytes % k != 0 {
            return Err((false, format!("data must hold {k} shards of equal length back to back (a multiple of {k} bytes), got {bytes} bytes")));
        }
        let len = bytes / k;
        ((0..k).map(|i| (ptr.wrapping_add(i * len), len)).collect(), rest)
    };
    let len = shards.first().map_or(0, |&(_, len)| len);
    let parity: Shards<Span> = match parity {
        [block] => {
            let (ptr, bytes) = unsafe { span(env, *block) }.ok_or_else(|| (false, "parity must be a Uint8Array".to_string()))?;
            if bytes != m * len {
                return Err((false, format!("parity must hold {m} shards of {len} bytes back to back ({} bytes), got {bytes}", m * len)));
            }
            (0..m).map(|j| (ptr.wrapping_add(j * len), len)).collect()
        }
        each => unsafe { spans(env, each, "parity") }?,
    };
    check_disjoint(&parity, &shards)?;
    // SAFETY: every span is a live typed array of this call (or a piece of one), and no parity
    // span overlaps another span.
    let data: Shards<&[u8]> = shards.iter().map(|&(ptr, len)| unsafe { bytes_at(ptr, len) } as &[u8]).collect();
    let mut outputs: Shards<&mut [u8]> = parity.iter().map(|&(ptr, len)| unsafe { bytes_at(ptr, len) }).collect();
    codec.encode_parity(&data, &mut outputs).map_err(thrown)
}

/// The memory of a typed array (or a piece of one): start and length.
type Span = (*mut u8, usize);

/// Up to this many shards are listed on the stack rather than the heap.
type Shards<T> = SmallVec<[T; 32]>;

/// The memory of a `Uint8Array` argument; `None` for anything else.
unsafe fn span(env: sys::napi_env, value: sys::napi_value) -> Option<Span> {
    unsafe { typed_array_bytes(env, value) }.map(|bytes| (bytes.as_mut_ptr(), bytes.len()))
}

/// Each argument's memory, naming `name[i]` when one is not a Uint8Array.
unsafe fn spans(env: sys::napi_env, values: &[sys::napi_value], name: &str) -> Outcome<Shards<Span>> {
    values
        .iter()
        .enumerate()
        .map(|(i, &value)| unsafe { span(env, value) }.ok_or_else(|| (false, format!("{name}[{i}] must be a Uint8Array"))))
        .collect()
}


/// Refuses parity buffers that overlap each other or `others`: the kernel reads and writes
/// them as separate memory.
fn check_disjoint(parity: &[Span], others: &[Span]) -> Outcome {
    let overlap = |(a, a_len): Span, (b, b_len): Span| {
        let (a, b) = (a as usize, b as usize);
        a_len > 0 && b_len > 0 && a < b + b_len && b < a + a_len
    };
    for (i, &mine) in parity.iter().enumerate() {
        if parity[..i].iter().chain(others).any(|&other| overlap(mine, other)) {
            return Err((false, format!("parity[{i}] overlaps another buffer; each parity shard needs memory of its own")));
        }
    }
    Ok(())
}

unsafe fn is_null(env: sys::napi_env, value: sys::napi_value) -> bool {
    let mut kind = 0;
    unsafe { sys::napi_typeof(env, value, &mut kind) };
    kind == sys::ValueType::napi_null
}

unsafe fn recover_from_staging(env: sys::napi_env, argv: &[sys::napi_value]) -> Outcome {
    let [k, n, out, staging, indices, length] = argv else {
        return Err((false, "recoverStaged(k, n, out, staging, indices, length) takes six arguments".into()));
    };
    let codec = unsafe { shared_codec(env, *k, *n)? };
    let bytes = |value, name: &str| unsafe { typed_array_bytes(env, value) }.ok_or_else(|| (false, format!("{name} must be a Uint8Array")));
    let out = bytes(*out, "parity")?;
    let staging = bytes(*staging, "staging")?;
    let indices: Vec<usize> = bytes(*indices, "indices")?.iter().map(|&i| usize::from(i)).collect();
    let length = unsafe { uint32(env, *length) };
    if length == 0 || staging.len() < length * indices.len() {
        return Err((false, format!("staging must hold {} shards of {length} bytes", indices.len())));
    }
    let shards: Vec<&[u8]> = staging.chunks(length).take(indices.len()).collect();
    let mut outputs = split_mut(out, out.len() / length, length);
    codec.recover_into(&shards, &indices, &mut outputs).map_err(thrown)
}

/// The shared codec for the shape the arguments `k` and `n` give.
unsafe fn shared_codec(env: sys::napi_env, k: sys::napi_value, n: sys::napi_value) -> Outcome<std::sync::Arc<ReedSolomon>> {
    let (k, n) = unsafe { (uint32(env, k), uint32(env, n)) };
    ReedSolomon::shared(k, n).map_err(thrown)
}

/// A codec error as the error JavaScript gets: a RangeError for an impossible shape or size.
fn thrown(error: fec::FecError) -> (bool, String) {
    (error.is_range_error(), error.to_string())
}

unsafe fn uint32(env: sys::napi_env, value: sys::napi_value) -> usize {
    let mut out = 0u32;
    // A non-number leaves 0, which the shape check then refuses.
    unsafe { sys::napi_get_value_uint32(env, value, &mut out) };
    out as usize
}
