//! Round-trip time and retransmission timeout, per RFC 6298, without its 1 s floor: live
//! media with a 120 ms budget cannot wait a second to ask again.

use std::time::Duration;

/// Clock granularity G of RFC 6298: the least the variance term adds to the timeout.
const GRANULARITY: Duration = Duration::from_millis(1);
/// The timeout before any sample (RFC 6298 section 2.1).
const INITIAL_RTO: Duration = Duration::from_secs(1);
/// The longest timeout (RFC 6298 section 2.5 allows an upper bound of at least 60 s).
const MAX_RTO: Duration = Duration::from_secs(60);

/// SRTT, RTTVAR and RTO from RTT samples.
///
/// Karn's rule says never to sample a round trip whose request was sent more than once: the
/// answer cannot be matched to a send. Our samples come only from PING/PONG pairs matched by
/// a token used once (see [`Pings`]), never from retransmitted data, so every sample is
/// unambiguous.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Rtt {
    smoothed: Option<Duration>,
    variance: Duration,
}

impl Rtt {
    /// Folds in one measurement (RFC 6298 section 2.2 and 2.3, alpha 1/8, beta 1/4).
    pub(crate) fn sample(&mut self, rtt: Duration) {
        match self.smoothed {
            None => {
                self.smoothed = Some(rtt);
                self.variance = rtt / 2;
            }
            Some(srtt) => {
                self.variance = (self.variance * 3 + srtt.abs_diff(rtt)) / 4;
                self.smoothed = Some((srtt * 7 + rtt) / 8);
            }
        }
    }

    /// SRTT, once there is a sample.
    pub(crate) fn smoothed(&self) -> Option<Duration> {
        self.smoothed
    }

    /// RTO = SRTT + max(G, 4 * RTTVAR), at most 60 s; 1 s before the first sample.
    pub(crate) fn timeout(&self) -> Duration {
        self.smoothed.map_or(INITIAL_RTO, |srtt| (srtt + (self.variance * 4).max(GRANULARITY)).min(MAX_RTO))
    }
}

/// Tokens of the pings in flight, so that only a PONG answering one of ours is a sample: a
/// forged or replayed PONG cannot skew the estimate, and each token is used once.
#[derive(Debug, Default)]
pub(crate) struct Pings {
    /// (token, sent at in microseconds), oldest first.
    outstanding: std::collections::VecDeque<u64>,
}

/// Pings remembered at once; older ones are given up on.
const MAX_OUTSTANDING: usize = 8;

impl Pings {
    /// A token for a ping sent at `now_micros` (which makes it unique: one ping per instant).
    pub(crate) fn send(&mut self, now_micros: u64) -> u64 {
        if self.outstanding.len() == MAX_OUTSTANDING {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back(now_micros);
        now_micros
    }

    /// The round trip a PONG with `token` closes at `now_micros`, if it answers a ping of ours.
    pub(crate) fn answer(&mut self, token: u64, now_micros: u64) -> Option<Duration> {
        let at = self.outstanding.iter().position(|&t| t == token)?;
        self.outstanding.remove(at);
        Some(Duration::from_micros(now_micros.checked_sub(token)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_rfc_6298_without_the_one_second_floor() {
        let mut rtt = Rtt::default();
        assert_eq!(rtt.timeout(), INITIAL_RTO);
        rtt.sample(Duration::from_millis(40));
        assert_eq!(rtt.smoothed(), Some(Duration::from_millis(40)));
        assert_eq!(rtt.timeout(), Duration::from_millis(40 + 80));
        for _ in 0..50 {
            rtt.sample(Duration::from_millis(40));
        }
        assert!(rtt.timeout() < Duration::from_millis(45), "{:?}", rtt.timeout());
        rtt.sample(Duration::from_millis(80));
        assert_eq!(rtt.smoothed(), Some(Duration::from_millis(45)));
    }

    #[test]
    fn only_our_pongs_are_samples_and_each_once() {
        let mut pings = Pings::default();
        let token = pings.send(1_000);
        assert_eq!(pings.answer(999, 5_000), None);
        assert_eq!(pings.answer(token, 41_000), Some(Duration::from_millis(40)));
        assert_eq!(pings.answer(token, 42_000), None, "a replayed pong is no sample");
        for t in 0..20 {
            pings.send(t);
        }
        assert_eq!(pings.outstanding.len(), MAX_OUTSTANDING);
    }
}
