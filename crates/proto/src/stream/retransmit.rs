//! The sender's half of NACK repair: the DATA datagrams sent recently, byte for byte, so a
//! retransmission is identical to the original (same packet number, same bytes: a receiver
//! or a later encryption layer cannot tell them apart, and nothing is re-encoded).

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;

use crate::time::Timestamp;

struct Sent {
    seq: u32,
    at: Timestamp,
    resent: Option<Timestamp>,
    /// Shared with the datagram as queued (kept, not copied).
    datagram: Bytes,
}

/// Datagrams kept for at most `keep`, and at most `max_bytes` of them; sources are numbered
/// consecutively, so lookup is an index.
pub(crate) struct History {
    sent: VecDeque<Sent>,
    bytes: usize,
    max_bytes: usize,
}

impl History {
    pub(crate) fn new(max_bytes: usize) -> Self {
        History { sent: VecDeque::new(), bytes: 0, max_bytes }
    }

    /// Keeps the DATA datagram of source `seq`, sent at `at`.
    pub(crate) fn keep(&mut self, seq: u32, at: Timestamp, datagram: Bytes) {
        if self.sent.back().is_some_and(|last| last.seq.wrapping_add(1) != seq) {
            // Not the next source (the sender restarted its numbering): start afresh.
            self.sent.clear();
            self.bytes = 0;
        }
        self.bytes += datagram.len();
        self.sent.push_back(Sent { seq, at, resent: None, datagram });
        while self.bytes > self.max_bytes {
            self.pop();
        }
    }

    /// Drops what was sent more than `keep` before `now`: too old to make its deadline.
    pub(crate) fn expire(&mut self, now: Timestamp, keep: Duration) {
        while self.sent.front().is_some_and(|first| first.at + keep < now) {
            self.pop();
        }
    }

    /// The datagram of source `seq`, if it was sent within `keep` of `now` and was not
    /// already resent within `spacing` (a NACK repeated before the first answer could land).
    pub(crate) fn resend(&mut self, seq: u32, now: Timestamp, keep: Duration, spacing: Duration) -> Option<&Bytes> {
        let first = self.sent.front()?.seq;
        let sent = self.sent.get_mut(seq.wrapping_sub(first) as usize)?;
        if sent.at + keep < now || sent.resent.is_some_and(|resent| resent + spacing > now) {
            return None;
        }
        sent.resent = Some(now);
        Some(&sent.datagram)
    }

    fn pop(&mut self) {
        if let Some(old) = self.sent.pop_front() {
            self.bytes -= old.datagram.len();
        }
    }
}

/// Retransmitted bytes allowed per byte sent originally: NACKs can at most add half again to
/// what we send, however many arrive (a NACK storm, or NACKs forged with a peer's address, cannot
/// turn us into an amplifier).
const RETRANSMIT_SHARE: f64 = 0.5;
/// What may be retransmitted back to back before the share applies.
const RETRANSMIT_BURST: f64 = 1024.0 * 1024.0;

/// The token bucket retransmissions draw from, filled by original sending.
pub(crate) struct RetransmitBudget {
    tokens: f64,
    /// Original bytes already turned into tokens.
    counted: u64,
}

impl RetransmitBudget {
    pub(crate) fn new() -> Self {
        RetransmitBudget { tokens: RETRANSMIT_BURST / 4.0, counted: 0 }
    }

    /// Spends `bytes` on a retransmission if the bucket holds them, after crediting what was sent
    /// originally since the last call (`original`: bytes sent so far, retransmissions excluded).
    pub(crate) fn spend(&mut self, bytes: usize, original: u64) -> bool {
        let earned = original.saturating_sub(self.counted);
        self.counted = self.counted.max(original);
        self.tokens = (self.tokens + RETRANSMIT_SHARE * earned as f64).min(RETRANSMIT_BURST);
        if self.tokens < bytes as f64 {
            return false;
        }
        self.tokens -= bytes as f64;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_micros(ms * 1000)
    }

    #[test]
    fn retransmissions_stay_within_half_of_what_was_sent_originally() {
        let mut budget = RetransmitBudget::new();
        let mut original = 0u64;
        let mut resent = 0u64;
        for _ in 0..10_000 {
            original += 1200;
            // A storm: ten retransmissions asked for per original datagram.
            for _ in 0..10 {
                if budget.spend(1200, original) {
                    resent += 1200;
                }
            }
        }
        let share = resent as f64 / original as f64;
        assert!(share <= 0.5 + RETRANSMIT_BURST / original as f64, "{share}");
        assert!(share >= 0.45, "{share}: the budget is there to be used");
    }

    #[test]
    fn resends_identical_bytes_within_the_budget_and_not_twice_at_once() {
        let keep = Duration::from_millis(120);
        let spacing = Duration::from_millis(10);
        let mut history = History::new(1 << 20);
        for seq in u32::MAX - 1..=u32::MAX {
            history.keep(seq, at(0), vec![seq as u8; 3].into());
        }
        history.keep(0, at(5), vec![7; 3].into());
        assert_eq!(history.resend(0, at(20), keep, spacing), Some(&Bytes::from_static(&[7, 7, 7])));
        assert_eq!(history.resend(0, at(25), keep, spacing), None, "resent 5 ms ago");
        assert_eq!(history.resend(0, at(31), keep, spacing).map(Bytes::len), Some(3));
        assert_eq!(history.resend(u32::MAX, at(121), keep, spacing), None, "too late to make its deadline");
        assert_eq!(history.resend(1, at(20), keep, spacing), None, "never sent");
        history.expire(at(121), keep);
        assert_eq!(history.sent.len(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut history = History::new(10);
        for seq in 0..100 {
            history.keep(seq, at(0), vec![0; 4].into());
        }
        assert!(history.bytes <= 10);
        assert_eq!(history.sent.len(), 2);
    }
}
