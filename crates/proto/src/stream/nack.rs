//! Which lost sources to ask for again, and when: the receiver's half of the FEC + NACK
//! hybrid (RFC 8854's ordering, libwebrtc's policy): FEC gets the first chance, a NACK only
//! goes out for what it could not rebuild, and only while a retransmission can still arrive
//! before the source's deadline.
//!
//! A source is known missing from a gap in the sequence numbers (a later source arrived, or a
//! REPAIR said how many sources its block has). It is not asked for at once: its block's
//! repairs may rebuild it. Repairs leave the sender when the block closes, before the next
//! block's first source, so once a REPAIR of the block or any source of a later block has
//! arrived (plus a little slack for reordering), FEC has had its chance. That holds for every
//! code: the receiver tries recovery on each symbol it accepts, so XOR and mirrored LT, which
//! rebuild sources one by one from fewer than k symbols, have rebuilt what they can by the time
//! the block's repairs are in, as Reed-Solomon has once k symbols are. Until then a
//! missing source waits at most `hold`. Each NACK is repeated after an RTO while the source
//! is still missing and a retransmission can still make its deadline.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::seq::unwrap_near;
use crate::stream::rtt::Rtt;
use crate::time::Timestamp;
use crate::wire::v1::NackRange;

/// Slack after the signal that FEC has had its chance, for repairs still in flight.
const REORDER_SLACK: Duration = Duration::from_millis(3);
/// NACKs per source at most.
const MAX_TRIES: u8 = 4;

/// A source known missing.
#[derive(Clone, Copy, Debug)]
struct Miss {
    /// When its absence was noticed: about when it should have arrived.
    noticed: Timestamp,
    /// When to ask (again).
    due: Timestamp,
    tries: u8,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Nacker {
    /// Unwrapped sequence number -> state.
    missing: BTreeMap<u64, Miss>,
    /// The same sources ordered by when they are due, so `poll` and `next_due`, which run for
    /// every datagram, touch only what is due. (Scanning every missing source each time made
    /// a receiver behind on a lossy burst fall further behind: seen as 61% of its CPU.)
    by_due: BTreeSet<(Timestamp, u64)>,
    /// Sources below this were already told FEC had its chance when a later block began.
    chance_given_below: u64,
    /// The highest source sequence number known to exist.
    highest: Option<u64>,
    /// The highest block id seen: every block before it is closed.
    newest_block: Option<u64>,
    /// Sources tracked at most; a longer gap is beyond what NACK should repair.
    capacity: usize,
    /// Counters.
    pub(crate) nacks_sent: u64,
    pub(crate) retransmits_received: u64,
}

impl Nacker {
    pub(crate) fn new(capacity: usize) -> Self {
        Nacker {
            missing: BTreeMap::new(),
            by_due: BTreeSet::new(),
            chance_given_below: 0,
            highest: None,
            newest_block: None,
            capacity,
            nacks_sent: 0,
            retransmits_received: 0,
        }
    }

    /// The highest source sequence number known to exist, unwrapped.
    pub(crate) fn highest(&self) -> Option<u64> {
        self.highest
    }

    /// `seq` unwrapped near the newest source.
    pub(crate) fn unwrap(&self, seq: u32) -> u64 {
        unwrap_near(self.highest, seq)
    }

    /// A source arrived as sent (not rebuilt): source `index` of block `block`.
    pub(crate) fn arrived(&mut self, block: u32, index: u8, now: Timestamp, hold: Duration) {
        let block = self.unwrap(block);
        let seq = block + u64::from(index);
        if let Some(miss) = self.remove(seq) {
            self.retransmits_received += u64::from(miss.tries > 0);
        }
        self.exists_through(seq, true, now, hold);
        if self.newest_block.is_none_or(|newest| block > newest) {
            self.newest_block = Some(block);
            // Every block before this one has closed and sent its repairs. Sources below the
            // previous newest block were told so then, and no source is added below `highest`.
            self.fec_had_its_chance(self.chance_given_below..block, now);
            self.chance_given_below = self.chance_given_below.max(block);
        }
    }

    /// A REPAIR of block `block` with `k` sources arrived: the block closed.
    pub(crate) fn repaired(&mut self, block: u32, k: u8, now: Timestamp, hold: Duration) {
        let block = self.unwrap(block);
        let end = block + u64::from(k);
        self.exists_through(end - 1, false, now, hold);
        self.fec_had_its_chance(block..end, now);
    }

    /// Source `seq` (wire value) was rebuilt or delivered some other way.
    pub(crate) fn recovered(&mut self, seq: u32) {
        let seq = self.unwrap(seq);
        self.remove(seq);
    }

    /// Forgets every source before `seq` (unwrapped): delivered, or passed over.
    pub(crate) fn forget_before(&mut self, seq: u64) {
        let kept = self.missing.split_off(&seq);
        for (&seq, miss) in &self.missing {
            self.by_due.remove(&(miss.due, seq));
        }
        self.missing = kept;
    }

    /// When [`Self::poll`] has something to do.
    pub(crate) fn next_due(&self) -> Option<Timestamp> {
        self.by_due.first().map(|&(due, _)| due)
    }

    fn insert(&mut self, seq: u64, miss: Miss) {
        if let Some(old) = self.missing.insert(seq, miss) {
            self.by_due.remove(&(old.due, seq));
        }
        self.by_due.insert((miss.due, seq));
    }

    fn remove(&mut self, seq: u64) -> Option<Miss> {
        let miss = self.missing.remove(&seq)?;
        self.by_due.remove(&(miss.due, seq));
        Some(miss)
    }

    /// The ranges to NACK now. A source whose retransmission could no longer arrive by its
    /// deadline (noticed + `latency`, less a round trip) is given up instead.
    pub(crate) fn poll(&mut self, now: Timestamp, rtt: &Rtt, latency: Duration) -> Vec<NackRange> {
        let round_trip = rtt.smoothed().unwrap_or_default();
        let mut ranges: Vec<NackRange> = Vec::new();
        let mut due: Vec<u64> = Vec::new();
        while let Some(&(when, seq)) = self.by_due.first() {
            if when > now {
                break;
            }
            self.by_due.pop_first();
            due.push(seq);
        }
        // In sequence order, so neighbours join into ranges.
        due.sort_unstable();
        for seq in due {
            let miss = self.missing.get_mut(&seq).expect("every indexed source is missing");
            if miss.tries >= MAX_TRIES || now + round_trip > miss.noticed + latency {
                self.missing.remove(&seq);
                continue;
            }
            miss.tries += 1;
            miss.due = now + rtt.timeout();
            self.by_due.insert((miss.due, seq));
            match ranges.last_mut() {
                Some(last) if last.block.wrapping_add(u32::from(last.count)) == seq as u32 && last.count < u8::MAX => {
                    last.count += 1
                }
                _ => ranges.push(NackRange { block: seq as u32, first: 0, count: 1 }),
            }
        }
        self.nacks_sent += u64::from(!ranges.is_empty());
        ranges
    }

    /// Sources up to `last` exist (`last` itself `arrived` or not): the ones never seen are
    /// missing from now.
    fn exists_through(&mut self, last: u64, arrived: bool, now: Timestamp, hold: Duration) {
        let end = last + u64::from(!arrived);
        let start = match self.highest {
            Some(highest) if last <= highest => return,
            Some(highest) => highest + 1,
            None if arrived => last,
            None => return,
        };
        let room = self.capacity.saturating_sub(self.missing.len()) as u64;
        // The oldest of a gap longer than we track would be given up first anyway.
        for missing in end.saturating_sub(room).max(start)..end {
            self.insert(missing, Miss { noticed: now, due: now + hold, tries: 0 });
        }
        self.highest = Some(last);
    }

    /// FEC has done what it can for the sources in `range` once repairs in flight land.
    fn fec_had_its_chance(&mut self, range: std::ops::Range<u64>, now: Timestamp) {
        let soon = now + REORDER_SLACK;
        for (&seq, miss) in self.missing.range_mut(range) {
            if miss.tries == 0 && miss.due > soon {
                self.by_due.remove(&(miss.due, seq));
                miss.due = soon;
                self.by_due.insert((soon, seq));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: Duration = Duration::from_millis(50);
    const LATENCY: Duration = Duration::from_millis(120);

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_micros(ms * 1000)
    }

    fn seqs(ranges: &[NackRange]) -> Vec<u32> {
        ranges.iter().flat_map(|r| (0..r.count).map(move |i| r.block + u32::from(r.first) + u32::from(i))).collect()
    }

    #[test]
    fn waits_for_fec_then_asks_once_per_rto_until_the_deadline() {
        let mut nacker = Nacker::new(1024);
        let mut rtt = Rtt::default();
        rtt.sample(Duration::from_millis(40));
        for index in [0, 1, 4] {
            nacker.arrived(100, index, at(0), HOLD);
        }
        assert!(nacker.poll(at(10), &rtt, LATENCY).is_empty(), "block 100 may still be rebuilt");
        nacker.repaired(100, 6, at(12), HOLD);
        assert_eq!(nacker.next_due(), Some(at(15)));
        assert_eq!(seqs(&nacker.poll(at(15), &rtt, LATENCY)), [102, 103, 105]);
        nacker.arrived(100, 2, at(50), HOLD);
        assert!(nacker.poll(at(60), &rtt, LATENCY).is_empty());
        assert_eq!(seqs(&nacker.poll(at(15 + 120), &rtt, LATENCY)), Vec::<u32>::new(), "past the deadline: given up");
        assert_eq!((nacker.nacks_sent, nacker.retransmits_received), (1, 1));
        assert_eq!(nacker.next_due(), None);
    }

    #[test]
    fn a_later_block_closes_the_earlier_ones() {
        let mut nacker = Nacker::new(1024);
        nacker.arrived(0, 0, at(0), HOLD);
        nacker.arrived(0, 2, at(1), HOLD);
        assert_eq!(nacker.next_due(), Some(at(51)));
        nacker.arrived(10, 0, at(5), HOLD);
        assert_eq!(nacker.next_due(), Some(at(8)), "sources 1 and 3..9, after the reorder slack");
        assert_eq!(seqs(&nacker.poll(at(8), &Rtt::default(), LATENCY)), [1, 3, 4, 5, 6, 7, 8, 9]);
        nacker.forget_before(nacker.unwrap(5));
        nacker.recovered(6);
        assert_eq!(nacker.missing.len(), 4, "5, 7, 8, 9");
    }

    proptest::proptest! {
        /// Whatever arrives, is rebuilt, forgotten or asked for, the due-time index holds
        /// exactly the missing sources, each at its due time.
        #[test]
        fn the_due_index_mirrors_the_missing_sources(steps in proptest::collection::vec((0u8..5, 0u32..200, 0u8..16, 0u64..5), 1..300)) {
            let mut nacker = Nacker::new(64);
            let mut rtt = Rtt::default();
            rtt.sample(Duration::from_millis(20));
            let mut now = 0;
            for (op, block, index, advance) in steps {
                now += advance;
                match op {
                    0 => nacker.arrived(block * 16, index, at(now), HOLD),
                    1 => nacker.repaired(block * 16, index.max(1), at(now), HOLD),
                    2 => nacker.recovered(block * 16 + u32::from(index)),
                    3 => nacker.forget_before(u64::from(block) * 16),
                    _ => { nacker.poll(at(now), &rtt, LATENCY); }
                }
                let expected: BTreeSet<(Timestamp, u64)> = nacker.missing.iter().map(|(&seq, miss)| (miss.due, seq)).collect();
                proptest::prop_assert_eq!(&nacker.by_due, &expected);
            }
        }
    }

    #[test]
    fn tracks_a_bounded_number_of_sources() {
        let mut nacker = Nacker::new(16);
        nacker.arrived(0, 0, at(0), HOLD);
        nacker.arrived(1_000_000, 0, at(0), HOLD);
        assert_eq!(nacker.missing.len(), 16);
        assert_eq!(nacker.missing.keys().next_back(), Some(&nacker.unwrap(999_999)));
    }
}
