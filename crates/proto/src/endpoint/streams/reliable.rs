//! A reliable stream: numbered messages, kept by the sender until a cumulative STREAM_ACK
//! covers them and resent every RTO until then; delivered in order by the receiver.
//!
//! Resends travel as new source symbols (the connection's FEC and NACK protect them like any
//! other), so the only thing this layer adds is "until acknowledged" where the connection says
//! "until the deadline". Both ends are bounded: the sender refuses new messages while
//! `max_bytes` wait for acknowledgement (back-pressure, never silent loss), and the receiver
//! holds at most `MAX_HELD` messages out of order, dropping what lies beyond (the sender
//! resends it).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::time::Timestamp;

/// Out-of-order messages a receiver holds while an earlier one is missing.
const MAX_HELD: usize = 1024;

/// Whether `a` comes before `b` in wrapping message numbers.
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

struct Unacked {
    number: u32,
    payload: Vec<u8>,
    last_sent: Timestamp,
}

/// The sending half of one reliable stream towards one peer.
pub(crate) struct ReliableSender {
    next: u32,
    unacked: VecDeque<Unacked>,
    bytes: usize,
    max_bytes: usize,
}

impl ReliableSender {
    pub fn new(max_bytes: usize) -> Self {
        ReliableSender { next: 0, unacked: VecDeque::new(), bytes: 0, max_bytes }
    }

    /// Bytes waiting for acknowledgement.
    pub fn held(&self) -> usize {
        self.bytes
    }

    /// Whether any message waits for acknowledgement (an empty one counts too).
    pub fn waiting(&self) -> bool {
        !self.unacked.is_empty()
    }

    /// Whether `len` more bytes fit.
    pub fn has_room(&self, len: usize) -> bool {
        self.bytes + len <= self.max_bytes || self.unacked.is_empty()
    }

    /// Numbers `payload` and keeps it until acknowledged; returns its number.
    pub fn push(&mut self, payload: &[u8], now: Timestamp) -> u32 {
        let number = self.next;
        self.next = self.next.wrapping_add(1);
        self.bytes += payload.len();
        self.unacked.push_back(Unacked { number, payload: payload.to_vec(), last_sent: now });
        number
    }

    /// The receiver holds everything before `next`. Returns how many messages that freed.
    pub fn on_ack(&mut self, next: u32) -> usize {
        // An ACK beyond what was ever sent is forged or corrupt: ignore it.
        if before(self.next, next) {
            return 0;
        }
        let mut freed = 0;
        while self.unacked.front().is_some_and(|m| before(m.number, next)) {
            let message = self.unacked.pop_front().expect("checked");
            self.bytes -= message.payload.len();
            freed += 1;
        }
        freed
    }

    /// The messages unacknowledged for `rto` since they were last sent, marked sent now.
    pub fn due(&mut self, now: Timestamp, rto: Duration) -> Vec<(u32, Vec<u8>)> {
        self.unacked
            .iter_mut()
            .filter(|m| now >= m.last_sent + rto)
            .map(|m| {
                m.last_sent = now;
                (m.number, m.payload.clone())
            })
            .collect()
    }

    /// When the oldest unacknowledged message is next due for a resend.
    pub fn poll_timeout(&self, rto: Duration) -> Option<Timestamp> {
        self.unacked.iter().map(|m| m.last_sent + rto).min()
    }
}

/// What the receiving half makes of an arrival.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Deliver these, in order (the arrival and whatever it unblocked).
    Deliver(Vec<Vec<u8>>),
    /// Held until the gap before it fills.
    Held,
    /// Already delivered (a resend whose original made it) or beyond what can be held.
    Dropped { duplicate: bool },
}

/// The receiving half of one reliable stream from one peer.
#[derive(Default)]
pub(crate) struct ReliableReceiver {
    next: u32,
    held: BTreeMap<u32, Vec<u8>>,
}

impl ReliableReceiver {
    /// The first number not yet delivered: what the STREAM_ACK says.
    pub fn next(&self) -> u32 {
        self.next
    }

    pub fn accept(&mut self, number: u32, payload: &[u8]) -> Arrival {
        let ahead = number.wrapping_sub(self.next) as usize;
        if before(number, self.next) {
            return Arrival::Dropped { duplicate: true };
        }
        if ahead > 0 {
            if ahead > MAX_HELD || (self.held.len() >= MAX_HELD && !self.held.contains_key(&number)) {
                return Arrival::Dropped { duplicate: false };
            }
            // Keyed by absolute number: wrapping is harmless, as at most MAX_HELD numbers
            // ahead of `next` are ever held.
            let fresh = self.held.insert(number, payload.to_vec()).is_none();
            return if fresh { Arrival::Held } else { Arrival::Dropped { duplicate: true } };
        }
        let mut ready = vec![payload.to_vec()];
        self.next = self.next.wrapping_add(1);
        while let Some(payload) = self.held.remove(&self.next) {
            ready.push(payload);
            self.next = self.next.wrapping_add(1);
        }
        Arrival::Deliver(ready)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_after_a_gap_fills_and_duplicates_are_dropped() {
        let mut rx = ReliableReceiver::default();
        assert_eq!(rx.accept(1, b"b"), Arrival::Held);
        assert_eq!(rx.accept(2, b"c"), Arrival::Held);
        assert_eq!(rx.accept(1, b"b"), Arrival::Dropped { duplicate: true });
        assert_eq!(rx.accept(0, b"a"), Arrival::Deliver(vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]));
        assert_eq!(rx.next(), 3);
        assert_eq!(rx.accept(0, b"a"), Arrival::Dropped { duplicate: true });
        assert_eq!(rx.accept(3 + MAX_HELD as u32 + 1, b"far"), Arrival::Dropped { duplicate: false });
    }

    #[test]
    fn numbers_wrap() {
        let mut rx = ReliableReceiver { next: u32::MAX, held: BTreeMap::new() };
        assert_eq!(rx.accept(0, b"b"), Arrival::Held);
        assert_eq!(rx.accept(u32::MAX, b"a"), Arrival::Deliver(vec![b"a".to_vec(), b"b".to_vec()]));
        assert_eq!(rx.next(), 1);
    }

    #[test]
    fn the_sender_resends_until_acknowledged_and_bounds_what_it_holds() {
        let rto = Duration::from_millis(100);
        let t0 = Timestamp::ZERO;
        let mut tx = ReliableSender::new(10);
        assert_eq!(tx.push(b"12345", t0), 0);
        assert_eq!(tx.push(b"6789", t0), 1);
        assert!(!tx.has_room(2));
        assert!(tx.due(t0 + Duration::from_millis(50), rto).is_empty());
        assert_eq!(tx.due(t0 + rto, rto).len(), 2);
        assert_eq!(tx.poll_timeout(rto), Some(t0 + rto + rto));
        assert_eq!(tx.on_ack(1), 1);
        assert_eq!(tx.held(), 4);
        assert_eq!(tx.on_ack(7), 0, "beyond what was sent: ignored");
        assert_eq!(tx.on_ack(2), 1);
        assert_eq!(tx.poll_timeout(rto), None);
    }
}
