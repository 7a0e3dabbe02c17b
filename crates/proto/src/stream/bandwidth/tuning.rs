//! The estimator's constants: thresholds, growth and decrease factors, window lengths and
//! half-lives, each with the reason for its value.

use std::time::Duration;

/// Queueing delay above max(this, base RTT x `QUEUE_FRACTION`, the RTT's jitter x
/// `JITTER_MULTIPLE`) is a queue building.
pub(super) const MIN_QUEUE_THRESHOLD: Duration = Duration::from_millis(10);
pub(super) const QUEUE_FRACTION: f64 = 0.25;
pub(super) const JITTER_MULTIPLE: f64 = 3.0;
/// A decrease goes to this fraction of the delivered rate...
pub(super) const DECREASE: f64 = 0.85;
/// ...or lower, to empty the queue in about this long, but never below `DEEPEST_CUT` of it.
pub(super) const DRAIN_TIME: f64 = 1.0;
pub(super) const DEEPEST_CUT: f64 = 0.5;
/// A queue that lasts this long through decreases means the delivered rate is wrong.
pub(super) const STANDING_QUEUE: Duration = Duration::from_secs(2);
/// After a decrease, the next waits one RTT (for the cut to reach the queue) and this.
pub(super) const HOLD_AFTER_DECREASE: Duration = Duration::from_millis(100);
/// Growth per second away from the last congested rate (multiplicative, at most this, and
/// at most `GROWTH_PER_RESPONSE` per response time, a base RTT and `RESPONSE_EXTRA` seconds)
/// and near it (additive, as a fraction of that rate).
pub(super) const MULTIPLICATIVE_GROWTH: f64 = 0.5;
pub(super) const GROWTH_PER_RESPONSE: f64 = 0.07;
pub(super) const RESPONSE_EXTRA: f64 = 0.1;
pub(super) const ADDITIVE_GROWTH: f64 = 0.1;
/// "Near" the last congested rate: from this fraction of it...
pub(super) const NEAR_BELOW: f64 = 0.8;
/// ...to this multiple. Above it growth accelerates by this much per second per second.
pub(super) const NEAR_ABOVE: f64 = 1.15;
pub(super) const PROBE_ACCELERATION: f64 = 0.1;
/// The rate a decrease finds is taken to be at most this multiple of what we sent.
pub(super) const MAX_DRAIN_RATIO: f64 = 2.0;
/// The path carries less than this fraction of what we send: it is overloaded.
pub(super) const OVERLOADED: f64 = 0.9;
/// The estimate grows to at most this multiple of what we sent in the last window.
pub(super) const HEADROOM: f64 = 1.5;
/// The delivered and sending rates are measured over at least this long: a 50 ms report at
/// 1.5 Mbit/s holds 8 datagrams, too few for a rate.
pub(super) const RATE_WINDOW: f64 = 0.15;
/// And over at least this many packets, unless that takes longer than `RATE_WINDOW_LONGEST`
/// seconds: at 100 kbit/s a 150 ms window holds one or two.
pub(super) const RATE_WINDOW_PACKETS: u64 = 20;
pub(super) const RATE_WINDOW_LONGEST: f64 = 1.0;
/// A gap between reports counts as at most this much growth time, so that after a pause the
/// estimate resumes from where it was instead of jumping; a longer gap is no rate sample.
pub(super) const MAX_STEP: f64 = 0.5;
/// Half-lives, in packets and in seconds (whichever comes first), of the recent loss and of
/// the baseline: in packets so that a fast stream averages enough of them, in seconds so that
/// a slow one does not remember an outage for minutes.
pub(super) const RECENT_HALF_LIFE: f64 = 100.0;
pub(super) const RECENT_HALF_LIFE_SECONDS: f64 = 1.0;
pub(super) const BASELINE_HALF_LIFE: f64 = 2_000.0;
pub(super) const BASELINE_HALF_LIFE_SECONDS: f64 = 20.0;
/// Recent loss above baseline x `LOSS_RISE_FACTOR` + `LOSS_RISE_MARGIN` has risen: at 5%
/// baseline loss that is 10.5%, four standard deviations of the recent average.
pub(super) const LOSS_RISE_FACTOR: f64 = 1.5;
pub(super) const LOSS_RISE_MARGIN: f64 = 0.03;
/// Loss correction of the delivered rate trusts the baseline up to this much.
pub(super) const MAX_CORRECTED_LOSS: f64 = 0.5;
/// A count larger than this in one report is a reordered report's wrapping difference.
pub(super) const MAX_COUNT: u64 = 1 << 30;
/// `poll_change` announces moves larger than this fraction of the last announced value, of
/// the estimate averaged over `SMOOTHING` seconds, or at once a fall below the average of
/// more than `PROMPT_DROP`.
pub(super) const ANNOUNCE_THRESHOLD: f64 = 0.1;
pub(super) const SMOOTHING: f64 = 1.0;
pub(super) const PROMPT_DROP: f64 = 0.25;
