//! A delivery batch's slab on its way to JavaScript: handed over without a copy, as an external
//! Buffer, and given back for reuse when JavaScript's last view of it is collected. Every batch
//! had a fresh slab before, and the receiving I/O thread's copies into it waited on page faults
//! and cache misses: about a fifth of that thread, the bottleneck of a busy receiver.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;

use super::recycle::Recycler;

/// Delivered messages back to back, and where the bytes go once JavaScript is done with them.
pub struct Slab {
    bytes: Vec<u8>,
    recycler: Arc<Recycler>,
}

impl Slab {
    pub(super) fn new(bytes: Vec<u8>, recycler: Arc<Recycler>) -> Self {
        Slab { bytes, recycler }
    }
}

impl TypeName for Slab {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Slab {
    unsafe fn to_napi_value(env: sys::napi_env, slab: Self) -> Result<sys::napi_value> {
        let mut value = ptr::null_mut();
        let length = slab.bytes.len();
        if length == 0 {
            // V8 wants a null data pointer for an empty buffer, where a Vec has a dangling one.
            slab.recycler.give(slab.bytes);
            check_status!(unsafe { sys::napi_create_buffer(env, 0, ptr::null_mut(), &mut value) }, "create an empty slab")?;
            return Ok(value);
        }
        // The Vec's heap bytes stay where they are when the Vec itself moves into the box.
        let data = slab.bytes.as_ptr().cast_mut().cast::<c_void>();
        let hint = Box::into_raw(Box::new(slab));
        // SAFETY: `data` holds `length` bytes owned by the boxed slab, which `give_back` frees
        // only when the Buffer is collected.
        let status = unsafe { sys::napi_create_external_buffer(env, length, data, Some(give_back), hint.cast(), &mut value) };
        if status == sys::Status::napi_ok {
            return Ok(value);
        }
        // SAFETY: the call failed, so nothing else holds the box.
        let slab = unsafe { Box::from_raw(hint) };
        // Runtimes without external buffers (Electron) get a copy.
        let status = unsafe { sys::napi_create_buffer_copy(env, length, data, ptr::null_mut(), &mut value) };
        slab.recycler.give(slab.bytes);
        check_status!(status, "create a slab Buffer")?;
        Ok(value)
    }
}

/// Called when JavaScript's Buffer over a slab is collected: the slab's bytes go back.
unsafe extern "C" fn give_back(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the box `to_napi_value` leaked for this Buffer, taken back once.
    let slab = unsafe { Box::from_raw(hint.cast::<Slab>()) };
    slab.recycler.give(slab.bytes);
}
