//! Turns the receiver's cumulative FEEDBACK counters, and the sender's own, into the interval
//! reports the bandwidth estimator reads.

use std::time::Duration;

use super::bandwidth::{BandwidthConfig, BandwidthEstimator, Report};
use crate::time::Timestamp;
use crate::wire::v1::Feedback;

/// Counters as of the previous report.
#[derive(Clone, Copy, Debug)]
struct Mark {
    received: u32,
    missing: u32,
    packets_sent: u32,
    bytes_sent: u64,
}

/// A sender's bandwidth estimate towards its receiver.
#[derive(Debug)]
pub(crate) struct BandwidthFeed {
    estimator: BandwidthEstimator,
    last: Option<Mark>,
}

impl BandwidthFeed {
    pub fn new(config: BandwidthConfig) -> Self {
        BandwidthFeed { estimator: BandwidthEstimator::new(config), last: None }
    }

    /// A FEEDBACK arrived; `packets_sent` and `bytes_sent` are the sender's running totals.
    pub fn report(&mut self, feedback: &Feedback, packets_sent: u32, bytes_sent: u64, now: Timestamp) {
        let mark = Mark { received: feedback.received, missing: feedback.missing, packets_sent, bytes_sent };
        let Some(last) = self.last.replace(mark) else { return };
        self.estimator.on_report(Report {
            now,
            packets_sent: u64::from(mark.packets_sent.wrapping_sub(last.packets_sent)),
            bytes_sent: mark.bytes_sent.saturating_sub(last.bytes_sent),
            packets_received: u64::from(mark.received.wrapping_sub(last.received)),
            packets_missing: u64::from(mark.missing.wrapping_sub(last.missing)),
            rtt: (feedback.rtt_micros > 0).then(|| Duration::from_micros(u64::from(feedback.rtt_micros))),
        });
    }

    /// Bits per second the path carries, as estimated now (what a pacer should use).
    pub fn estimate_bps(&self) -> u64 {
        self.estimator.estimate_bps()
    }

    /// The smoothed estimate, when it moved enough to tell the application.
    pub fn poll_change(&mut self) -> Option<u64> {
        self.estimator.poll_change()
    }
}
