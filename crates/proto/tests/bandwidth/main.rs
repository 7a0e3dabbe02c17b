//! The bandwidth estimator against a simulated bottleneck on a virtual clock: a FIFO queue
//! served at C bit/s with a byte limit (drop-tail), propagation delay, and random loss after
//! the queue that has nothing to do with it. The sender sends 1200-byte datagrams, paced at
//! the lesser of what the application wants and the estimate; the receiver reports every
//! 50 ms its cumulative counts and the RTT it sees (twice the propagation delay plus the
//! queueing delay of the last packet), and the sender turns them into deltas, as it will
//! with FEEDBACK.

#[path = "../common/mod.rs"]
mod common;
mod bottleneck;

use std::time::Duration;

use bottleneck::*;
use common::Rng;
use proto::stream::{BandwidthConfig, BandwidthEstimator, BandwidthReport};
use proto::Timestamp;

#[test]
fn converges_to_the_bottleneck_with_a_bounded_queue() {
    for smoothed_rtt in [false, true] {
        let scenario = Scenario { smoothed_rtt, ..Scenario::bottleneck(4.0 * MBIT) };
        let trace = run(&scenario, &mut estimator());
        trace.print(&format!("4 Mbit/s, smoothed RTT {smoothed_rtt}"), 1.0);
        let settled = trace.settled(0.0, 30.0, |s| (s.estimate / s.capacity - 1.0).abs() <= 0.25).unwrap();
        let w = trace.window(10.0, 30.0);
        println!("  within 25% from {settled:.1} s; 10-30 s: {w:.3?}");
        assert!(settled < 8.0, "converged at {settled} s");
        assert!(w.min >= 3.0 * MBIT && w.max <= 5.0 * MBIT, "{w:?}");
        assert!((w.mean / (4.0 * MBIT) - 1.0).abs() < 0.15, "{w:?}");
        assert!(w.max_queue < Duration::from_millis(100), "{w:?}");
        assert!(w.utilisation > 0.8, "{w:?}");
    }
}

#[test]
fn random_loss_repaired_by_fec_does_not_collapse_the_estimate() {
    for loss in [0.05, 0.10] {
        for seed in 1..=5 {
            let scenario = Scenario { loss, seed, ..Scenario::bottleneck(4.0 * MBIT) };
            let trace = run(&scenario, &mut estimator());
            let w = trace.window(10.0, 30.0);
            println!("4 Mbit/s, {:.0}% loss, seed {seed}: 10-30 s: {w:.3?}", loss * 100.0);
            assert!(w.min >= 0.7 * 4.0 * MBIT, "{w:?}");
            assert!(w.max <= 1.25 * 4.0 * MBIT, "{w:?}");
            assert!(w.max_queue < Duration::from_millis(100), "{w:?}");
        }
        // The test tells the two apart: a loss-based controller starves the same link.
        let scenario = Scenario { loss, ..Scenario::bottleneck(4.0 * MBIT) };
        let mut loss_based = LossBased { rate: 1.0 * MBIT, received: 0, missing: 0, since: None };
        let trace = run(&scenario, &mut loss_based);
        let w = trace.window(10.0, 30.0);
        println!("  loss-based: 10-30 s: {w:.3?}");
        assert!(w.max < 0.7 * 4.0 * MBIT, "{w:?}");
    }
}

#[test]
fn follows_the_capacity_down_and_back_up() {
    for smoothed_rtt in [false, true] {
        let scenario = Scenario {
            capacity: vec![(0.0, 4.0 * MBIT), (20.0, 1.5 * MBIT), (40.0, 4.0 * MBIT)],
            seconds: 60.0,
            smoothed_rtt,
            ..Scenario::bottleneck(4.0 * MBIT)
        };
        let trace = run(&scenario, &mut estimator());
        trace.print(&format!("4 -> 1.5 -> 4 Mbit/s, smoothed RTT {smoothed_rtt}"), 1.0);
        let within = |band: f64| move |s: &Sample| (s.estimate / s.capacity - 1.0).abs() <= band;
        let down = trace.settled(20.0, 40.0, within(0.3)).unwrap() - 20.0;
        let up = trace.settled(40.0, 60.0, within(0.25)).unwrap() - 40.0;
        let (drop, low, rise, high) =
            (trace.window(20.0, 23.0), trace.window(23.0, 40.0), trace.window(40.0, 50.0), trace.window(50.0, 60.0));
        println!(
            "  down: within 30% after {down:.1} s, queue at most {:?} in 20-23 s; 23-40 s: {low:.3?}",
            drop.max_queue
        );
        println!(
            "  up: within 25% after {up:.1} s, queue at most {:?} in 40-50 s; 50-60 s: {high:.3?}",
            rise.max_queue
        );
        assert!(down < 3.0, "{down}");
        assert!(up < 10.0, "{up}");
        assert!(low.max_queue < Duration::from_millis(100), "{low:?}");
        assert!(high.max_queue < Duration::from_millis(100), "{high:?}");
    }
}

#[test]
fn announces_moves_and_is_quiet_while_steady() {
    // The application sends 2 Mbit/s over a 20 Mbit/s link: the estimate climbs to 1.5 x
    // that and stays.
    let scenario = Scenario {
        app_bps: 2.0 * MBIT,
        seconds: 40.0,
        queue_limit_bytes: 750_000,
        ..Scenario::bottleneck(20.0 * MBIT)
    };
    let mut steady = estimator();
    let trace = run(&scenario, &mut steady);
    println!("app-limited: announcements {:?}", trace.announcements);
    assert!(!trace.announcements.is_empty());
    assert!(trace.announcements.iter().all(|&(t, _)| t < 20.0), "{:?}", trace.announcements);
    assert!((steady.estimate_bps() as f64 / 3e6 - 1.0).abs() < 0.05, "{}", steady.estimate_bps());
    let mut previous = BandwidthConfig::default().start_bps as f64;
    for &(_, value) in &trace.announcements {
        assert!((value as f64 / previous - 1.0).abs() > 0.1, "{value} after {previous}");
        previous = value as f64;
    }
    let last = trace.announcements.last().unwrap().1 as f64;
    assert!((last / 3e6 - 1.0).abs() < 0.1, "the last move is announced: {last}");

    // The capacity drops under the application: the drop is announced within a second. The
    // estimate's sawtooth around either capacity is not.
    let scenario = Scenario {
        capacity: vec![(0.0, 4.0 * MBIT), (20.0, 1.5 * MBIT)],
        seconds: 40.0,
        ..Scenario::bottleneck(4.0 * MBIT)
    };
    let trace = run(&scenario, &mut estimator());
    let per_10s = |from: f64| trace.announcements.iter().filter(|(t, _)| *t >= from && *t < from + 10.0).count();
    println!("4 -> 1.5 Mbit/s: announcements {:?}", trace.announcements);
    println!("  10-20 s at 4 Mbit/s: {}, 20-30 s: {}, 30-40 s at 1.5: {}", per_10s(10.0), per_10s(20.0), per_10s(30.0));
    let (at, value) = *trace.announcements.iter().find(|&&(t, v)| t >= 20.0 && (v as f64) < 2.0 * MBIT).unwrap();
    assert!(at < 21.0, "{at} {value}");
    assert!(per_10s(10.0) == 0 && per_10s(30.0) <= 1, "{:?}", trace.announcements);
}

/// Two seconds in which nothing gets through either way, then a report of hundreds of packets
/// missing: an outage, not the path's random loss, so it must not become the loss baseline
/// (which would inflate the delivered rate for long after).
#[test]
fn an_outage_leaves_no_trace() {
    for loss in [0.0, 0.05] {
        let scenario = Scenario { outage: Some((10.0, 12.0)), loss, ..Scenario::bottleneck(4.0 * MBIT) };
        let trace = run(&scenario, &mut estimator());
        trace.print(&format!("outage at 10-12 s, {:.0}% loss", loss * 100.0), 1.0);
        let after = trace.settled(12.0, 30.0, |s| (s.estimate / s.capacity - 1.0).abs() <= 0.25).unwrap() - 12.0;
        let w = trace.window(17.0, 30.0);
        println!("  within 25% {after:.1} s after; 17-30 s: {w:.3?}");
        assert!(after < 5.0, "{after}");
        assert!((w.mean / (4.0 * MBIT) - 1.0).abs() < 0.15 && w.max_queue < Duration::from_millis(100), "{w:?}");
    }
}

/// The bounds win over the path: never above the maximum on a fast link, never below the
/// minimum on one slower than it (whatever the queue).
#[test]
fn stays_within_bounds() {
    let config = BandwidthConfig { min_bps: 500_000, max_bps: 3_000_000, start_bps: 1_000_000 };
    for capacity in [10.0 * MBIT, 0.2 * MBIT] {
        let scenario = Scenario { seconds: 20.0, ..Scenario::bottleneck(capacity) };
        let trace = run(&scenario, &mut BandwidthEstimator::new(config));
        let w = trace.window(0.0, 20.0);
        println!("bounds 0.5-3 Mbit/s at {:.1} Mbit/s: {w:.3?}", capacity / MBIT);
        assert!(w.min >= 500_000.0 && w.max <= 3_000_000.0, "{w:?}");
    }
}

#[test]
fn absurd_reports_neither_panic_nor_poison_the_estimate() {
    let config = BandwidthConfig::default();
    let mut estimator = BandwidthEstimator::new(config);
    let at = |ms: u64| Timestamp::from_micros(ms * 1000);
    let normal = |ms: u64| BandwidthReport {
        now: at(ms),
        packets_sent: 20,
        bytes_sent: 24_000,
        packets_received: 20,
        packets_missing: 0,
        rtt: Some(Duration::from_millis(40)),
    };
    let absurd = [
        BandwidthReport { now: at(0), ..BandwidthReport::default() },
        BandwidthReport { now: at(0), ..BandwidthReport::default() },
        BandwidthReport { packets_missing: 1_000, packets_received: 1, ..normal(50) },
        BandwidthReport { packets_missing: u64::MAX, packets_received: u64::MAX, ..normal(100) },
        BandwidthReport { bytes_sent: u64::MAX, packets_sent: 1, ..normal(150) },
        BandwidthReport { bytes_sent: u64::MAX, packets_sent: 0, packets_received: 0, ..normal(200) },
        BandwidthReport { packets_sent: u64::MAX, bytes_sent: 0, ..normal(250) },
        BandwidthReport { rtt: Some(Duration::ZERO), ..normal(300) },
        BandwidthReport { rtt: Some(Duration::MAX), ..normal(350) },
        BandwidthReport { rtt: None, ..normal(400) },
        BandwidthReport { now: at(10), ..normal(0) },
        BandwidthReport { now: Timestamp::from_micros(u64::MAX), ..normal(0) },
        BandwidthReport { now: Timestamp::from_micros(u64::MAX), ..normal(0) },
        BandwidthReport { now: at(500), ..normal(0) },
    ];
    for report in absurd {
        estimator.on_report(report);
        let estimate = estimator.estimate_bps();
        assert!(estimate >= config.min_bps && estimate <= config.max_bps, "{estimate} after {report:?}");
        let _ = estimator.poll_change();
    }
    // Random reports, any field anything: the estimate and every announcement stay in bounds.
    let mut rng = Rng::new(99);
    let mut fuzzed = BandwidthEstimator::new(config);
    let any = |rng: &mut Rng| match rng.below(4) {
        0 => 0,
        1 => rng.below(100),
        2 => rng.below(1 << 40),
        _ => rng.next_u64(),
    };
    for _ in 0..100_000 {
        let report = BandwidthReport {
            now: Timestamp::from_micros(any(&mut rng)),
            packets_sent: any(&mut rng),
            bytes_sent: any(&mut rng),
            packets_received: any(&mut rng),
            packets_missing: any(&mut rng),
            rtt: rng.chance(0.9).then(|| Duration::from_micros(any(&mut rng))),
        };
        fuzzed.on_report(report);
        let estimate = fuzzed.estimate_bps();
        assert!(estimate >= config.min_bps && estimate <= config.max_bps, "{estimate} after {report:?}");
        if let Some(announced) = fuzzed.poll_change() {
            assert!(announced >= config.min_bps && announced <= config.max_bps, "{announced} after {report:?}");
        }
    }
    // Zero deltas from a fresh estimator: nothing moves.
    let mut idle = BandwidthEstimator::new(config);
    for ms in (0..10_000).step_by(50) {
        idle.on_report(BandwidthReport { now: at(ms), ..BandwidthReport::default() });
    }
    assert_eq!(idle.estimate_bps(), config.start_bps);
    assert_eq!(idle.poll_change(), None);
    // After the garbage, honest reports still work.
    let mut estimator = BandwidthEstimator::new(config);
    for report in absurd {
        estimator.on_report(report);
    }
    let trace = run(&Scenario::bottleneck(4.0 * MBIT), &mut estimator);
    trace.print("after garbage", 2.0);
    let settled = trace.settled(0.0, 30.0, |s| (s.estimate / s.capacity - 1.0).abs() <= 0.25).unwrap();
    println!("  within 25% of 4 Mbit/s from {settled:.1} s");
    assert!(settled < 20.0);
}

/// Beyond the bottleneck above: the receiver's smoothed RTT with jitter and loss, raw RTTs
/// with 20 ms of jitter, a 200 ms path, seed 002's mobile path (1 Mbit/s, 600 ms, 3% loss,
/// smoothed RTT), a buffer of five datagrams, and 50 Mbit/s.
#[test]
fn other_paths_stay_near_capacity() {
    let base = Scenario::bottleneck(4.0 * MBIT);
    let cases = [
        (
            "smoothed RTT, 20 ms jitter, 5% loss",
            Scenario { smoothed_rtt: true, jitter: Duration::from_millis(20), loss: 0.05, ..base.clone() },
        ),
        ("raw RTT, 20 ms jitter", Scenario { jitter: Duration::from_millis(20), ..base.clone() }),
        ("200 ms path", Scenario { propagation: Duration::from_millis(100), ..base.clone() }),
        (
            "200 ms path, smoothed RTT",
            Scenario { propagation: Duration::from_millis(100), smoothed_rtt: true, ..base.clone() },
        ),
        (
            "1 Mbit/s, 600 ms, 3% loss, smoothed RTT",
            Scenario {
                capacity: vec![(0.0, MBIT)],
                propagation: Duration::from_millis(300),
                loss: 0.03,
                smoothed_rtt: true,
                seconds: 60.0,
                ..base.clone()
            },
        ),
        ("6 KB buffer", Scenario { queue_limit_bytes: 6_000, ..base.clone() }),
        (
            "50 Mbit/s",
            Scenario {
                capacity: vec![(0.0, 50.0 * MBIT)],
                app_bps: 100.0 * MBIT,
                queue_limit_bytes: 1_000_000,
                ..base.clone()
            },
        ),
    ];
    for (label, scenario) in cases {
        let trace = run(&scenario, &mut estimator());
        let capacity = scenario.capacity[0].1;
        let from = scenario.seconds / 3.0;
        let w = trace.window(from, scenario.seconds);
        println!(
            "{label}: {from:.0}-{:.0} s mean {:.2} min {:.2} max {:.2} of capacity, queue < {:?}, utilisation {:.3}",
            scenario.seconds,
            w.mean / capacity,
            w.min / capacity,
            w.max / capacity,
            w.max_queue,
            w.utilisation
        );
        assert!((w.mean / capacity - 1.0).abs() < 0.15, "{label}: {w:?}");
        assert!(w.min > 0.55 * capacity && w.max < 1.35 * capacity, "{label}: {w:?}");
        assert!(w.utilisation > 0.85, "{label}: {w:?}");
        assert!(w.max_queue < Duration::from_millis(100) + 2 * scenario.propagation, "{label}: {w:?}");
    }
}
