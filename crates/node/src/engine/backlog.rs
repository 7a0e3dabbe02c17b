//! How many messages JavaScript has handed to the I/O thread that it has not yet taken: the
//! socket's `getSendQueueCount()`, read without a lock or a stats snapshot, so a sender can
//! check it every turn to keep its backlog bounded.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of messages handed over (JS thread) and taken into the protocol (I/O thread).
#[derive(Default)]
pub(super) struct Backlog {
    handed: AtomicU64,
    taken: AtomicU64,
}

impl Backlog {
    pub fn handed(&self, messages: usize) {
        self.handed.fetch_add(messages as u64, Ordering::Relaxed);
    }

    pub fn taken(&self, messages: usize) {
        self.taken.fetch_add(messages as u64, Ordering::Relaxed);
    }

    /// Messages handed over and not yet taken.
    pub fn waiting(&self) -> u64 {
        // `taken` first: messages are counted as handed before they can be taken, so `handed`
        // read after it is at least as large.
        let taken = self.taken.load(Ordering::Relaxed);
        self.handed.load(Ordering::Relaxed).saturating_sub(taken)
    }
}
