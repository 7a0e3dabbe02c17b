//! Path MTU discovery with padded probes (RFC 8899, DPLPMTUD, simplified to what a datagram
//! stream needs).
//!
//! The I/O layer sends every datagram with don't-fragment set and the kernel's own PMTU cache
//! ignored (Linux `IP_PMTUDISC_PROBE`), so a datagram larger than the path is simply lost, never
//! fragmented. The prober starts from a size every IPv4 path of interest carries (1,200 bytes,
//! QUIC's floor) and binary-searches up to the interface's limit: a PROBE of the middle size
//! that the peer acknowledges (its PONG echoes the token) raises the floor, `tries` unanswered
//! ones lower the ceiling. The search repeats after `reprobe_after`, since the path changes (Wi-Fi
//! to mobile), starting again from the floor; the confirmed size holds until a new search
//! confirms another.
//!
//! Sans-IO like the rest: the peer asks [`MtuProber::poll_probe`] what to send, reports PONGs
//! with [`MtuProber::on_pong`], and runs [`MtuProber::handle_timeout`] when due.

use std::time::Duration;

use crate::time::Timestamp;

/// Tokens of probes carry this in their top 16 bits, so a PONG for a probe is told from a PONG
/// for an RTT ping (whose tokens are timestamps, far below it) without shared state.
const TOKEN_TAG: u64 = 0x4D54_0000_0000_0000; // "MT"
const TOKEN_TAG_MASK: u64 = 0xFFFF_0000_0000_0000;

/// How the prober searches; sizes are UDP payload bytes (what a datagram carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MtuConfig {
    /// The size assumed to pass without probing (default 1,200).
    pub min: usize,
    /// The largest size tried: the interface MTU less IP and UDP headers (default 1,472, for
    /// Ethernet's 1,500 over IPv4).
    pub max: usize,
    /// Unanswered probes of one size before it is taken as too large (default 3).
    pub tries: u32,
    /// How long to wait for a probe's PONG (default 250 ms; the peer passes max(2 RTT, this)).
    pub probe_timeout: Duration,
    /// Time between searches (default 10 minutes, RFC 8899's PMTU_RAISE_TIMER).
    pub reprobe_after: Duration,
}

impl Default for MtuConfig {
    fn default() -> Self {
        MtuConfig { min: 1200, max: 1472, tries: 3, probe_timeout: Duration::from_millis(250), reprobe_after: Duration::from_secs(600) }
    }
}

impl MtuConfig {
    /// The largest size a UDP datagram over IPv4 can have.
    pub const MAX_DATAGRAM: usize = 65_507;

    /// Checks the sizes are ordered and possible.
    pub fn validate(&self) -> Result<(), crate::error::ConfigError> {
        use crate::error::ConfigError;
        if self.min < super::super::wire::v1::PROBE_OVERHEAD || self.min > self.max {
            return Err(ConfigError::out_of_range("mtu.min", "at least the probe header and at most mtu.max", self.min));
        }
        if self.max > Self::MAX_DATAGRAM {
            return Err(ConfigError::out_of_range("mtu.max", "at most 65507", self.max));
        }
        if self.tries == 0 {
            return Err(ConfigError::out_of_range("mtu.tries", "at least 1", self.tries as usize));
        }
        Ok(())
    }
}

/// A probe in flight.
#[derive(Clone, Copy, Debug)]
struct Outstanding {
    token: u64,
    size: usize,
    deadline: Timestamp,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Not started: the peer has not answered anything yet, so a lost probe would mean nothing.
    Idle,
    /// Binary search: `low` passed, `high` did not (or is one past `max`).
    Searching { low: usize, high: usize, tries: u32, outstanding: Option<Outstanding> },
    /// Settled; search again at `next`.
    Settled { next: Timestamp },
}

/// See the module docs.
#[derive(Debug)]
pub struct MtuProber {
    config: MtuConfig,
    state: State,
    /// The largest size confirmed by a PONG (or `min`, assumed).
    confirmed: usize,
    counter: u64,
    /// Probes sent so far.
    pub probes_sent: u64,
}

impl MtuProber {
    /// A prober that waits for [`Self::start`].
    pub fn new(config: MtuConfig) -> Self {
        MtuProber { config, state: State::Idle, confirmed: config.min, counter: 0, probes_sent: 0 }
    }

    /// The path MTU as far as known: the largest UDP payload the last finished search confirmed
    /// (`min` before the first finishes).
    pub fn current(&self) -> usize {
        self.confirmed
    }

    /// The settings.
    pub fn config(&self) -> &MtuConfig {
        &self.config
    }

    /// Whether [`Self::poll_probe`] would give a probe: searching, none in flight.
    pub fn wants_probe(&self) -> bool {
        matches!(self.state, State::Searching { outstanding: None, .. })
    }

    /// Whether a search is under way.
    pub fn searching(&self) -> bool {
        matches!(self.state, State::Searching { .. })
    }

    /// Starts the first search (once the peer is known to answer); later calls do nothing.
    pub fn start(&mut self, now: Timestamp) {
        if matches!(self.state, State::Idle) {
            self.begin_search(now);
        }
    }

    fn begin_search(&mut self, now: Timestamp) {
        self.state = State::Searching { low: self.config.min, high: self.config.max + 1, tries: 0, outstanding: None };
        self.settle_if_done(now);
    }

    /// The next probe to send, `(token, size)`, if one is due now: one at a time, each waiting
    /// `timeout` for its PONG.
    pub fn poll_probe(&mut self, now: Timestamp, timeout: Duration) -> Option<(u64, usize)> {
        let State::Searching { low, high, tries, outstanding } = &mut self.state else { return None };
        if outstanding.is_some() {
            return None;
        }
        let size = *low + (*high - *low) / 2;
        self.counter += 1;
        let token = TOKEN_TAG | (self.counter & !TOKEN_TAG_MASK);
        *outstanding = Some(Outstanding { token, size, deadline: now + timeout });
        *tries += 1;
        self.probes_sent += 1;
        Some((token, size))
    }

    /// Takes a PONG's token; returns whether it was one of ours (then the caller drops it).
    pub fn on_pong(&mut self, token: u64, now: Timestamp) -> bool {
        if token & TOKEN_TAG_MASK != TOKEN_TAG {
            return false;
        }
        if let State::Searching { low, tries, outstanding, .. } = &mut self.state {
            if let Some(probe) = outstanding.filter(|probe| probe.token == token) {
                *low = probe.size;
                *tries = 0;
                *outstanding = None;
                self.settle_if_done(now);
            }
        }
        true
    }

    /// When [`Self::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match self.state {
            State::Idle => None,
            State::Searching { outstanding, .. } => outstanding.map(|probe| probe.deadline),
            State::Settled { next } => Some(next),
        }
    }

    /// Gives up on an unanswered probe, or starts the periodic search.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        match &mut self.state {
            State::Searching { high, tries, outstanding, .. } => {
                let Some(probe) = *outstanding else { return };
                if now < probe.deadline {
                    return;
                }
                *outstanding = None;
                if *tries >= self.config.tries {
                    *high = probe.size;
                    *tries = 0;
                }
                self.settle_if_done(now);
            }
            State::Settled { next } if now >= *next => {
                // A fresh search: the path may have grown or shrunk since. What was confirmed
                // stays in use until the search settles on its answer.
                self.begin_search(now);
            }
            _ => {}
        }
    }

    fn settle_if_done(&mut self, now: Timestamp) {
        if let State::Searching { low, high, .. } = self.state {
            if high - low <= 1 {
                self.confirmed = low;
                self.state = State::Settled { next: now + self.config.reprobe_after };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs probes against a path that carries sizes up to `path`, answering after `rtt`.
    fn converge(prober: &mut MtuProber, path: usize, start: Timestamp) -> Timestamp {
        let rtt = Duration::from_millis(20);
        let mut now = start;
        for _ in 0..200 {
            if let Some((token, size)) = prober.poll_probe(now, Duration::from_millis(250)) {
                if size <= path {
                    now = now + rtt;
                    assert!(prober.on_pong(token, now));
                    continue;
                }
            }
            match prober.poll_timeout() {
                Some(t) if prober.searching() => {
                    now = t;
                    prober.handle_timeout(now);
                }
                _ => return now,
            }
        }
        panic!("no convergence");
    }

    #[test]
    fn converges_to_the_path_mtu_by_binary_search() {
        for path in [1200, 1201, 1280, 1372, 1400, 1471, 1472, 1500] {
            let mut prober = MtuProber::new(MtuConfig::default());
            prober.start(Timestamp::ZERO);
            converge(&mut prober, path, Timestamp::ZERO);
            assert_eq!(prober.current(), path.min(1472), "path {path}");
            // log2(273) sizes, each up to 3 tries.
            assert!(prober.probes_sent <= 9 * 3, "path {path}: {} probes", prober.probes_sent);
        }
    }

    #[test]
    fn searches_again_and_follows_a_shrunken_path() {
        let mut prober = MtuProber::new(MtuConfig::default());
        prober.start(Timestamp::ZERO);
        let now = converge(&mut prober, 1472, Timestamp::ZERO);
        assert_eq!(prober.current(), 1472);
        let later = prober.poll_timeout().expect("re-probe scheduled");
        assert!(later >= now + Duration::from_secs(600));
        prober.handle_timeout(later);
        assert!(prober.searching());
        converge(&mut prober, 1300, later);
        assert_eq!(prober.current(), 1300);
    }

    #[test]
    fn ignores_pongs_of_rtt_pings_and_stale_probes() {
        let mut prober = MtuProber::new(MtuConfig::default());
        assert!(!prober.on_pong(123_456_789, Timestamp::ZERO));
        assert!(prober.poll_probe(Timestamp::ZERO, Duration::from_millis(250)).is_none(), "idle until started");
        prober.start(Timestamp::ZERO);
        let (token, size) = prober.poll_probe(Timestamp::ZERO, Duration::from_millis(250)).unwrap();
        let timeout = Duration::from_millis(250);
        assert!(prober.on_pong(token ^ 1, Timestamp::ZERO), "ours, but not the one in flight");
        assert!(prober.poll_probe(Timestamp::ZERO, timeout).is_none(), "still waiting for {token}");
        assert!(prober.on_pong(token, Timestamp::ZERO));
        let (_, next) = prober.poll_probe(Timestamp::ZERO, timeout).unwrap();
        assert!(next > size, "the floor rose to {size}: next probe {next}");
    }
}
