//! Bandwidth estimation from receiver reports, for the pacer to pace to and for the
//! application to size its encoder by (seed 002: the pacer "adapts to the channel speed").
//!
//! Our paths lose packets at random on purpose: 5-10% loss that FEC repairs says nothing
//! about capacity, and a controller that backs off on loss, as TCP or the loss half of GCC
//! do, would starve a link that has room to spare. So the queue is the congestion signal: a
//! path carries what we send without delay until we send more than its bottleneck serves, and
//! from then on the excess waits in a queue and the round-trip time grows. Loss counts only
//! when it rises well above the path's own baseline *and* some queue comes with it, which is
//! what a shallow drop-tail buffer overflowing looks like.
//!
//! On each report:
//! - Queueing delay q: the lesser of the last two RTTs (a queue delays every packet, jitter
//!   only some) minus the base, the least RTT of the last 10 s. It is held against a
//!   threshold T = max(10 ms, base / 4, 3 x the RTT's jitter): proportional, so that a
//!   600 ms cellular path's variation is not taken for a queue.
//! - Delivered rate: what the receiver got over the last 150 ms or more, in bytes, divided
//!   by one minus the baseline loss: the rate the bottleneck carried for us, counting what
//!   random loss took on the way as carried (if the loss is behind the bottleneck it was; if
//!   in front, that is the rate we must send for the bottleneck to get its fill).
//! - q > T and the RTT not falling: decrease to 0.85 x the delivered rate, lower when the
//!   queue is long so it drains in about a second. The cut is relative to what the path
//!   carried, not to the estimate, so cuts repeated while the queue persists do not compound.
//!   A falling RTT is a queue already draining, and never cut for.
//! - T / 2 < q <= T, or loss risen with no queue: hold.
//! - Otherwise increase, never above 1.5 x what we actually sent in the last window, so an
//!   application that sends less than the estimate does not let it run away untested:
//!   additively (10% of the rate the last decrease found per second) near that rate,
//!   multiplicatively (x1.5 a second on short paths) well below it or before any decrease,
//!   and above it additively at first, faster the longer no queue appears.
//!
//! The application hears of the estimate smoothed over a second, so the sawtooth of probing
//! and backing off does not reach its encoder ([`BandwidthEstimator::poll_change`]).

use std::time::Duration;

use crate::time::Timestamp;
use filters::{LossAverage, MinFilter, RecentRtt};
use signals::Signals;
use tuning::*;

mod filters;
mod signals;
mod tuning;

/// Bounds and starting point of the estimate, in bits per second on the wire (every datagram
/// of the connection, repairs and retransmissions included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BandwidthConfig {
    /// The estimate never goes below this.
    pub min_bps: u64,
    /// The estimate never goes above this.
    pub max_bps: u64,
    /// The estimate before any report.
    pub start_bps: u64,
}

impl Default for BandwidthConfig {
    /// 100 kbit/s to 1 Gbit/s, starting at 1 Mbit/s.
    ///
    /// Below 100 kbit/s no video is watchable and 1200-byte datagrams come ten a second,
    /// too few for reports every 50 ms to measure a rate. 1 Gbit/s is no real limit: the
    /// application's own rate caps the estimate at 1.5 times it. 1 Mbit/s is seed 002's
    /// average mobile link ("slightly more than a megabit"): starting there overloads few
    /// paths, and growth of x1.5 a second reaches 4 Mbit/s in about 3.5 s and 20 Mbit/s in
    /// about 7.5 s.
    fn default() -> Self {
        BandwidthConfig { min_bps: 100_000, max_bps: 1_000_000_000, start_bps: 1_000_000 }
    }
}

/// What one receiver report says, as differences from the previous report.
///
/// The receiver's FEEDBACK counters are cumulative and wrap; the caller subtracts the previous
/// report's (wrapping) and the sender's own counters at the previous report's arrival.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// When the report arrived.
    pub now: Timestamp,
    /// Datagrams we sent (that carry a packet number) since the previous report.
    ///
    /// Needed beside `bytes_sent` to turn the receiver's packet counts into bytes: while a
    /// queue builds the receiver gets fewer packets than we send, and bytes sent scaled by
    /// the loss ratio would then measure our sending rate, not what the path carried. When
    /// 0, the mean datagram size from earlier reports is used.
    pub packets_sent: u64,
    /// Bytes of those datagrams, headers included.
    pub bytes_sent: u64,
    /// Packets the receiver got since the previous report (FEEDBACK `received`).
    pub packets_received: u64,
    /// Packets the receiver saw missing since the previous report, before any repair
    /// (FEEDBACK `missing`).
    pub packets_missing: u64,
    /// The round-trip time: the receiver's smoothed RTT from the report, or our own sample.
    pub rtt: Option<Duration>,
}

/// A delay-based bandwidth estimate from receiver reports; see the module documentation.
///
/// Pure and bounded: a few numbers and a 10-slot minimum filter, whatever the reports say.
#[derive(Clone, Debug)]
pub struct BandwidthEstimator {
    config: BandwidthConfig,
    /// Bits per second, within the configured bounds.
    estimate: f64,
    /// What the application is told: the estimate smoothed, so that the sawtooth of probing
    /// and backing off does not reach its encoder; and the value `poll_change` last returned
    /// (or the start).
    smoothed: f64,
    announced: u64,
    last_report: Option<Timestamp>,
    base_rtt: MinFilter,
    recent_rtt: RecentRtt,
    /// Reports gathered until they span `RATE_WINDOW`.
    window: Window,
    /// From the last full window: bits per second the path carried, and that we sent.
    delivered: Option<f64>,
    sending: Option<f64>,
    /// Mean datagram size in bytes, for converting the receiver's packet counts.
    packet_bytes: Option<f64>,
    /// The delivered rate at the last decrease: where the bottleneck was last found.
    congested_rate: Option<f64>,
    last_decrease: Option<Timestamp>,
    /// Since when every report has shown a queue above the threshold.
    queued_since: Option<Timestamp>,
    /// Since when the estimate has been above the band around `congested_rate`.
    beyond_since: Option<Timestamp>,
    /// The loss of the last few hundred packets, and the path's baseline.
    recent_loss: LossAverage,
    baseline_loss: LossAverage,
}

impl BandwidthEstimator {
    /// An estimator at `config.start_bps`. The bounds are made consistent rather than
    /// refused: `min_bps` at least 1, `max_bps` at least `min_bps`, the start clamped
    /// between them.
    pub fn new(config: BandwidthConfig) -> Self {
        let min_bps = config.min_bps.max(1);
        let max_bps = config.max_bps.max(min_bps);
        let start_bps = config.start_bps.clamp(min_bps, max_bps);
        BandwidthEstimator {
            config: BandwidthConfig { min_bps, max_bps, start_bps },
            estimate: start_bps as f64,
            smoothed: start_bps as f64,
            announced: start_bps,
            last_report: None,
            base_rtt: MinFilter::default(),
            recent_rtt: RecentRtt::default(),
            queued_since: None,
            beyond_since: None,
            window: Window::default(),
            delivered: None,
            sending: None,
            packet_bytes: None,
            congested_rate: None,
            last_decrease: None,
            recent_loss: LossAverage::new(RECENT_HALF_LIFE, RECENT_HALF_LIFE_SECONDS),
            baseline_loss: LossAverage::new(BASELINE_HALF_LIFE, BASELINE_HALF_LIFE_SECONDS),
        }
    }

    /// The bounds in use, after `new` made them consistent.
    pub fn config(&self) -> BandwidthConfig {
        self.config
    }

    /// Folds in a receiver report. Reports come in arrival order; one whose `now` is before
    /// the previous one's counts as arriving at the same instant, and later reports are timed
    /// from it, so a clock that jumped does not freeze the estimator.
    pub fn on_report(&mut self, report: Report) {
        let now = report.now;
        let step = self.last_report.map(|then| now.saturating_duration_since(then).as_secs_f64());
        if self.last_report.is_some_and(|then| now < then) {
            // The clock went back: the times kept would hold for ever.
            (self.last_decrease, self.queued_since, self.beyond_since) = (None, None, None);
        }
        self.last_report = Some(now);
        let (received, missing) = if report.packets_received > MAX_COUNT || report.packets_missing > MAX_COUNT {
            (0, 0)
        } else {
            (report.packets_received, report.packets_missing)
        };
        // One report weighs in the loss averages as at most twice the packets we sent in its
        // interval: after an outage the receiver reports hundreds missing at once, which says
        // nothing about the random loss to come, and would hold the estimate for seconds.
        let most = report.packets_sent.saturating_mul(2).max(RATE_WINDOW_PACKETS) as f64;
        let weight = (most / (received + missing).max(1) as f64).min(1.0);
        let counts = (received as f64 * weight, missing as f64 * weight);
        let signals = self.signals(now, step.unwrap_or(0.0), report.rtt, counts);
        // The first report only starts the clock: its counts span an unknown time.
        let Some(step) = step else { return };
        self.measure(step, &report, received, missing);

        self.queued_since = if signals.queue_high() { Some(self.queued_since.unwrap_or(now)) } else { None };
        if signals.queue_high() || signals.loss_congestion() {
            self.decrease(now, &signals);
        } else if signals.calm() && !signals.loss_risen {
            self.increase(now, step.min(MAX_STEP));
        }
        if self.recent_rtt.falling && !signals.calm() {
            self.recover(step.min(MAX_STEP));
        }
        self.estimate = self.estimate.clamp(self.config.min_bps as f64, self.config.max_bps as f64);
        self.smoothed += (self.estimate - self.smoothed) * (step / SMOOTHING).min(1.0);
        if self.estimate < self.smoothed * (1.0 - PROMPT_DROP) {
            self.smoothed = self.estimate;
        }
    }

    /// Updates the RTT and loss history with a report and says what they show.
    fn signals(
        &mut self,
        now: Timestamp,
        elapsed: f64,
        rtt: Option<Duration>,
        (received, missing): (f64, f64),
    ) -> Signals {
        // Zero is the wire's "no sample yet", and would make every later RTT look queued.
        let rtt = rtt.filter(|rtt| !rtt.is_zero());
        let floor = rtt.map(|rtt| {
            self.base_rtt.insert(now, rtt);
            self.recent_rtt.insert(rtt)
        });
        let (queue, threshold) = match (floor, self.base_rtt.min(now)) {
            (Some(floor), Some(base)) => {
                let noise = Duration::from_secs_f64(self.recent_rtt.jitter * JITTER_MULTIPLE);
                (Some(floor.saturating_sub(base)), MIN_QUEUE_THRESHOLD.max(base.mul_f64(QUEUE_FRACTION)).max(noise))
            }
            _ => (None, MIN_QUEUE_THRESHOLD),
        };
        self.recent_loss.add(received, missing, elapsed);
        let loss_risen = self.recent_loss.ratio() > self.baseline_loss.ratio() * LOSS_RISE_FACTOR + LOSS_RISE_MARGIN;
        let signals = Signals { rtt, queue, threshold, loss_risen };
        // The baseline learns from calm moments only, so a congestion episode's drops do not
        // become the norm; a lasting rise in random loss is learnt, since the delay stays low.
        // A report that lost more than half its packets is an outage, not the random loss
        // FEC is sized for, and would inflate the delivered rate long after.
        if signals.calm() && missing <= received {
            self.baseline_loss.add(received, missing, elapsed);
        }
        signals
    }

    /// The current estimate in bits per second, within the configured bounds.
    pub fn estimate_bps(&self) -> u64 {
        self.estimate.round() as u64
    }

    /// A new rate for the application's encoder, when it has moved by more than 10% from the
    /// value last returned here (the start value before the first); `None` otherwise.
    ///
    /// The rate is the estimate smoothed over about a second, because the estimate itself
    /// probes and backs off in a sawtooth of +-10% that an encoder should not follow; but a
    /// fall of more than 25% is passed on at once, since the queue it means grows until the
    /// encoder slows down. Like the estimate, it counts every datagram: the encoder's share is
    /// this less the FEC repairs and retransmissions.
    pub fn poll_change(&mut self) -> Option<u64> {
        let smoothed = self.smoothed.round() as u64;
        let announced = self.announced as f64;
        if (smoothed as f64 - announced).abs() > announced * ANNOUNCE_THRESHOLD {
            self.announced = smoothed;
            Some(smoothed)
        } else {
            None
        }
    }

    /// Adds the report to the rate window, and closes the window once it spans enough time
    /// and packets.
    fn measure(&mut self, step: f64, report: &Report, received: u64, missing: u64) {
        // Reports lost, or the path down: what this report counts spans an unknown part of
        // the gap, so it starts a new window rather than dilute a rate.
        if step > MAX_STEP {
            self.window = Window::default();
            return;
        }
        self.window.span += step;
        self.window.received = self.window.received.saturating_add(received);
        self.window.missing = self.window.missing.saturating_add(missing);
        self.window.bytes_sent = self.window.bytes_sent.saturating_add(report.bytes_sent);
        self.window.packets_sent = self.window.packets_sent.saturating_add(report.packets_sent);
        let packets = self.window.received.saturating_add(self.window.missing);
        let enough = self.window.packets_sent.max(packets) >= RATE_WINDOW_PACKETS;
        if self.window.span < RATE_WINDOW || (!enough && self.window.span < RATE_WINDOW_LONGEST) {
            return;
        }
        let window = std::mem::take(&mut self.window);
        if window.packets_sent > 0 {
            self.packet_bytes = Some(window.bytes_sent as f64 / window.packets_sent as f64);
        } else if self.packet_bytes.is_none() && packets > 0 {
            self.packet_bytes = Some(window.bytes_sent as f64 / packets as f64);
        }
        self.sending = Some(window.bytes_sent as f64 * 8.0 / window.span);
        if let Some(bytes) = self.packet_bytes {
            let carried = 1.0 - self.baseline_loss.ratio().min(MAX_CORRECTED_LOSS);
            self.delivered = Some(window.received as f64 * bytes * 8.0 / window.span / carried);
        }
    }

    /// On a congestion signal, unless the RTT is falling. The path is known to be overloaded
    /// when it carries less than we send: then the bottleneck is busy, the delivered rate is
    /// its capacity, and cutting to 0.85 x that is safe on every report. Without that
    /// evidence the signal may be a queue seen late (a smoothed RTT lags by about a second),
    /// so a cut waits a round trip and 100 ms after the last, long enough for that one to
    /// show. Only such a cut also drains a long queue, since the queue it measures may
    /// already be partly gone.
    fn decrease(&mut self, now: Timestamp, signals: &Signals) {
        let (rtt, queue) = (signals.rtt.unwrap_or_default(), signals.queue.unwrap_or_default());
        let delivered = self.delivered.unwrap_or(self.estimate);
        let overloaded = self.sending.is_some_and(|sending| delivered < sending * OVERLOADED);
        let held = self.last_decrease.is_some_and(|then| then <= now && now < then + rtt + HOLD_AFTER_DECREASE);
        // A falling RTT means the queue is draining: whatever else the report says, we
        // already send less than the bottleneck serves.
        if self.recent_rtt.falling {
            return;
        }
        let target = if !held {
            self.last_decrease = Some(now);
            // Sending at `factor` x delivered empties a queue of q seconds at that rate in
            // q / (1 - factor) seconds.
            let factor = (1.0 - queue.as_secs_f64() / DRAIN_TIME).clamp(DEEPEST_CUT, DECREASE);
            let cut = delivered * factor;
            // A queue that cuts to the delivered rate have not emptied in seconds means the
            // measurement is inflated (by a baseline loss learnt too high, say): cut what we
            // send instead.
            if self.queued_since.is_some_and(|since| now.saturating_duration_since(since) >= STANDING_QUEUE) {
                cut.min(self.estimate * DECREASE)
            } else {
                cut
            }
        } else if overloaded {
            delivered * DECREASE
        } else {
            return;
        };
        // Where the bottleneck is. More than we send while a queue drains, but not by much:
        // that bounds a measurement inflated by a wrong baseline loss.
        self.congested_rate = Some(self.sending.map_or(delivered, |sending| delivered.min(sending * MAX_DRAIN_RATIO)));
        self.beyond_since = None;
        self.estimate = self.estimate.min(target);
    }

    /// While a queue drains after a cut deeper than 0.85 (to drain it), creeps back up to
    /// 0.85 x the rate the cut found, or that the path carries now if less: a smoothed RTT
    /// takes seconds to come down from a long queue, and holding the deep cut all that time
    /// would leave the path idle.
    fn recover(&mut self, step: f64) {
        if let Some(rate) = self.congested_rate {
            let ceiling = rate.min(self.delivered.unwrap_or(rate)) * DECREASE;
            if self.estimate < ceiling {
                self.estimate = (self.estimate + rate * ADDITIVE_GROWTH * step).min(ceiling);
            }
        }
    }

    /// Grows towards 1.5 x what we sent. Near the last congested rate, where the bottleneck
    /// was found, additively. Below that multiplicatively, to get back quickly. Above it the
    /// growth starts additive and accelerates the longer the path takes the extra without a
    /// queue: an RTT that shows the queue late (the receiver's smoothed RTT lags by about a
    /// second) then sees a small overshoot, and a link that gained capacity is still found in
    /// seconds.
    fn increase(&mut self, now: Timestamp, step: f64) {
        let Some(cap) = self.sending.map(|sending| sending * HEADROOM) else { return };
        if self.estimate >= cap {
            return;
        }
        // A queue shows a response time (one base RTT and a report or two) after it starts:
        // on longer paths probe more gently, so the overshoot by then stays about the same.
        let response = self.base_rtt.min(now).map_or(0.0, |base| base.as_secs_f64()) + RESPONSE_EXTRA;
        let fastest = (GROWTH_PER_RESPONSE / response).min(MULTIPLICATIVE_GROWTH);
        let grown = match self.congested_rate {
            Some(rate) if self.estimate > rate * NEAR_ABOVE => {
                let since = *self.beyond_since.get_or_insert(now);
                let growth = (PROBE_ACCELERATION * now.saturating_duration_since(since).as_secs_f64()).min(fastest);
                (self.estimate + rate * ADDITIVE_GROWTH * step).max(self.estimate * (1.0 + growth).powf(step))
            }
            Some(rate) if self.estimate >= rate * NEAR_BELOW => {
                self.beyond_since = None;
                self.estimate + rate * ADDITIVE_GROWTH * step
            }
            _ => {
                self.beyond_since = None;
                self.estimate * (1.0 + fastest).powf(step)
            }
        };
        self.estimate = grown.min(cap);
    }
}

/// Reports gathered for one rate measurement.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    span: f64,
    received: u64,
    missing: u64,
    bytes_sent: u64,
    packets_sent: u64,
}

#[cfg(test)]
mod tests;
