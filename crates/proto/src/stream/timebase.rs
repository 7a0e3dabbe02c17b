//! The sender's clock as seen from the receiver: maps the 32-bit send times carried in every
//! unit onto local time, so a payload's deadline is its send time plus the path delay plus the
//! latency budget, as SRT's TSBPD does.
//!
//! The offset between the clocks is the smallest (arrival - send time) seen: the fastest trip
//! the path has made, so queueing, jitter and retransmission only ever add to it. It is the
//! minimum over the current and the previous window of [`WINDOW`], so it follows clock drift
//! and path changes instead of holding an old extreme forever.

use std::time::Duration;

use crate::seq::unwrap_near;
use crate::time::Timestamp;

/// How long one minimum is kept.
const WINDOW: Duration = Duration::from_secs(10);

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct TimeBase {
    /// The newest send time seen, unwrapped to 64 bits.
    newest: Option<u64>,
    current: Option<i64>,
    previous: Option<i64>,
    window_ends: Timestamp,
}

impl TimeBase {
    /// `sent_at` unwrapped to 64 bits, near the newest send time seen.
    pub(crate) fn unwrap(&self, sent_at: u32) -> u64 {
        unwrap_near(self.newest, sent_at)
    }

    /// Notes a unit sent at `sent_at` arriving now (as sent, not rebuilt) and returns its send
    /// time unwrapped.
    pub(crate) fn observe(&mut self, sent_at: u32, now: Timestamp) -> u64 {
        let sent = self.unwrap(sent_at);
        self.newest = Some(self.newest.map_or(sent, |newest| newest.max(sent)));
        if now >= self.window_ends {
            self.previous = self.current.take();
            self.window_ends = now + WINDOW;
        }
        let offset = now.as_micros() as i64 - sent as i64;
        self.current = Some(self.current.map_or(offset, |min| min.min(offset)));
        sent
    }

    /// The local instant the sender's clock read `sent` (unwrapped), plus the path's delay.
    pub(crate) fn local(&self, sent: u64) -> Timestamp {
        let offset = [self.current, self.previous].into_iter().flatten().min().unwrap_or(0);
        Timestamp::from_micros((sent as i64).saturating_add(offset).max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_micros(ms * 1000)
    }

    #[test]
    fn maps_send_times_through_the_fastest_trip() {
        let mut base = TimeBase::default();
        // The sender's clock reads 5 s when ours reads 1 s; trips take 20 ms, one took 35.
        let sent = base.observe(5_000_000, at(1_020));
        base.observe(5_010_000, at(1_045));
        assert_eq!(base.local(sent), at(1_020));
        assert_eq!(base.local(base.unwrap(5_010_000)), at(1_030));
    }

    #[test]
    fn send_times_wrap() {
        let mut base = TimeBase::default();
        base.observe(u32::MAX - 999, at(20));
        let after = base.observe(1_000, at(22));
        assert_eq!(after, base.unwrap(u32::MAX - 999) + 2_000);
        assert_eq!(base.local(after), at(22));
    }

    #[test]
    fn forgets_an_old_minimum_after_two_windows() {
        let mut base = TimeBase::default();
        base.observe(0, at(10));
        base.observe(11_000_000, at(11_030));
        assert_eq!(base.local(base.unwrap(11_000_000)), at(11_010), "previous window still counts");
        base.observe(22_000_000, at(22_030));
        assert_eq!(base.local(base.unwrap(22_000_000)), at(22_030));
    }
}
