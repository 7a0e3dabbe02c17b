//! In-order release within a latency budget: the stream receiver's jitter buffer.
//!
//! Every source has a stream sequence number, its block id plus its index (the sender numbers
//! blocks by their first source, see [`SenderConfig::first_block`]). The order keeps a
//! release point, the sequence number of the next payload to hand out, and holds payloads
//! that arrive ahead of it. A payload at the release point goes out at once, with whatever
//! held payloads follow it without a gap, so a stream without loss is never delayed. A gap is
//! passed over only when forced ([`Order::release_through`]): its block left the receiver
//! unfinished, a held payload behind it reached its deadline, or the held bytes outgrew the
//! budget. Every sequence number passed over without a payload counts as `lost`.
//!
//! Sequence numbers are 32 bits on the wire and wrap; here they are unwrapped to 64 bits
//! relative to the release point (serial-number arithmetic, RFC 1982), once, on the way in,
//! so everything else compares plain integers.
//!
//! [`SenderConfig::first_block`]: crate::stream::SenderConfig::first_block

use std::collections::{BTreeMap, BTreeSet};
use std::mem::size_of;
use std::time::Duration;

use crate::event::Delivery;
use crate::inbox::Inbox;
use crate::time::Timestamp;

use crate::seq::{unwrap_near, BASE};

/// A payload waiting for the gap before it; `None` for one that came after its deadline,
/// whose place is passed over without counting it lost.
struct Pending {
    delivery: Option<Delivery>,
    deadline: Timestamp,
}

impl Pending {
    /// Bytes it holds: its payload and its entries in both maps, with slack for the trees.
    fn bytes(&self) -> usize {
        let payload = self.delivery.as_ref().map_or(0, |d| d.payload.len());
        payload + 2 * (size_of::<(u64, Pending)>() + size_of::<(Timestamp, u64)>())
    }
}

/// Where a symbol falls relative to the release point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// It can still contribute a payload to the order.
    Ahead,
    /// Everything it could contribute has been released or passed over.
    Behind,
    /// More than the horizon ahead: no stream in progress puts a payload there.
    Beyond,
}

/// The release point and the payloads held back.
pub(crate) struct Order {
    /// The sequence number of the next payload to release; `None` until the first symbol.
    next: Option<u64>,
    held: BTreeMap<u64, Pending>,
    /// (deadline, sequence number) of every held payload, earliest first.
    due: BTreeSet<(Timestamp, u64)>,
    bytes: usize,
    /// How far ahead of the release point a symbol may be and still be placed.
    horizon: u64,
    /// When a symbol last did the order any good.
    last_progress: Timestamp,
}

impl Order {
    pub(crate) fn new(horizon: u64) -> Self {
        Order {
            next: None,
            held: BTreeMap::new(),
            due: BTreeSet::new(),
            bytes: 0,
            horizon,
            last_progress: Timestamp::ZERO,
        }
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The earliest deadline of a held payload.
    pub(crate) fn next_deadline(&self) -> Option<Timestamp> {
        self.due.first().map(|&(deadline, _)| deadline)
    }

    /// `seq` unwrapped: the 64-bit number with those low 32 bits nearest the release point.
    pub(crate) fn unwrap(&self, seq: u32) -> u64 {
        unwrap_near(Some(self.next.unwrap_or(BASE)), seq)
    }

    /// Where a symbol whose payloads would be the sequence numbers `first..first + span`
    /// falls; the release point starts at `first` if this is the stream's first symbol.
    pub(crate) fn place(&mut self, first: u32, span: u64, now: Timestamp) -> Place {
        let next = match self.next {
            Some(next) => next,
            None => self.anchor(first, now),
        };
        let first = self.unwrap(first);
        if first + span <= next {
            Place::Behind
        } else if first >= next + self.horizon {
            Place::Beyond
        } else {
            Place::Ahead
        }
    }

    /// Whether nothing has done the order any good for `quiet` up to `now`: a stream that
    /// went quiet that long has nothing held and nothing left to complete.
    pub(crate) fn quiet(&self, now: Timestamp, quiet: Duration) -> bool {
        self.last_progress + quiet <= now
    }

    /// Notes that a symbol was of use at `now`.
    pub(crate) fn progress(&mut self, now: Timestamp) {
        self.last_progress = now;
    }

    /// Starts the order afresh at block `first` (a sender that restarted, or a stream that
    /// resumed past the horizon), releasing whatever is still held first.
    pub(crate) fn restart(&mut self, first: u32, now: Timestamp, inbox: &mut Inbox) {
        if let Some((&last, _)) = self.held.last_key_value() {
            self.release_through(last + 1, inbox);
        }
        self.anchor(first, now);
    }

    /// Puts the release point at `first`; returns it unwrapped.
    fn anchor(&mut self, first: u32, now: Timestamp) -> u64 {
        let next = self.next.map_or(BASE + u64::from(first), |_| self.unwrap(first));
        self.next = Some(next);
        self.last_progress = now;
        next
    }

    /// The sequence number of the next payload to release, unwrapped.
    pub(crate) fn next(&self) -> Option<u64> {
        self.next
    }

    /// Takes the payload numbered `seq`, due at `deadline`: released now if nothing is
    /// missing before it, held otherwise, dropped if its place was already passed over.
    /// `None` marks a payload that came too late: its place is passed over, not counted lost.
    pub(crate) fn offer(&mut self, seq: u64, delivery: Option<Delivery>, deadline: Timestamp, inbox: &mut Inbox) {
        let Some(next) = self.next else { return };
        if seq < next || seq >= next + self.horizon + 256 || self.held.contains_key(&seq) {
            return;
        }
        if seq == next {
            if let Some(delivery) = delivery {
                inbox.deliver(delivery);
            }
            self.next = Some(next + 1);
            return self.drain(inbox);
        }
        let pending = Pending { delivery, deadline };
        self.bytes += pending.bytes();
        self.due.insert((deadline, seq));
        self.held.insert(seq, pending);
    }

    /// Moves the release point to at least `target`, releasing what is held below it in order
    /// and counting every sequence number passed over without a payload as lost; then
    /// releases what follows without a gap.
    pub(crate) fn release_through(&mut self, target: u64, inbox: &mut Inbox) {
        let Some(mut next) = self.next else { return };
        while next < target {
            match self.held.first_key_value() {
                Some((&seq, _)) if seq < target => {
                    inbox.stats.lost += seq - next;
                    self.release(seq, inbox);
                    next = seq + 1;
                }
                _ => {
                    inbox.stats.lost += target - next;
                    next = target;
                }
            }
        }
        self.next = Some(next);
        self.drain(inbox);
    }

    /// Releases, in order, every held payload whose deadline is at or before `now`, and
    /// everything before it.
    pub(crate) fn expire(&mut self, now: Timestamp, inbox: &mut Inbox) {
        while let Some(&(deadline, seq)) = self.due.first() {
            if deadline > now {
                break;
            }
            self.release_through(seq + 1, inbox);
        }
    }

    /// Releases held payloads, oldest first and gaps passed over, until at most `room` bytes
    /// are held.
    pub(crate) fn shed(&mut self, room: usize, inbox: &mut Inbox) {
        while self.bytes > room {
            let Some((&seq, _)) = self.held.first_key_value() else { break };
            self.release_through(seq + 1, inbox);
        }
    }

    /// Releases the held payloads that follow the release point without a gap.
    fn drain(&mut self, inbox: &mut Inbox) {
        let Some(mut next) = self.next else { return };
        while self.held.contains_key(&next) {
            self.release(next, inbox);
            next += 1;
        }
        self.next = Some(next);
    }

    fn release(&mut self, seq: u64, inbox: &mut Inbox) {
        if let Some(pending) = self.held.remove(&seq) {
            self.bytes -= pending.bytes();
            self.due.remove(&(pending.deadline, seq));
            if let Some(delivery) = pending.delivery {
                inbox.deliver(delivery);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_micros(ms * 1000)
    }

    fn payload(seq: u64) -> Delivery {
        Delivery { payload: seq.to_be_bytes().to_vec().into(), block: 0, index: 0, recovered: false, stream: 0 }
    }

    fn released(inbox: &mut Inbox) -> Vec<u64> {
        std::iter::from_fn(|| inbox.pop()).map(|d| u64::from_be_bytes(d.payload[..].try_into().unwrap())).collect()
    }

    /// An order started at sequence number `first`, offering `seqs` (deadline 10 ms each).
    fn order(first: u32, seqs: &[u32], inbox: &mut Inbox) -> Order {
        let mut order = Order::new(1 << 16);
        order.place(first, 1, at(0));
        for &seq in seqs {
            let seq = order.unwrap(seq);
            order.offer(seq, Some(payload(seq)), at(10), inbox);
        }
        order
    }

    #[test]
    fn releases_at_once_without_a_gap_and_holds_behind_one() {
        let mut inbox = Inbox::default();
        let mut order = order(0, &[0, 1, 3, 4, 2], &mut inbox);
        assert_eq!(released(&mut inbox), [0, 1, 2, 3, 4].map(|s| BASE + s));
        assert_eq!((order.bytes(), order.next_deadline()), (0, None));
        order.offer(order.unwrap(1), Some(payload(1)), at(10), &mut inbox);
        assert!(released(&mut inbox).is_empty(), "a place already passed is not released again");
    }

    #[test]
    fn a_gap_is_passed_over_at_the_first_deadline_behind_it() {
        let mut inbox = Inbox::default();
        let mut order = order(7, &[7, 9, 10, 13], &mut inbox);
        assert_eq!(released(&mut inbox), [BASE + 7]);
        order.expire(at(9), &mut inbox);
        assert!(released(&mut inbox).is_empty());
        order.expire(at(10), &mut inbox);
        assert_eq!(released(&mut inbox), [9, 10, 13].map(|s| BASE + s));
        assert_eq!(inbox.stats.lost, 3, "8, 11 and 12");
        assert_eq!(order.bytes(), 0);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut inbox = Inbox::default();
        let order = order(u32::MAX - 1, &[u32::MAX - 1, 0, u32::MAX, 1], &mut inbox);
        let top = BASE + u64::from(u32::MAX);
        assert_eq!(released(&mut inbox), [top - 1, top, 2 * BASE, 2 * BASE + 1]);
        assert_eq!(order.unwrap(5), 2 * BASE + 5);
        assert_eq!(order.unwrap(u32::MAX - 5), BASE + u64::from(u32::MAX) - 5);
    }

    #[test]
    fn places_behind_ahead_and_beyond() {
        let mut order = Order::new(100);
        assert_eq!(order.place(50, 1, at(0)), Place::Ahead);
        assert_eq!(order.place(40, 10, at(0)), Place::Behind);
        assert_eq!(order.place(40, 11, at(0)), Place::Ahead);
        assert_eq!(order.place(149, 1, at(0)), Place::Ahead);
        assert_eq!(order.place(150, 1, at(0)), Place::Beyond);
        assert_eq!(order.place(50u32.wrapping_sub(1 << 31), 1, at(0)), Place::Behind);
    }

    #[test]
    fn shedding_releases_the_oldest_first() {
        let mut inbox = Inbox::default();
        let mut order = order(0, &[2, 3, 5], &mut inbox);
        let each = order.bytes() / 3;
        order.shed(2 * each, &mut inbox);
        assert_eq!(released(&mut inbox), [BASE + 2, BASE + 3]);
        assert_eq!((order.bytes(), inbox.stats.lost), (each, 2));
    }
}
