//! The FEC + NACK hybrid end to end on a virtual clock, with loss both ways: FEC repairs
//! first, NACK what it could not within the budget, the receiver's reports size the blocks,
//! and nothing comes out after its deadline.

mod common;

use std::time::Duration;

use common::{simulate_duplex, DuplexReport, Link, LinkConfig, Loss};
use proto::stream::{AdaptBounds, Receiver, ReceiverConfig, Redundancy, Sender, SenderConfig};

const BUDGET: Duration = Duration::from_millis(120);

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

struct Path {
    loss: Loss,
    one_way: Duration,
    nack: bool,
    seed: u64,
}

impl Path {
    fn new(loss: Loss, one_way: Duration, seed: u64) -> Path {
        Path { loss, one_way, nack: true, seed }
    }
}

/// 10,000 payloads of 1,316 bytes every 2 ms (about 5 Mbit/s, an MPEG-TS stream).
fn run(path: Path) -> (DuplexReport, Sender, Receiver) {
    run_for(path, 10_000)
}

fn run_for(path: Path, count: u64) -> (DuplexReport, Sender, Receiver) {
    let mut tx = Sender::new(SenderConfig {
        connection_id: 9,
        redundancy: Redundancy::Ratio { k: 64, ratio: 0.25 },
        block_time: ms(20),
        latency: BUDGET,
        nack: path.nack,
        adapt: Some(AdaptBounds::default()),
        ..SenderConfig::default()
    })
    .unwrap();
    let mut rx = Receiver::new(ReceiverConfig {
        connection_id: Some(9),
        block_deadline: BUDGET,
        nack: path.nack,
        ..ReceiverConfig::default()
    })
    .unwrap();
    let link = |seed| LinkConfig { seed, loss: path.loss, delay: path.one_way, ..LinkConfig::default() };
    let (mut forward, mut back) = (Link::new(link(path.seed)), Link::new(link(path.seed + 1)));
    let report = simulate_duplex(&mut tx, &mut forward, &mut back, &mut rx, count, ms(2), 1316, BUDGET, path.one_way);
    (report, tx, rx)
}

fn summary(report: &DuplexReport, tx: &Sender, rx: &Receiver) -> String {
    format!(
        "delivered {:.5} p50 {:?} p99 {:?} overhead {:.3} {:?} {:?} {:?}",
        report.delivered_fraction(),
        report.percentile(0.5),
        report.percentile(0.99),
        report.overhead(),
        tx.stats(),
        tx.state(),
        rx.stats()
    )
}

#[test]
fn at_rtt_40ms_nack_finishes_what_fec_leaves_inside_the_budget() {
    let (report, tx, rx) = run(Path::new(Loss::Iid { p: 0.05 }, ms(20), 40));
    let text = summary(&report, &tx, &rx);
    println!("{text}");
    assert_eq!((report.wrong, report.past_deadline), (0, 0), "{text}");
    assert!(report.delivered_fraction() >= 0.9999, "{text}");
    assert!(tx.stats().retransmitted > 0, "{text}");
    assert!(report.percentile(0.99) < ms(20 + 40), "{text}");
    assert!(report.overhead() < 1.3, "{text}");
}

#[test]
fn at_rtt_200ms_fec_alone_carries_the_stream() {
    let (report, tx, rx) = run(Path::new(Loss::Iid { p: 0.05 }, ms(100), 200));
    let text = summary(&report, &tx, &rx);
    println!("{text}");
    assert_eq!((report.wrong, report.past_deadline), (0, 0), "{text}");
    assert!(report.delivered_fraction() >= 0.999, "{text}");
    assert!(report.overhead() < 1.35, "{text}");
    assert!(tx.state().block_time >= ms(50), "long blocks when NACK cannot help: {text}");
}

#[test]
fn bursts_of_four_are_repaired() {
    // Mean burst 4 (leave the bad state with 1/4), long-run loss 5%.
    let loss = Loss::GilbertElliott { good_to_bad: 0.05 / 0.95 / 4.0, bad_to_good: 0.25, loss_good: 0.0, loss_bad: 1.0 };
    let (report, tx, rx) = run(Path::new(loss, ms(20), 4));
    let text = summary(&report, &tx, &rx);
    println!("{text}");
    assert_eq!((report.wrong, report.past_deadline), (0, 0), "{text}");
    assert!(report.delivered_fraction() >= 0.999, "{text}");
    assert!(tx.state().burst > 2.5, "the reports show the bursts: {text}");
}

#[test]
fn without_loss_redundancy_settles_low_and_nothing_waits() {
    // A minute, so the first seconds (before the reports outweigh the sender's prior of 5%
    // loss) count little in the overhead.
    let (report, tx, rx) = run_for(Path::new(Loss::None, ms(20), 0), 30_000);
    let text = summary(&report, &tx, &rx);
    println!("{text}");
    assert_eq!(report.delivered, 30_000, "{text}");
    assert_eq!(report.percentile(1.0), ms(20), "{text}");
    assert!(tx.state().ratio <= 0.05, "{text}");
    assert!(report.overhead() < 1.05, "{text}");
}

#[test]
fn without_nack_nothing_is_retransmitted() {
    let (report, tx, rx) = run(Path { loss: Loss::Iid { p: 0.05 }, one_way: ms(20), nack: false, seed: 41 });
    let text = summary(&report, &tx, &rx);
    assert_eq!((tx.stats().retransmitted, tx.stats().nacks_received, rx.state().nacks_sent), (0, 0, 0), "{text}");
    assert!(report.delivered_fraction() >= 0.999, "{text}");
}
