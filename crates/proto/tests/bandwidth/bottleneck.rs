//! The simulated path the estimator is tested against: a FIFO bottleneck on a virtual clock
//! (see main.rs), the sender, the receiver's reports, and the figures of a run.

use std::collections::VecDeque;
use std::time::Duration;

use crate::common::Rng;
use proto::stream::{BandwidthConfig, BandwidthEstimator, BandwidthReport};
use proto::Timestamp;

pub const PACKET_BYTES: u64 = 1200;
pub const PACKET_BITS: f64 = (PACKET_BYTES * 8) as f64;
pub const STEP_MICROS: u64 = 100;
pub const REPORT_MICROS: u64 = 50_000;
pub const PING_MICROS: u64 = 100_000;
pub const SAMPLE_MICROS: u64 = 100_000;
pub const MBIT: f64 = 1e6;

/// What the sender consults: the estimator under test, or a loss-based one to show the test
/// tells them apart.
pub trait Controller {
    fn on_report(&mut self, report: BandwidthReport);
    fn estimate_bps(&self) -> u64;
    fn poll_change(&mut self) -> Option<u64>;
}

impl Controller for BandwidthEstimator {
    fn on_report(&mut self, report: BandwidthReport) {
        BandwidthEstimator::on_report(self, report)
    }
    fn estimate_bps(&self) -> u64 {
        BandwidthEstimator::estimate_bps(self)
    }
    fn poll_change(&mut self) -> Option<u64> {
        BandwidthEstimator::poll_change(self)
    }
}

/// The loss-based half of GCC (draft-ietf-rmcat-gcc-02, section 6): once a second, loss above
/// 10% cuts the rate by half the loss, loss below 2% raises it 8%, between them it holds.
pub struct LossBased {
    pub rate: f64,
    pub received: u64,
    pub missing: u64,
    pub since: Option<Timestamp>,
}

impl Controller for LossBased {
    fn on_report(&mut self, report: BandwidthReport) {
        self.received += report.packets_received;
        self.missing += report.packets_missing;
        let since = *self.since.get_or_insert(report.now);
        if report.now.saturating_duration_since(since) < Duration::from_secs(1) {
            return;
        }
        let loss = self.missing as f64 / (self.received + self.missing).max(1) as f64;
        if loss > 0.1 {
            self.rate *= 1.0 - 0.5 * loss;
        } else if loss < 0.02 {
            self.rate *= 1.08;
        }
        (self.received, self.missing, self.since) = (0, 0, Some(report.now));
    }
    fn estimate_bps(&self) -> u64 {
        self.rate as u64
    }
    fn poll_change(&mut self) -> Option<u64> {
        None
    }
}

/// One simulated run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The bottleneck rate from each time (seconds) on; the first entry starts at 0.
    pub capacity: Vec<(f64, f64)>,
    /// One way; the reverse path has the same delay and loss, and no queue.
    pub propagation: Duration,
    pub queue_limit_bytes: u64,
    /// Random loss of each datagram after the queue, and of each report.
    pub loss: f64,
    pub app_bps: f64,
    pub seconds: f64,
    /// Report the receiver's smoothed RTT (RFC 6298, a ping every 100 ms) instead of the
    /// queueing delay the last packet saw: what the real receiver sends, which lags.
    pub smoothed_rtt: bool,
    /// Extra delay uniform in `0..jitter` on each RTT sample, as a radio link adds.
    pub jitter: Duration,
    /// From when to when (seconds) the path loses everything, both ways.
    pub outage: Option<(f64, f64)>,
    pub seed: u64,
}

impl Scenario {
    pub fn bottleneck(capacity_bps: f64) -> Self {
        Scenario {
            capacity: vec![(0.0, capacity_bps)],
            propagation: Duration::from_millis(20),
            // 300 ms at 4 Mbit/s: deep, as access links' buffers are.
            queue_limit_bytes: 150_000,
            loss: 0.0,
            app_bps: 10.0 * MBIT,
            seconds: 30.0,
            smoothed_rtt: false,
            jitter: Duration::ZERO,
            outage: None,
            seed: 7,
        }
    }

    pub fn capacity_at(&self, seconds: f64) -> f64 {
        self.capacity.iter().rev().find(|(from, _)| *from <= seconds).map_or(self.capacity[0].1, |&(_, c)| c)
    }
}

/// Every 100 ms of a run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub seconds: f64,
    pub estimate: f64,
    pub capacity: f64,
    /// The longest any packet leaving the queue in the last 100 ms waited in it.
    pub queue_delay: Duration,
    /// Bits the bottleneck served in the last 100 ms, per second.
    pub served_bps: f64,
}

pub struct Trace {
    pub samples: Vec<Sample>,
    /// (seconds, value) of every `poll_change` announcement.
    pub announcements: Vec<(f64, u64)>,
}

/// Figures over the samples in `from..to` seconds.
#[derive(Debug)]
pub struct Window {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub max_queue: Duration,
    pub utilisation: f64,
}

impl Trace {
    pub fn window(&self, from: f64, to: f64) -> Window {
        let samples: Vec<&Sample> = self.samples.iter().filter(|s| s.seconds > from && s.seconds <= to).collect();
        let n = samples.len() as f64;
        Window {
            mean: samples.iter().map(|s| s.estimate).sum::<f64>() / n,
            min: samples.iter().map(|s| s.estimate).fold(f64::INFINITY, f64::min),
            max: samples.iter().map(|s| s.estimate).fold(0.0, f64::max),
            max_queue: samples.iter().map(|s| s.queue_delay).max().unwrap_or_default(),
            utilisation: samples.iter().map(|s| s.served_bps / s.capacity).sum::<f64>() / n,
        }
    }

    /// The first time at or after `from` from which every sample up to `to` satisfies `ok`.
    pub fn settled(&self, from: f64, to: f64, ok: impl Fn(&Sample) -> bool) -> Option<f64> {
        let mut since = None;
        for sample in self.samples.iter().filter(|s| s.seconds >= from && s.seconds <= to) {
            match (ok(sample), since) {
                (true, None) => since = Some(sample.seconds),
                (false, _) => since = None,
                _ => {}
            }
        }
        since
    }

    pub fn print(&self, label: &str, every: f64) {
        let mut next = 0.0;
        let mut line = format!("{label}:");
        for s in &self.samples {
            if s.seconds + 1e-9 >= next {
                line += &format!(" {:.0}s={:.2}", s.seconds, s.estimate / MBIT);
                next += every;
            }
        }
        println!("{line} (Mbit/s)");
    }
}

pub fn run(scenario: &Scenario, controller: &mut dyn Controller) -> Trace {
    let mut rng = Rng::new(scenario.seed);
    let prop = scenario.propagation.as_micros() as u64;
    let end = (scenario.seconds * 1e6) as u64;
    // Sender.
    let mut credit = 0.0;
    let mut next_packet = 0u64;
    let (mut packets_sent, mut bytes_sent) = (0u64, 0u64);
    let mut last_counts = (0u64, 0u64);
    // Bottleneck: (packet, departure, microseconds waited) in order, and what the path still
    // carries to the receiver: (arrival, packet, waited).
    let mut queue: VecDeque<(u64, u64, u64)> = VecDeque::new();
    let mut last_departure = 0u64;
    let mut in_flight: VecDeque<(u64, u64, u64)> = VecDeque::new();
    // Receiver.
    let (mut received, mut missing) = (0u64, 0u64);
    let mut highest: Option<u64> = None;
    let mut last_wait = 0u64;
    let mut srtt: Option<f64> = None;
    let mut reports: VecDeque<(u64, u64, u64, Duration)> = VecDeque::new();
    // Recording.
    let mut samples = Vec::new();
    let mut announcements = Vec::new();
    let (mut served_bits, mut max_wait) = (0.0, 0u64);

    let mut now = 0u64;
    while now < end {
        let seconds = now as f64 / 1e6;
        let capacity = scenario.capacity_at(seconds);
        let down = scenario.outage.is_some_and(|(from, to)| seconds >= from && seconds < to);
        // The queue serves.
        while let Some(&(packet, departure, waited)) = queue.front() {
            if departure > now {
                break;
            }
            queue.pop_front();
            served_bits += PACKET_BITS;
            max_wait = max_wait.max(waited);
            if !rng.chance(scenario.loss) && !down {
                in_flight.push_back((departure + prop, packet, waited));
            }
        }
        // The receiver receives, counting gaps in the packet numbers as missing.
        while let Some(&(arrival, packet, waited)) = in_flight.front() {
            if arrival > now {
                break;
            }
            in_flight.pop_front();
            let expected = highest.map_or(0, |h| h + 1);
            missing += packet.saturating_sub(expected);
            received += 1;
            highest = Some(packet);
            last_wait = waited;
        }
        let jitter = scenario.jitter.as_micros() as f64 * rng.unit();
        let seen_rtt = 2.0 * prop as f64 + last_wait as f64 + jitter;
        if now.is_multiple_of(PING_MICROS) {
            srtt = Some(srtt.map_or(seen_rtt, |s| s + (seen_rtt - s) / 8.0));
        }
        if now.is_multiple_of(REPORT_MICROS) && now > 0 && !rng.chance(scenario.loss) && !down {
            let rtt = if scenario.smoothed_rtt { srtt.unwrap_or(seen_rtt) } else { seen_rtt };
            reports.push_back((now + prop, received, missing, Duration::from_micros(rtt as u64)));
        }
        // Reports reach the sender.
        while let Some(&(arrival, received, missing, rtt)) = reports.front() {
            if arrival > now {
                break;
            }
            reports.pop_front();
            controller.on_report(BandwidthReport {
                now: Timestamp::from_micros(now),
                packets_sent,
                bytes_sent,
                packets_received: received - last_counts.0,
                packets_missing: missing - last_counts.1,
                rtt: Some(rtt),
            });
            (packets_sent, bytes_sent, last_counts) = (0, 0, (received, missing));
            if let Some(value) = controller.poll_change() {
                announcements.push((seconds, value));
            }
        }
        // The sender sends, paced, with at most two datagrams of credit.
        let rate = scenario.app_bps.min(controller.estimate_bps() as f64);
        credit = (credit + rate * STEP_MICROS as f64 / 1e6).min(2.0 * PACKET_BITS);
        while credit >= PACKET_BITS {
            credit -= PACKET_BITS;
            packets_sent += 1;
            bytes_sent += PACKET_BYTES;
            let queued = queue.len() as u64 * PACKET_BYTES;
            if queued + PACKET_BYTES <= scenario.queue_limit_bytes {
                let service = (PACKET_BITS / capacity * 1e6) as u64;
                let departure = last_departure.max(now) + service;
                queue.push_back((next_packet, departure, departure - service - now));
                last_departure = departure;
            }
            next_packet += 1;
        }
        now += STEP_MICROS;
        if now.is_multiple_of(SAMPLE_MICROS) {
            samples.push(Sample {
                seconds: now as f64 / 1e6,
                estimate: controller.estimate_bps() as f64,
                capacity,
                queue_delay: Duration::from_micros(max_wait),
                served_bps: served_bits / (SAMPLE_MICROS as f64 / 1e6),
            });
            (served_bits, max_wait) = (0.0, 0);
        }
    }
    Trace { samples, announcements }
}

pub fn estimator() -> BandwidthEstimator {
    BandwidthEstimator::new(BandwidthConfig::default())
}
