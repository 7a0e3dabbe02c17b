//! One direction of a simulated network path.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use proto::Timestamp;

use super::rng::Rng;

/// Which datagrams the link drops.
#[derive(Clone, Copy, Debug)]
pub enum Loss {
    None,
    /// Each datagram independently with probability `p`.
    Iid {
        p: f64,
    },
    /// A two-state Markov chain: Good and Bad, each with its own loss probability; the mean
    /// burst (stay in Bad) is `1 / bad_to_good` datagrams.
    GilbertElliott {
        good_to_bad: f64,
        bad_to_good: f64,
        loss_good: f64,
        loss_bad: f64,
    },
}

/// A link's behaviour.
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    pub seed: u64,
    pub loss: Loss,
    pub delay: Duration,
    /// Extra delay uniform in `0..jitter`; reorders datagrams when it exceeds the send gap.
    pub jitter: Duration,
    /// Probability that a datagram is delivered twice (each copy with its own delay).
    pub duplicate: f64,
    /// Probability that a datagram is held back `reorder_delay` longer than the others, so
    /// the ones sent after it overtake it.
    pub reorder: f64,
    pub reorder_delay: Duration,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            seed: 1,
            loss: Loss::None,
            delay: Duration::from_millis(20),
            jitter: Duration::ZERO,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(2),
        }
    }
}

/// Datagrams in flight, ordered by arrival time, ties by send order.
pub struct Link {
    config: LinkConfig,
    rng: Rng,
    bad: bool,
    seq: u64,
    in_flight: BinaryHeap<Reverse<(Timestamp, u64, Vec<u8>)>>,
    pub sent: u64,
    pub dropped: u64,
}

impl Link {
    pub fn new(config: LinkConfig) -> Self {
        Link {
            rng: Rng::new(config.seed),
            config,
            bad: false,
            seq: 0,
            in_flight: BinaryHeap::new(),
            sent: 0,
            dropped: 0,
        }
    }

    pub fn send(&mut self, datagram: Vec<u8>, now: Timestamp) {
        self.sent += 1;
        if self.lose() {
            self.dropped += 1;
            return;
        }
        if self.rng.chance(self.config.duplicate) {
            self.schedule(datagram.clone(), now);
        }
        self.schedule(datagram, now);
    }

    pub fn next_arrival(&self) -> Option<Timestamp> {
        self.in_flight.peek().map(|Reverse((at, _, _))| *at)
    }

    pub fn pop_due(&mut self, now: Timestamp) -> Option<Vec<u8>> {
        if self.next_arrival()? > now {
            return None;
        }
        self.in_flight.pop().map(|Reverse((_, _, datagram))| datagram)
    }

    fn lose(&mut self) -> bool {
        match self.config.loss {
            Loss::None => false,
            Loss::Iid { p } => self.rng.chance(p),
            Loss::GilbertElliott { good_to_bad, bad_to_good, loss_good, loss_bad } => {
                let flip = if self.bad { bad_to_good } else { good_to_bad };
                if self.rng.chance(flip) {
                    self.bad = !self.bad;
                }
                self.rng.chance(if self.bad { loss_bad } else { loss_good })
            }
        }
    }

    fn schedule(&mut self, datagram: Vec<u8>, now: Timestamp) {
        let jitter = self.config.jitter.as_micros() as u64;
        let extra = if jitter == 0 { 0 } else { self.rng.below(jitter) };
        let mut at = now + self.config.delay + Duration::from_micros(extra);
        // Drawn only when asked for, so links without reordering keep their random sequence.
        if self.config.reorder > 0.0 && self.rng.chance(self.config.reorder) {
            at = at + self.config.reorder_delay;
        }
        self.seq += 1;
        self.in_flight.push(Reverse((at, self.seq, datagram)));
    }
}
