//! Asking the CPU for memory about to be written.

/// Hints that the `len` bytes from `start` will be written soon. Fresh arena memory is cold:
/// copying a datagram into it misses the cache on every line, and the reference count taken
/// on the copy right after waits for those stores to complete. Fetched a datagram ahead, the
/// lines are there when the copy comes.
#[inline]
pub(crate) fn for_writing(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for offset in (0..len).step_by(64) {
        // SAFETY: SSE is in every x86_64 CPU, and a prefetch never faults, whatever the address
        // (hence wrapping_add rather than add, which would assert it is in bounds).
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_ET0 }>(start.wrapping_add(offset).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}
