//! The estimator's unit tests, on a virtual clock.

use super::*;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_micros(ms * 1000)
}

fn report(ms: u64, packets: u64, missing: u64, rtt_ms: u64) -> Report {
    Report {
        now: at(ms),
        packets_sent: packets + missing,
        bytes_sent: (packets + missing) * 1200,
        packets_received: packets,
        packets_missing: missing,
        rtt: Some(Duration::from_millis(rtt_ms)),
    }
}

#[test]
fn the_base_rtt_is_the_least_of_the_last_ten_seconds() {
    let mut filter = MinFilter::default();
    filter.insert(at(500), Duration::from_millis(40));
    filter.insert(at(1_500), Duration::from_millis(60));
    filter.insert(at(1_700), Duration::from_millis(55));
    assert_eq!(filter.min(at(9_999)), Some(Duration::from_millis(40)));
    assert_eq!(filter.min(at(10_000)), Some(Duration::from_millis(55)), "the first second expired");
    assert_eq!(filter.min(at(12_000)), None);
    filter.insert(at(12_000), Duration::from_millis(70));
    assert_eq!(filter.min(at(12_000)), Some(Duration::from_millis(70)));
}

#[test]
fn config_is_made_consistent() {
    let estimator = BandwidthEstimator::new(BandwidthConfig { min_bps: 0, max_bps: 0, start_bps: 5 });
    assert_eq!(estimator.config(), BandwidthConfig { min_bps: 1, max_bps: 1, start_bps: 1 });
    let estimator = BandwidthEstimator::new(BandwidthConfig { min_bps: 1000, max_bps: 2000, start_bps: 5000 });
    assert_eq!(estimator.estimate_bps(), 2000);
}

/// 21 datagrams of 1200 bytes per 50 ms report is 4.03 Mbit/s.
fn steady(estimator: &mut BandwidthEstimator, from_ms: u64, to_ms: u64, rtt_ms: u64) {
    for ms in (from_ms..to_ms).step_by(50) {
        estimator.on_report(report(ms, 21, 0, rtt_ms));
    }
}

#[test]
fn a_queue_cuts_to_the_delivered_rate_and_repeated_cuts_do_not_compound() {
    let mut estimator = BandwidthEstimator::new(BandwidthConfig { start_bps: 5_000_000, ..Default::default() });
    steady(&mut estimator, 0, 600, 40);
    let before = estimator.estimate_bps();
    assert!(before > 5_000_000, "no queue, no cut: {before}");
    // A queue appears: the RTT climbs 20 ms above the base. One sample could be jitter;
    // the second confirms it.
    estimator.on_report(report(600, 21, 0, 60));
    assert!(estimator.estimate_bps() >= before);
    estimator.on_report(report(650, 21, 0, 61));
    let cut = estimator.estimate_bps() as f64;
    assert!((cut / (0.85 * 4_032_000.0) - 1.0).abs() < 0.01, "{cut}");
    // The RTT keeps climbing while the cut takes effect (the path still carries 4 Mbit/s
    // here): cuts go on, but to the same delivered rate, so they do not compound.
    for (i, ms) in (700..1_500).step_by(50).enumerate() {
        estimator.on_report(report(ms, 21, 0, 62 + i as u64));
    }
    assert_eq!(estimator.estimate_bps() as f64, cut);
}

#[test]
fn a_falling_rtt_is_a_queue_draining_and_holds() {
    let mut estimator = BandwidthEstimator::new(BandwidthConfig { start_bps: 3_000_000, ..Default::default() });
    steady(&mut estimator, 0, 500, 40);
    steady(&mut estimator, 500, 600, 100);
    let before = estimator.estimate_bps();
    assert!(estimator.last_decrease.is_some());
    // Well above the threshold, and the path carries less than we send, but the RTT is
    // lower at each report: the queue drains, so hold, neither cut nor grow.
    for (i, ms) in (600..1_500).step_by(50).enumerate() {
        estimator.on_report(report(ms, 15, 0, 98 - 2 * i as u64));
    }
    assert_eq!(estimator.estimate_bps(), before);
}

#[test]
fn jitter_raises_the_threshold() {
    let mut estimator = BandwidthEstimator::new(BandwidthConfig { start_bps: 3_000_000, ..Default::default() });
    // RTTs between 40 and 58 ms: 18 ms above the base at times, never twice in a row.
    for (i, ms) in (0..5_000).step_by(50).enumerate() {
        estimator.on_report(report(ms, 21, 0, [40, 58, 45, 52][i % 4]));
    }
    assert!(estimator.last_decrease.is_none());
    assert!(estimator.recent_rtt.jitter > 0.008, "{}", estimator.recent_rtt.jitter);
}

#[test]
fn steady_random_loss_is_not_congestion() {
    let mut estimator = BandwidthEstimator::new(BandwidthConfig::default());
    for i in 0..200 {
        // 10% loss, RTT flat.
        estimator.on_report(report(i * 50, 18, 2, 40));
    }
    assert!(estimator.last_decrease.is_none());
    assert!((estimator.baseline_loss.ratio() - 0.1).abs() < 0.01);
    // Delivered, corrected for the baseline, is what was sent.
    let delivered = estimator.delivered.unwrap();
    assert!((delivered / 3_840_000.0 - 1.0).abs() < 0.02, "{delivered}");
}

#[test]
fn risen_loss_with_a_queue_is_congestion_and_without_one_only_holds() {
    let mut estimator = BandwidthEstimator::new(BandwidthConfig::default());
    for i in 0..100 {
        estimator.on_report(report(i * 50, 19, 1, 40));
    }
    let calm = estimator.estimate_bps();
    // Loss triples, the RTT stays flat: hold, do not cut.
    for i in 100..110 {
        estimator.on_report(report(i * 50, 17, 3, 40));
    }
    assert!(estimator.last_decrease.is_none() && estimator.estimate_bps() == calm);
    // The same with a small queue (5 ms, under the 10 ms threshold): cut.
    estimator.on_report(report(110 * 50, 16, 4, 45));
    estimator.on_report(report(111 * 50, 16, 4, 46));
    assert!(estimator.last_decrease.is_some() && estimator.estimate_bps() < calm);
}

#[test]
fn growth_is_capped_by_what_was_sent() {
    let mut estimator = BandwidthEstimator::new(BandwidthConfig::default());
    // 1 Mbit/s sent, never a queue: the estimate stops at 1.5 Mbit/s.
    for i in 0..400 {
        estimator.on_report(Report {
            now: at(i * 50),
            packets_sent: 5,
            bytes_sent: 6_250,
            packets_received: 5,
            packets_missing: 0,
            rtt: Some(Duration::from_millis(30)),
        });
    }
    assert_eq!(estimator.estimate_bps(), 1_500_000);
    // The application pauses: nothing sent, the estimate stays.
    for i in 400..500 {
        estimator.on_report(Report { now: at(i * 50), ..Report::default() });
    }
    assert_eq!(estimator.estimate_bps(), 1_500_000);
}
