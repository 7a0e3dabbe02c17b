//! A token bucket on what leaves the endpoint: at most `rate` on average and, because the
//! bucket holds only about a millisecond of tokens, at most about `rate` at any instant, so a
//! large video frame leaves spread out instead of as one burst that overflows a queue on the
//! path (seed 001 paced at 60 Mbit/s with `tc fq`; here it is done in user space).

use std::time::Duration;

use crate::time::Timestamp;

/// The bucket holds this much time at the rate, and at least two full-size Ethernet datagrams.
/// A datagram larger than the bucket (up to 64 KiB) leaves when the bucket is full, charged
/// the bucket's depth: rare on a paced live stream, and it keeps a low rate from stalling.
const DEPTH_TIME: Duration = Duration::from_millis(1);
const MIN_DEPTH: f64 = 3_000.0;

pub(super) struct Pacer {
    bytes_per_second: f64,
    depth: f64,
    tokens: f64,
    refilled: Option<Timestamp>,
    /// Datagrams dropped because the queue outgrew a second at the rate.
    pub(super) dropped: u64,
}

impl Pacer {
    pub(super) fn new(bits_per_second: u64) -> Self {
        let bytes_per_second = bits_per_second as f64 / 8.0;
        let depth = (bytes_per_second * DEPTH_TIME.as_secs_f64()).max(MIN_DEPTH);
        Pacer { bytes_per_second, depth, tokens: depth, refilled: None, dropped: 0 }
    }

    /// Takes tokens for a datagram of `len` bytes if there are enough at `now`.
    /// Follows a new rate (a bandwidth estimate); tokens already earned are kept.
    pub(super) fn set_rate(&mut self, bits_per_second: u64) {
        let fresh = Pacer::new(bits_per_second);
        self.bytes_per_second = fresh.bytes_per_second;
        self.depth = fresh.depth;
        self.tokens = self.tokens.min(self.depth);
    }

    /// The rate now, bits per second.
    pub(super) fn rate(&self) -> u64 {
        (self.bytes_per_second * 8.0) as u64
    }

    pub(super) fn take(&mut self, len: usize, now: Timestamp) -> bool {
        self.refill(now);
        let needed = (len as f64).min(self.depth);
        if self.tokens < needed {
            return false;
        }
        self.tokens -= needed;
        true
    }

    /// When a datagram of `len` bytes may leave.
    pub(super) fn ready_at(&self, len: usize) -> Timestamp {
        let last = self.refilled.unwrap_or(Timestamp::ZERO);
        let missing = (len as f64).min(self.depth) - self.tokens;
        if missing <= 0.0 {
            return last;
        }
        // Rounded up to the clock's microsecond: a moment early, `take` would still refuse,
        // and a caller waking then would find nothing to do and wait again at the same time.
        last + Duration::from_micros((missing / self.bytes_per_second * 1e6).ceil() as u64)
    }

    /// Whether `queued` bytes take more than a second at the rate.
    pub(super) fn over_budget(&self, queued: usize) -> bool {
        queued as f64 > self.bytes_per_second
    }

    fn refill(&mut self, now: Timestamp) {
        let elapsed = self.refilled.map_or(0.0, |then| now.saturating_duration_since(then).as_secs_f64());
        self.tokens = (self.tokens + elapsed * self.bytes_per_second).min(self.depth);
        self.refilled = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_a_burst_at_the_rate() {
        // 80 Mbit/s = 10,000 bytes per ms; start with the bucket empty.
        let mut pacer = Pacer::new(80_000_000);
        let start = Timestamp::from_micros(1_000_000);
        pacer.take(0, start);
        pacer.tokens = 0.0;
        let mut now = start;
        let mut sent = 0;
        while sent < 100 {
            if pacer.take(1_000, now) {
                sent += 1;
            } else {
                now = pacer.ready_at(1_000);
            }
        }
        // 100 datagrams of 1000 bytes at 10 MB/s: 10 ms.
        let took = now.saturating_duration_since(start);
        assert!(took >= Duration::from_micros(9_900) && took <= Duration::from_micros(10_100), "{took:?}");
    }

    #[test]
    fn the_queue_bound_is_a_second_at_the_rate() {
        let pacer = Pacer::new(8_000);
        assert!(!pacer.over_budget(1000));
        assert!(pacer.over_budget(1001));
    }
}
