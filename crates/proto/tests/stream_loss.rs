//! Stream mode end to end on the simulated network: sender -> lossy link -> receiver.

mod common;

use std::time::Duration;

use common::{residual_loss, simulate, Link, LinkConfig, Loss, Report};
use proto::stream::{Receiver, ReceiverConfig, Redundancy, Sender, SenderConfig};

const DATAGRAMS: u64 = 20_000;
/// 10,000 datagrams a second: a full 10-source block takes 1 ms, well inside the 5 ms bound.
const GAP: Duration = Duration::from_micros(100);

fn run(redundancy: Redundancy, link: LinkConfig, count: u64, gap: Duration) -> (Report, Receiver) {
    let mut sender = Sender::new(SenderConfig { connection_id: 7, redundancy, ..SenderConfig::default() }).unwrap();
    let mut receiver = Receiver::new(ReceiverConfig { connection_id: Some(7), ..ReceiverConfig::default() }).unwrap();
    let report = simulate(&mut sender, &mut Link::new(link), &mut receiver, count, gap, 1200);
    (report, receiver)
}

fn assert_exact(report: &Report) {
    assert_eq!(report.corrupt, 0, "a delivered payload differs from what was sent");
    assert_eq!(report.delivered_twice, 0, "a payload was delivered twice");
}

/// RS(13, 10) at 5% i.i.d. loss leaves a residual loss of 0.098% in theory, so asserting
/// 99.9% on one run would be a coin flip. One 20,000-datagram run must deliver 99.8%, every
/// payload exact, and every source either delivered or counted lost.
#[test]
fn k10_m3_at_5_percent_iid_delivers_99_8_percent_exact() {
    let link = LinkConfig { seed: 42, loss: Loss::Iid { p: 0.05 }, ..LinkConfig::default() };
    let (report, receiver) = run(Redundancy::Fixed { k: 10, n: 13 }, link, DATAGRAMS, GAP);
    assert_exact(&report);
    let stats = receiver.stats();
    println!("k=10 m=3 5%: delivered {:.4}%, {stats:?}", 100.0 * report.delivered_fraction());
    assert!(report.delivered_fraction() >= 0.998, "{report:?}");
    assert!(stats.recovered > 500, "{stats:?}");
    assert_eq!(stats.delivered, report.delivered);
    // A block of 13 symbols never vanishes whole at 5% loss, so no source goes uncounted.
    assert_eq!(stats.delivered + stats.lost, DATAGRAMS);
}

/// Ten runs of 20,000 datagrams: the mean residual loss of RS(13, 10) at 5% i.i.d. loss
/// matches the binomial theory within 25%, so recovery leaves nothing on the table.
#[test]
fn k10_m3_residual_loss_matches_theory() {
    let theory = residual_loss(10, 3, 0.05);
    let runs = 10;
    let measured = (0..runs)
        .map(|seed| {
            let link = LinkConfig { seed, loss: Loss::Iid { p: 0.05 }, ..LinkConfig::default() };
            let (report, _) = run(Redundancy::Fixed { k: 10, n: 13 }, link, DATAGRAMS, GAP);
            assert_exact(&report);
            1.0 - report.delivered_fraction()
        })
        .sum::<f64>()
        / runs as f64;
    println!("mean residual {measured:.6}, theory {theory:.6}");
    assert!((measured / theory - 1.0).abs() < 0.25, "mean residual {measured} vs theory {theory}");
}

#[test]
fn k10_m4_at_5_percent_iid_delivers_99_9_percent() {
    let link = LinkConfig { seed: 43, loss: Loss::Iid { p: 0.05 }, ..LinkConfig::default() };
    let (report, _) = run(Redundancy::Fixed { k: 10, n: 14 }, link, DATAGRAMS, GAP);
    assert_exact(&report);
    assert!(report.delivered_fraction() >= 0.999, "{report:?}");
}

/// Bursts (mean length 2, about 5% loss overall) defeat an uninterleaved RS(13, 10) more
/// often than i.i.d. loss does (any 4 losses inside one block, which two short bursts make),
/// so residual loss is far above the i.i.d. case: here about 1.8% of 5%. FEC must still cut
/// the loss by more than half and never corrupt. (Interleaving is the fix; not built yet.)
#[test]
fn gilbert_elliott_bursts_recover_and_stay_exact() {
    let loss = Loss::GilbertElliott { good_to_bad: 0.025, bad_to_good: 0.5, loss_good: 0.0, loss_bad: 1.0 };
    let link = LinkConfig { seed: 44, loss, ..LinkConfig::default() };
    let (report, receiver) = run(Redundancy::Ratio { k: 10, ratio: 0.3 }, link, DATAGRAMS, GAP);
    assert_exact(&report);
    let raw = report.link_dropped as f64 / report.link_sent as f64;
    println!("bursty: raw loss {raw:.4}, delivered {:.4}, {:?}", report.delivered_fraction(), receiver.stats());
    assert!(receiver.stats().recovered > 0);
    assert!(1.0 - report.delivered_fraction() < raw / 2.0, "FEC should at least halve bursty loss");
}

/// Jitter far above the send gap reorders heavily and the link duplicates 5%: every payload
/// still arrives exactly once.
#[test]
fn reordering_and_duplication_deliver_exactly_once() {
    let link = LinkConfig {
        seed: 45,
        loss: Loss::Iid { p: 0.02 },
        jitter: Duration::from_millis(3),
        duplicate: 0.05,
        ..LinkConfig::default()
    };
    let (report, receiver) = run(Redundancy::Ratio { k: 8, ratio: 0.25 }, link, 5_000, GAP);
    assert_exact(&report);
    assert!(receiver.stats().duplicate > 100, "{:?}", receiver.stats());
    assert!(report.delivered_fraction() >= 0.995, "{report:?}");
}

/// Without loss, every payload is delivered as its DATA arrives: latency is the link delay,
/// never a block's worth of waiting.
#[test]
fn systematic_code_adds_no_delay() {
    let (report, receiver) = run(Redundancy::Fixed { k: 10, n: 13 }, LinkConfig::default(), 2_000, GAP);
    assert_exact(&report);
    assert_eq!(report.delivered, 2_000);
    assert_eq!(report.worst_latency, LinkConfig::default().delay);
    assert_eq!(receiver.stats().recovered, 0);
    assert_eq!(receiver.stats().lost, 0);
}

/// A slow stream (one payload per 20 ms, block bound 5 ms) closes every block by time with
/// one source and one repair, which is enough to repair any single loss.
#[test]
fn time_bound_closes_short_blocks_that_still_repair() {
    let link = LinkConfig { seed: 46, loss: Loss::Iid { p: 0.1 }, ..LinkConfig::default() };
    let mut sender =
        Sender::new(SenderConfig { redundancy: Redundancy::Ratio { k: 10, ratio: 0.25 }, ..SenderConfig::default() })
            .unwrap();
    let mut receiver = Receiver::new(ReceiverConfig::default()).unwrap();
    let report = simulate(&mut sender, &mut Link::new(link), &mut receiver, 500, Duration::from_millis(20), 300);
    assert_exact(&report);
    assert_eq!(sender.stats().short_blocks, 500);
    assert_eq!(sender.stats().repairs, 500);
    assert!(receiver.stats().recovered > 20, "{:?}", receiver.stats());
    assert!(report.delivered_fraction() >= 0.98, "{report:?}");
}
