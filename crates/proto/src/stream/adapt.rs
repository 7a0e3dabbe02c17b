//! Adaptive redundancy: receiver reports drive the sender's block duration and repair ratio
//! (seed 001: a feedback channel adjusts the FEC), within configured bounds.
//!
//! From the reports' differences the sender estimates the path's loss rate p and mean burst
//! length b, as ratios of exponentially decayed packet counts (a half-life in packets, not
//! reports, so the estimate is unbiased however the packets fall into reports), and takes the
//! receiver's round-trip time. Then:
//! - Block duration. When NACK can still repair within the budget (RTT well below the
//!   latency), blocks stay short, at most 0.45 (latency - RTT), because everything behind a loss
//!   waits for its block's repairs. When it cannot, FEC is all there is, and blocks grow to
//!   half the budget: a larger block corrects the same loss with a smaller ratio. With no
//!   loss seen, blocks span 0.9 of the budget and carry a single repair.
//! - Repair count. The least m for which a block of the expected size k' (the send rate
//!   times the duration, at most k) fails with probability below a target, under a
//!   Gilbert-Elliott loss model with the estimated p and b; the target is looser when NACK
//!   backs FEC up.
//!
//! The failure model is Reed-Solomon's (a block fails only past m losses) whatever code the
//! sender uses: XOR and mirrored LT get the repair count Reed-Solomon would need and so fail
//! more often than the target. Adaptation stays on for them anyway, because its other half,
//! block durations that leave NACK time within the budget and track the send rate, matters as
//! much to them; NACK repairs what their weaker recovery leaves. A stream that must rely on FEC
//! alone should keep Reed-Solomon.

use std::time::Duration;

use crate::time::Timestamp;
use crate::wire::v1::Feedback;

/// The bounds adaptation stays within.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptBounds {
    /// Repair symbols per source at least, rounded to the nearest whole repair (a block always
    /// gets at least one).
    pub min_ratio: f64,
    /// Repair symbols per source at most.
    pub max_ratio: f64,
}

impl Default for AdaptBounds {
    fn default() -> Self {
        AdaptBounds { min_ratio: 0.02, max_ratio: 0.6 }
    }
}

/// What the sender should do now: blocks of `k` sources and `m` repairs, closed early after
/// `block_time` if the sources come slower than expected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Setting {
    pub(crate) block_time: Duration,
    pub(crate) k: usize,
    pub(crate) m: usize,
}

/// Loss below this is treated as none.
const NO_LOSS: f64 = 0.001;
/// Packets over which the weight of past reports halves.
const HALF_LIFE_PACKETS: f64 = 400.0;
/// What the sender believes before any report, as if it had seen this many packets with this
/// loss: a path is not taken to be clean until a few half-lives of reports say so, so a
/// stream's first blocks are not sized for no loss on the strength of its first 30 packets.
const PRIOR_PACKETS: f64 = 20.0;
const PRIOR_LOSS: f64 = 0.01;
/// Block failure probability aimed at when NACK backs FEC up, and when it cannot.
const TARGET_WITH_NACK: f64 = 4e-3;
const TARGET_FEC_ONLY: f64 = 2e-4;

/// The sender's estimates and the reports they came from.
#[derive(Debug)]
pub(crate) struct Adapter {
    bounds: AdaptBounds,
    rtt: Option<Duration>,
    last: Option<Feedback>,
    /// Decayed counts of packets received and missing, and of loss runs.
    received: f64,
    missing: f64,
    bursts: f64,
    /// Sources per second, and the count and time it was last measured from.
    rate: f64,
    rate_mark: Option<(u64, Timestamp)>,
}

impl Adapter {
    pub(crate) fn new(bounds: AdaptBounds) -> Self {
        Adapter {
            bounds,
            rtt: None,
            last: None,
            received: PRIOR_PACKETS * (1.0 - PRIOR_LOSS),
            missing: PRIOR_PACKETS * PRIOR_LOSS,
            bursts: PRIOR_PACKETS * PRIOR_LOSS,
            rate: 0.0,
            rate_mark: None,
        }
    }

    /// Loss rate, mean burst length and round-trip time as estimated now.
    pub(crate) fn estimates(&self) -> (f64, f64, Option<Duration>) {
        let total = self.received + self.missing;
        let loss = if total > 0.0 { self.missing / total } else { 0.0 };
        let burst = if self.bursts > 0.0 { (self.missing / self.bursts).max(1.0) } else { 1.0 };
        (loss, burst, self.rtt)
    }

    /// Folds in a report, with `sent` sources sent so far at `now`.
    pub(crate) fn report(&mut self, feedback: Feedback, sent: u64, now: Timestamp) {
        if feedback.rtt_micros > 0 {
            self.rtt = Some(Duration::from_micros(u64::from(feedback.rtt_micros)));
        }
        self.measure_rate(sent, now);
        let Some(last) = self.last.replace(feedback) else { return };
        // Wrapping differences; a report older than the last (reordered) gives huge ones.
        let delta = |now: u32, then: u32| u64::from(now.wrapping_sub(then));
        let (received, missing, bursts) = (
            delta(feedback.received, last.received),
            delta(feedback.missing, last.missing),
            delta(feedback.bursts, last.bursts),
        );
        if received > 1 << 30 || missing > 1 << 30 {
            self.last = Some(last);
            return;
        }
        let decay = 0.5f64.powf((received + missing) as f64 / HALF_LIFE_PACKETS);
        self.received = self.received * decay + received as f64;
        self.missing = self.missing * decay + missing as f64;
        self.bursts = self.bursts * decay + bursts as f64;
    }

    /// The block duration and shape for a stream with a `latency` budget, at most `max_k`
    /// sources per block, with or without NACK; `None` until the send rate is known (two
    /// reports 200 ms apart), since blocks are sized by how many sources a span of time holds.
    pub(crate) fn setting(&self, latency: Duration, max_k: usize, nack: bool) -> Option<Setting> {
        if self.rate <= 0.0 {
            return None;
        }
        let (loss, burst, _) = self.estimates();
        let rtt = self.rtt.unwrap_or(latency);
        let arq = nack && rtt + Duration::from_millis(10) < latency;
        if loss < NO_LOSS {
            let block_time = latency.mul_f64(0.9);
            let k = (self.rate * block_time.as_secs_f64()).floor().clamp(1.0, max_k as f64) as usize;
            let m = ((k as f64 * self.bounds.min_ratio).round() as usize).max(1);
            return Some(Setting { block_time, k, m });
        }
        let longest = if arq { (latency - rtt).mul_f64(0.45) } else { latency / 2 }.max(Duration::from_millis(2));
        let most = (self.rate * longest.as_secs_f64()).floor().clamp(1.0, max_k as f64) as usize;
        let target = if arq { TARGET_WITH_NACK } else { TARGET_FEC_ONLY };
        // Repairs come in whole symbols, so a slightly shorter block can need a smaller ratio
        // (at 5%: 14 sources need 3 repairs, 15 need 4): take the cheapest size up to the
        // longest block allowed, the shorter on a tie.
        let (k, m) = (most.div_ceil(2)..=most)
            .map(|k| (k, repairs_needed(k, loss, burst, target, ((k as f64 * self.bounds.max_ratio).ceil() as usize).max(1))))
            .min_by(|(k1, m1), (k2, m2)| (m1 * k2).cmp(&(m2 * k1)).then(k1.cmp(k2)))
            .expect("the range holds at least `most`");
        let m = m.clamp((k as f64 * self.bounds.min_ratio).round() as usize, (k as f64 * self.bounds.max_ratio).ceil() as usize).max(1);
        Some(Setting { block_time: longest, k, m })
    }

    fn measure_rate(&mut self, sent: u64, now: Timestamp) {
        match self.rate_mark {
            Some((then_sent, then)) if now.saturating_duration_since(then) >= Duration::from_millis(200) => {
                let seconds = now.saturating_duration_since(then).as_secs_f64();
                let sample = sent.saturating_sub(then_sent) as f64 / seconds;
                self.rate = if self.rate == 0.0 { sample } else { self.rate + 0.3 * (sample - self.rate) };
                self.rate_mark = Some((sent, now));
            }
            Some(_) => {}
            None => self.rate_mark = Some((sent, now)),
        }
    }
}

/// The least m (at most `max_m`) for which k sources plus m repairs lose more than m symbols
/// with probability at most `target`, when losses follow a Gilbert-Elliott chain with long-run
/// loss `p` and mean burst `burst`.
///
/// The chain's "bad" state loses every packet: it is entered from "good" with probability
/// q = p r / (1 - p) and left with r = 1 / burst, so its share of time is p and its runs last
/// `burst` on average. A burst below 1 / (1 - p) would be shorter than independent losses
/// give, so it is raised to that, which makes the chain exactly i.i.d. losses.
pub(crate) fn repairs_needed(k: usize, p: f64, burst: f64, target: f64, max_m: usize) -> usize {
    let p = p.clamp(0.0, 0.5);
    if p == 0.0 {
        return 1;
    }
    let burst = burst.max(1.0 / (1.0 - p));
    let leave = 1.0 / burst;
    let enter = p * leave / (1.0 - p);
    let max_n = (k + max_m).min(fec::MAX_SHARDS);
    // good[l], bad[l]: probability of l losses so far and the chain in that state.
    let mut good = vec![0.0; max_n + 1];
    let mut bad = vec![0.0; max_n + 1];
    // The next packet's distributions, swapped in after each step rather than allocated.
    let (mut next_good, mut next_bad) = (vec![0.0; max_n + 1], vec![0.0; max_n + 1]);
    // The first packet: lost with probability p.
    good[0] = 1.0 - p;
    bad[1] = p;
    for n in 1..=max_n {
        if n > k {
            let m = n - k;
            let fail: f64 = (m + 1..=n).map(|l| good[l] + bad[l]).sum();
            if fail <= target {
                return m;
            }
        }
        if n == max_n {
            break;
        }
        next_good.fill(0.0);
        next_bad.fill(0.0);
        for l in 0..=n {
            let (g, b) = (good[l], bad[l]);
            if g == 0.0 && b == 0.0 {
                continue;
            }
            next_good[l] += g * (1.0 - enter) + b * leave;
            if l < max_n {
                next_bad[l + 1] += g * enter + b * (1.0 - leave);
            }
        }
        std::mem::swap(&mut good, &mut next_good);
        std::mem::swap(&mut bad, &mut next_bad);
    }
    max_m.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_losses_match_the_binomial_tail() {
        // Binomial(25, 0.05): P(X >= 5) = 0.0072, P(X >= 6) = 0.0012.
        assert_eq!(repairs_needed(20, 0.05, 1.0, 3e-3, 64), 5);
        assert_eq!(repairs_needed(20, 0.05, 1.0, 1e-2, 64), 4);
        assert_eq!(repairs_needed(20, 0.0, 1.0, 1e-3, 64), 1);
    }

    #[test]
    fn bursts_need_more_repairs_than_the_same_loss_spread_out() {
        let spread = repairs_needed(16, 0.05, 1.0, 3e-3, 64);
        let bursty = repairs_needed(16, 0.05, 4.0, 3e-3, 64);
        assert!(bursty > spread + 2, "{bursty} vs {spread}");
        assert_eq!(repairs_needed(16, 0.4, 8.0, 1e-9, 10), 10, "capped");
    }

    fn report(adapter: &mut Adapter, received: u32, missing: u32, bursts: u32, ms: u64) {
        let feedback = Feedback { received, missing, bursts, rtt_micros: 40_000, ..Feedback::default() };
        adapter.report(feedback, u64::from(received + missing), Timestamp::from_micros(ms * 1000));
    }

    #[test]
    fn reports_drive_the_setting() {
        let mut adapter = Adapter::new(AdaptBounds::default());
        let latency = Duration::from_millis(120);
        report(&mut adapter, 0, 0, 0, 0);
        assert_eq!(adapter.setting(latency, 64, true), None, "no rate yet: keep the configured start");
        report(&mut adapter, 100, 0, 0, 200);
        let early = adapter.setting(latency, 64, true).unwrap();
        assert_eq!(early.block_time, Duration::from_millis(36), "100 clean packets do not outweigh the prior: {early:?}");
        for second in 2..=4 {
            report(&mut adapter, 500 * second, 0, 0, u64::from(second) * 1000);
        }
        let calm = adapter.setting(latency, 64, true).unwrap();
        assert_eq!(calm, Setting { block_time: Duration::from_millis(108), k: 54, m: 1 });
        for second in 5..11 {
            report(&mut adapter, 500 * second as u32, 25 * (second as u32 - 4), 24 * (second as u32 - 4), second * 1000);
        }
        let (loss, burst, rtt) = adapter.estimates();
        assert!((loss - 0.0476).abs() < 0.005 && burst < 1.1, "{loss} {burst}");
        assert_eq!(rtt, Some(Duration::from_millis(40)));
        let lossy = adapter.setting(latency, 64, true).unwrap();
        assert_eq!(lossy.block_time, Duration::from_millis(36));
        let ratio = |s: Setting| s.m as f64 / s.k as f64;
        assert!(lossy.k <= 18 && ratio(lossy) > 0.15 && ratio(lossy) < 0.3, "{lossy:?}");
        let fec_only = adapter.setting(latency, 64, false).unwrap();
        assert_eq!(fec_only.block_time, Duration::from_millis(60));
        assert!(fec_only.k > lossy.k && ratio(fec_only) < 0.33, "bigger blocks, smaller ratio: {fec_only:?}");
    }
}
