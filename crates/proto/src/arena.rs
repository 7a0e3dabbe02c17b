//! Arena buffers: values written one after another into a `BytesMut`, each split off as shared
//! `Bytes`, so many values cost one allocation (the sender's DATA datagrams, a block's received
//! symbols). A buffer lives as long as any value split from it.

use bytes::{Bytes, BytesMut};

/// What was written into `arena` since the last split, as shared bytes; room for a next value
/// as long is prefetched for writing. Fresh arena memory is cold: copying a value into it
/// missed the cache on every line, and the reference count taken on the value right after
/// waited for those stores to complete. Fetched a value ahead, the lines are there when the
/// copy comes.
pub(crate) fn take_written(arena: &mut BytesMut) -> Bytes {
    let written = arena.split().freeze();
    let next = written.len().min(arena.capacity());
    prefetch_for_writing(arena.spare_capacity_mut().as_ptr().cast(), next);
    written
}

/// Hints that the `len` bytes from `start` will be written soon (the glue's delivery slab uses
/// it as the arenas do).
#[inline]
pub fn prefetch_for_writing(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for offset in (0..len).step_by(64) {
        // SAFETY: SSE is in every x86_64 CPU, and a prefetch never faults, whatever the address
        // (hence wrapping_add rather than add, which would assert it is in bounds).
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_ET0 }>(start.wrapping_add(offset).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}
