//! The sender's half of NACK repair: the DATA datagrams sent recently, byte for byte, so a
//! retransmission is identical to the original (same packet number, same bytes: a receiver
//! or a later encryption layer cannot tell them apart, and nothing is re-encoded).

use std::collections::VecDeque;
use std::time::Duration;

use crate::time::Timestamp;

struct Sent {
    seq: u32,
    at: Timestamp,
    resent: Option<Timestamp>,
    datagram: Vec<u8>,
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
    pub(crate) fn keep(&mut self, seq: u32, at: Timestamp, datagram: Vec<u8>) {
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
    pub(crate) fn resend(&mut self, seq: u32, now: Timestamp, keep: Duration, spacing: Duration) -> Option<&[u8]> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_micros(ms * 1000)
    }

    #[test]
    fn resends_identical_bytes_within_the_budget_and_not_twice_at_once() {
        let keep = Duration::from_millis(120);
        let spacing = Duration::from_millis(10);
        let mut history = History::new(1 << 20);
        for seq in u32::MAX - 1..=u32::MAX {
            history.keep(seq, at(0), vec![seq as u8; 3]);
        }
        history.keep(0, at(5), vec![7; 3]);
        assert_eq!(history.resend(0, at(20), keep, spacing), Some(&[7u8, 7, 7][..]));
        assert_eq!(history.resend(0, at(25), keep, spacing), None, "resent 5 ms ago");
        assert_eq!(history.resend(0, at(31), keep, spacing).map(<[u8]>::len), Some(3));
        assert_eq!(history.resend(u32::MAX, at(121), keep, spacing), None, "too late to make its deadline");
        assert_eq!(history.resend(1, at(20), keep, spacing), None, "never sent");
        history.expire(at(121), keep);
        assert_eq!(history.sent.len(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut history = History::new(10);
        for seq in 0..100 {
            history.keep(seq, at(0), vec![0; 4]);
        }
        assert!(history.bytes <= 10);
        assert_eq!(history.sent.len(), 2);
    }
}
