//! The endpoint's transmit queue, keeping count of the bytes it holds so the pacer's bound is
//! checked without walking the queue on every send.

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::event::Transmit;

/// Datagrams waiting to leave, with their destinations, oldest first.
#[derive(Default)]
pub(super) struct Outgoing {
    queue: VecDeque<(SocketAddr, Transmit)>,
    bytes: usize,
}

impl Outgoing {
    pub(super) fn push(&mut self, to: SocketAddr, transmit: Transmit) {
        self.bytes += transmit.datagram.len();
        self.queue.push_back((to, transmit));
    }

    pub(super) fn front(&self) -> Option<&(SocketAddr, Transmit)> {
        self.queue.front()
    }

    pub(super) fn pop_front(&mut self) -> Option<(SocketAddr, Transmit)> {
        let popped = self.queue.pop_front()?;
        self.bytes -= popped.1.datagram.len();
        Some(popped)
    }

    /// Drops the newest datagram.
    pub(super) fn pop_back(&mut self) {
        if let Some((_, transmit)) = self.queue.pop_back() {
            self.bytes -= transmit.datagram.len();
        }
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Bytes of every datagram queued.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }
}
