//! What one receiver report shows the estimator, and the three readings it acts on: a queue
//! building, loss that is congestion, and calm.

use std::time::Duration;

/// What one report shows: the RTT, the queueing delay above the base and the threshold it is
/// held against, and whether loss has risen above its baseline.
#[derive(Clone, Copy, Debug)]
pub(super) struct Signals {
    pub(super) rtt: Option<Duration>,
    pub(super) queue: Option<Duration>,
    pub(super) threshold: Duration,
    pub(super) loss_risen: bool,
}

impl Signals {
    pub(super) fn queue_high(&self) -> bool {
        self.queue.is_some_and(|q| q > self.threshold)
    }

    /// Risen loss is congestion when some queue (a quarter of the threshold) comes with it,
    /// which is what a shallow buffer overflowing looks like; or when there is no RTT to tell.
    pub(super) fn loss_congestion(&self) -> bool {
        self.loss_risen && self.queue.is_none_or(|q| q > self.threshold / 4)
    }

    /// No more than half the threshold of queue (or no RTT to tell): room to grow.
    pub(super) fn calm(&self) -> bool {
        self.queue.is_none_or(|q| q <= self.threshold / 2)
    }
}
