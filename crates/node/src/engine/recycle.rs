//! Buffers going back to the thread that fills them, so each batch is copied into memory
//! already mapped and warm: a fresh allocation of half a megabyte or more per batch cost page
//! faults and cache misses in busy profiles. Send batches come back from the I/O thread once
//! their messages are in the protocol; delivery slabs from JavaScript, once collected.

use std::sync::Mutex;

/// Buffers kept at most; more than a few in flight means the other side is behind anyway.
const KEPT: usize = 4;

/// A small stack of emptied buffers, shared by the two threads.
#[derive(Default)]
pub(super) struct Recycler {
    buffers: Mutex<Vec<Vec<u8>>>,
}

impl Recycler {
    /// A buffer to copy a batch into (it still holds its last batch: the caller empties it),
    /// reused if one is back.
    pub fn take(&self) -> Vec<u8> {
        self.buffers.lock().ok().and_then(|mut buffers| buffers.pop()).unwrap_or_default()
    }

    /// Gives `buffer` back for reuse (dropped if enough are kept).
    pub fn give(&self, buffer: Vec<u8>) {
        if let Ok(mut buffers) = self.buffers.lock() {
            if buffers.len() < KEPT {
                buffers.push(buffer);
            }
        }
    }
}
