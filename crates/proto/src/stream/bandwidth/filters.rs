//! The views of the path the estimator reads: the base RTT (a windowed minimum), the latest
//! RTTs with their jitter, and loss ratios over decayed packet counts. Each is constant in space.

use std::time::Duration;

use crate::time::Timestamp;

/// Base RTT window, in one-second slots.
const BASE_RTT_SLOTS: usize = 10;
const BASE_RTT_SLOT_MICROS: u64 = 1_000_000;
/// The largest difference between consecutive RTTs the jitter estimate takes in.
const MAX_JITTER_SAMPLE: Duration = Duration::from_millis(200);

/// The last RTT samples: their floor, which way it last moved, and their jitter.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RecentRtt {
    last: Option<Duration>,
    /// The lesser of the last two samples.
    floor: Option<Duration>,
    /// Whether the floor's last change was downwards: the receiver's smoothed RTT changes once
    /// per ping, so two reports in a row often carry the same value.
    pub falling: bool,
    /// Mean absolute difference between consecutive samples, in seconds (RFC 3550's
    /// interarrival jitter estimator, gain 1/16).
    pub jitter: f64,
}

impl RecentRtt {
    /// Adds a sample and returns the floor.
    pub fn insert(&mut self, rtt: Duration) -> Duration {
        let floor = self.last.map_or(rtt, |last| last.min(rtt));
        if let Some(last) = self.last {
            // Bounded, so that one absurd sample cannot blind the threshold for long.
            let difference = last.abs_diff(rtt).min(MAX_JITTER_SAMPLE).as_secs_f64();
            self.jitter += (difference - self.jitter) / 16.0;
        }
        if self.floor.is_some_and(|before| before != floor) {
            self.falling = self.floor.is_some_and(|before| floor < before);
        }
        self.last = Some(rtt);
        self.floor = Some(floor);
        floor
    }
}

/// The least RTT per one-second slot over the last `BASE_RTT_SLOTS` seconds: a windowed
/// minimum in constant space, so a route change that lengthens the path is learnt within
/// 10 s, and the queue our own probing builds never is (every decrease drains it).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MinFilter {
    slots: [Option<(u64, Duration)>; BASE_RTT_SLOTS],
}

impl MinFilter {
    pub fn insert(&mut self, now: Timestamp, rtt: Duration) {
        let slot = now.as_micros() / BASE_RTT_SLOT_MICROS;
        let entry = &mut self.slots[(slot % BASE_RTT_SLOTS as u64) as usize];
        match entry {
            Some((at, least)) if *at == slot => *least = (*least).min(rtt),
            _ => *entry = Some((slot, rtt)),
        }
    }

    pub fn min(&self, now: Timestamp) -> Option<Duration> {
        let slot = now.as_micros() / BASE_RTT_SLOT_MICROS;
        self.slots
            .iter()
            .flatten()
            .filter(|(at, _)| *at <= slot && slot - *at < BASE_RTT_SLOTS as u64)
            .map(|&(_, rtt)| rtt)
            .min()
    }
}

/// A loss ratio over exponentially decayed packet counts, the half-life in packets rather
/// than reports so the average means the same however packets fall into reports, and in
/// seconds too, so that it forgets at low rates as well.
#[derive(Clone, Copy, Debug)]
pub(super) struct LossAverage {
    half_life: f64,
    half_life_seconds: f64,
    received: f64,
    missing: f64,
}

impl LossAverage {
    pub fn new(half_life: f64, half_life_seconds: f64) -> Self {
        LossAverage { half_life, half_life_seconds, received: 0.0, missing: 0.0 }
    }

    /// Adds a report's counts, `seconds` after the previous one.
    pub fn add(&mut self, received: f64, missing: f64, seconds: f64) {
        let decay = 0.5f64.powf((received + missing) / self.half_life + seconds / self.half_life_seconds);
        self.received = self.received * decay + received;
        self.missing = self.missing * decay + missing;
    }

    /// In 0..=1; 0 before any packet.
    pub fn ratio(&self) -> f64 {
        let total = self.received + self.missing;
        if total > 0.0 {
            self.missing / total
        } else {
            0.0
        }
    }
}
