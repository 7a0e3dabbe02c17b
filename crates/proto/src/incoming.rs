//! What every receiver is made of: its blocks in flight (a [`Window`]) and its counters and
//! delivery queue (an [`Inbox`]), wired so that a block leaving the window is always
//! counted the same way. Also the polling surface the receivers share.

use crate::inbox::Inbox;
use crate::time::Timestamp;
use crate::window::{Dropped, Held, Limits, Window};

/// Blocks in flight and the bookkeeping around them.
pub(crate) struct Incoming<B> {
    window: Window<B>,
    pub(crate) inbox: Inbox,
}

impl<B: Held> Incoming<B> {
    pub(crate) fn new(limits: Limits) -> Self {
        Incoming { window: Window::new(limits), inbox: Inbox::default() }
    }

    /// Block `id` (made by `make` if new) and the inbox, or `None` when the block is gone,
    /// having counted the datagram as redundant or late.
    pub(crate) fn entry(&mut self, id: u32, now: Timestamp, make: impl FnOnce() -> B) -> Option<(&mut B, &mut Inbox)> {
        let inbox = &mut self.inbox;
        match self.window.entry(id, now, make, &mut |block, why| dropped(inbox, &block, why)) {
            Ok(block) => Some((block, &mut self.inbox)),
            Err(gone) => {
                self.inbox.gone(gone);
                None
            }
        }
    }

    /// Re-weighs block `id` after a change, evicting the oldest blocks while over budget.
    pub(crate) fn settle(&mut self, id: u32) {
        let inbox = &mut self.inbox;
        self.window.settle(id, &mut |block, why| dropped(inbox, &block, why));
    }

    /// Removes block `id` as done.
    pub(crate) fn finish(&mut self, id: u32) -> Option<B> {
        self.window.finish(id)
    }

    /// Drops the blocks whose deadline is at or before `now`.
    pub(crate) fn expire(&mut self, now: Timestamp) {
        let inbox = &mut self.inbox;
        self.window.expire(now, &mut |block, why| dropped(inbox, &block, why));
    }

    pub(crate) fn window(&self) -> &Window<B> {
        &self.window
    }
}

/// Accounts for a block leaving unfinished.
fn dropped<B: Held>(inbox: &mut Inbox, block: &B, why: Dropped) {
    inbox.dropped(why, block.lost());
}

/// The polling methods every receiver exposes, delegated to its `incoming` field; written
/// once so the receivers cannot drift apart.
macro_rules! receiver_surface {
    ($what:literal) => {
        #[doc = concat!("The next ", $what, " handed to the application, in delivery order.")]
        pub fn poll_delivery(&mut self) -> Option<$crate::Delivery> {
            self.incoming.inbox.pop()
        }

        /// The earliest deadline among what is in flight, if any.
        pub fn poll_timeout(&self) -> Option<$crate::Timestamp> {
            self.incoming.window().next_deadline()
        }

        /// Drops what reached its deadline at or before `now`, counting what it loses.
        pub fn handle_timeout(&mut self, now: $crate::Timestamp) {
            self.incoming.expire(now)
        }

        /// Counters.
        pub fn stats(&self) -> &$crate::Stats {
            &self.incoming.inbox.stats
        }

        /// Bytes currently held in flight (symbols and bookkeeping).
        pub fn buffered_bytes(&self) -> usize {
            self.incoming.window().held()
        }
    };
}

pub(crate) use receiver_surface;
