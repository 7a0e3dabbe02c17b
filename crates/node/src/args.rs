//! Reading and checking JavaScript arguments, and throwing the right JavaScript error class.

use std::ptr;

use napi::bindgen_prelude::*;
use napi::{sys, JsRangeError, JsTypeError};

/// Throws `error` as a `RangeError` (a value out of its allowed range) or a `TypeError` (a
/// value of the wrong kind), and returns the marker napi-rs needs to leave it pending.
pub fn throw(env: &Env, range: bool, message: String) -> Error {
    let error = Error::new(Status::InvalidArg, message);
    unsafe {
        if range {
            JsRangeError::from(error).throw_into(env.raw());
        } else {
            JsTypeError::from(error).throw_into(env.raw());
        }
    }
    Error::new(Status::PendingException, String::new())
}

/// Throws a [`fec::FecError`] with the class its variant calls for.
pub fn throw_fec(env: &Env, error: fec::FecError) -> Error {
    throw(env, error.is_range_error(), error.to_string())
}

/// An integer argument in `min..=max`, named in the error when it is not.
pub fn integer(env: &Env, value: Unknown, name: &str, min: u32, max: u32) -> Result<usize> {
    let number = match value.get_type()? {
        ValueType::Number => unsafe { value.cast::<f64>()? },
        other => return Err(throw(env, false, format!("{name} must be an integer, got {other}"))),
    };
    if number.fract() != 0.0 || number < min as f64 || number > max as f64 {
        return Err(throw(env, true, format!("{name} must be an integer from {min} to {max}, got {number}")));
    }
    Ok(number as usize)
}

/// Borrows every element of a JavaScript array of `Uint8Array`s (Buffers included).
pub fn byte_arrays<'a>(env: &Env, value: &'a Array, name: &str) -> Result<Vec<&'a [u8]>> {
    (0..value.len())
        .map(|i| {
            let element = value.get::<Unknown>(i).ok().flatten();
            element
                .and_then(|e| unsafe { typed_array_bytes(env.raw(), e.raw()) }.map(|s| &*s))
                .ok_or_else(|| throw(env, false, format!("{name}[{i}] must be a Uint8Array")))
        })
        .collect()
}

/// Reads an array of shard indices; range checks are the codec's.
pub fn indices(env: &Env, value: &Array, name: &str) -> Result<Vec<usize>> {
    (0..value.len())
        .map(|i| match value.get::<f64>(i).ok().flatten() {
            Some(v) if v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) => Ok(v as usize),
            Some(v) => Err(throw(env, true, format!("{name}[{i}] must be a non-negative integer, got {v}"))),
            None => Err(throw(env, false, format!("{name}[{i}] must be a number"))),
        })
        .collect()
}

/// The argument as an array, or a `TypeError` naming it.
pub fn array<'a>(env: &Env, value: Unknown<'a>, name: &str) -> Result<Array<'a>> {
    if value.is_array()? {
        Ok(unsafe { value.cast::<Array>()? })
    } else {
        Err(throw(env, false, format!("{name} must be an array")))
    }
}

/// The bytes of a `Uint8Array` (or Buffer) value, borrowed for the call; `None` for anything
/// else. The caller must not hold the slice past the N-API call that received the value.
pub unsafe fn typed_array_bytes<'a>(env: sys::napi_env, value: sys::napi_value) -> Option<&'a mut [u8]> {
    let mut kind = 0;
    let mut length = 0;
    let mut data = ptr::null_mut();
    let status = unsafe {
        sys::napi_get_typedarray_info(env, value, &mut kind, &mut length, &mut data, ptr::null_mut(), ptr::null_mut())
    };
    if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array {
        return None;
    }
    Some(unsafe { bytes_at(data.cast(), length) })
}

/// The `len` bytes at `ptr` as a slice (empty for `len` 0, where N-API may give a null pointer).
///
/// # Safety
/// `ptr..ptr + len` must be memory of a live typed array that nothing else borrows mutably for
/// as long as the slice is held.
pub unsafe fn bytes_at<'a>(ptr: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 { &mut [] } else { unsafe { std::slice::from_raw_parts_mut(ptr, len) } }
}

/// `count` consecutive `len`-byte pieces of `slab` (which holds `count * len` bytes).
pub fn split_mut(slab: &mut [u8], count: usize, len: usize) -> Vec<&mut [u8]> {
    if len == 0 {
        return (0..count).map(|_| &mut [][..]).collect();
    }
    slab.chunks_mut(len).take(count).collect()
}
