//! The three codes a stream sender can pick (Reed-Solomon, striped XOR, mirrored LT), end to
//! end on the virtual clock: each marks its REPAIRs on the wire, each rebuilds a single loss
//! per block, XOR and LT rebuild what they can from fewer than k symbols, Reed-Solomon
//! rebuilds more at equal redundancy, and receivers refuse REPAIRs whose code makes no sense.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::packets::{coded_repair, data};
use common::{simulate, simulate_duplex, Link, LinkConfig, Loss, Report, SinkEnd};
use fec::MirroredLt;
use proto::stream::{CodeKind, Receiver, ReceiverConfig, Redundancy, Sender, SenderConfig};
use proto::wire::v1::{Body, Packet, CODE_FLAGS};
use proto::{Delivery, Timestamp};

const T0: Timestamp = Timestamp::ZERO;
const K: usize = 10;
/// 10 sources and 3 repairs per block: XOR in 3 groups of 3 or 4, LT one pair and a single.
const SHAPE: Redundancy = Redundancy::Fixed { k: K, n: K + 3 };
/// 10,000 datagrams a second: every block fills well inside its time bound.
const GAP: Duration = Duration::from_micros(100);

/// The value docs/PROTOCOL.md gives each code in the REPAIR header's flags.
fn wire_value(code: CodeKind) -> u8 {
    match code {
        CodeKind::ReedSolomon => 0,
        CodeKind::Xor => 1,
        CodeKind::MirroredLt => 2,
    }
}

fn sender(code: CodeKind, redundancy: Redundancy, nack: bool) -> Sender {
    Sender::new(SenderConfig { connection_id: 7, redundancy, code, nack, ..SenderConfig::default() }).unwrap()
}

fn receiver(nack: bool) -> Receiver {
    Receiver::new(ReceiverConfig { connection_id: Some(7), nack, ..ReceiverConfig::default() }).unwrap()
}

/// A receiver that hands each payload on as it arrives or is rebuilt, so a test sees which.
fn unordered() -> Receiver {
    Receiver::new(ReceiverConfig { connection_id: Some(7), ordered: false, ..ReceiverConfig::default() }).unwrap()
}

/// A receiver behind a tap that notes the code bits of every REPAIR and drops what `lose`
/// picks, so a test can place losses exactly.
struct Tap {
    rx: Receiver,
    lose: fn(&Body<'_>) -> bool,
    repair_codes: BTreeSet<u8>,
    repairs: u64,
    dropped: u64,
}

impl Tap {
    fn new(rx: Receiver, lose: fn(&Body<'_>) -> bool) -> Self {
        Tap { rx, lose, repair_codes: BTreeSet::new(), repairs: 0, dropped: 0 }
    }
}

impl SinkEnd for Tap {
    fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        let packet = Packet::parse(datagram).expect("the sender's datagrams parse");
        if let Body::Repair(_) = packet.body {
            self.repair_codes.insert(datagram[2] & CODE_FLAGS);
            self.repairs += 1;
        }
        if (self.lose)(&packet.body) {
            self.dropped += 1;
            return;
        }
        self.rx.handle_datagram(datagram, now);
    }
    fn poll_delivery(&mut self) -> Option<Delivery> {
        self.rx.poll_delivery()
    }
    fn poll_timeout(&self) -> Option<Timestamp> {
        self.rx.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Timestamp) {
        self.rx.handle_timeout(now)
    }
}

fn keep_all(_: &Body<'_>) -> bool {
    false
}

/// One DATA of every block, at an index that moves from block to block (all blocks are full,
/// so block ids are multiples of K).
fn one_source_per_block(body: &Body<'_>) -> bool {
    matches!(body, Body::Data(d) if usize::from(d.index) == (d.block as usize / K * 7 + 3) % K)
}

fn run(code: CodeKind, nack: bool, link: LinkConfig, lose: fn(&Body<'_>) -> bool, count: u64) -> (Report, Tap) {
    let mut tx = sender(code, SHAPE, nack);
    let mut tap = Tap::new(receiver(nack), lose);
    let report = simulate(&mut tx, &mut Link::new(link), &mut tap, count, GAP, 1200);
    assert_eq!((report.corrupt, report.delivered_twice), (0, 0), "{code}: {report:?}");
    (report, tap)
}

/// Every payload delivered, `recovered` of them rebuilt, nothing lost or refused.
fn assert_whole(code: CodeKind, report: &Report, tap: &Tap, count: u64, recovered: u64) {
    let stats = tap.rx.stats();
    let outcome = (report.delivered, stats.recovered, stats.lost, stats.malformed);
    assert_eq!(outcome, (count, recovered, 0, 0), "{code}: {stats:?}");
}

#[test]
fn without_loss_every_code_delivers_everything_and_names_itself_on_the_wire() {
    for code in CodeKind::ALL {
        let (report, tap) = run(code, true, LinkConfig::default(), keep_all, 2_000);
        assert_whole(code, &report, &tap, 2_000, 0);
        assert_eq!(report.worst_latency, LinkConfig::default().delay, "{code}: systematic, no waiting");
        // 200 blocks of 10 sources, 3 repairs each; mirrored LT rounds to pairs.
        let per_block = if code == CodeKind::MirroredLt { 4 } else { 3 };
        assert_eq!(tap.repairs, 200 * per_block, "{code}");
        assert_eq!(tap.repair_codes, BTreeSet::from([wire_value(code)]), "{code}: REPAIR flags");
    }
}

/// Seed 001's finding: at low loss the cheap codes lose nothing either. One source of every
/// block is lost, NACK is off, and every code rebuilds every one of them.
#[test]
fn one_loss_per_block_is_rebuilt_by_every_code_without_nack() {
    for code in CodeKind::ALL {
        let (report, tap) = run(code, false, LinkConfig::default(), one_source_per_block, 5_000);
        assert_eq!(tap.dropped, 500, "{code}");
        assert_whole(code, &report, &tap, 5_000, 500);
        assert_eq!(tap.rx.state().nacks_sent, 0, "{code}");
    }
}

/// At 10% loss and the same 3 repairs per 10 sources, Reed-Solomon (any 3 losses of 13)
/// delivers strictly more than XOR (one loss per group) and LT (peeling). Same seed, same
/// datagram sequence, so each code faces the same losses.
#[test]
fn at_higher_loss_reed_solomon_recovers_more_at_equal_redundancy() {
    let link = LinkConfig { seed: 5, loss: Loss::Iid { p: 0.1 }, ..LinkConfig::default() };
    let delivered: Vec<(CodeKind, u64, u64)> = CodeKind::ALL
        .iter()
        .map(|&code| {
            let (report, tap) = run(code, false, link, keep_all, 20_000);
            println!("{code}: delivered {:.4}, {:?}", report.delivered_fraction(), tap.rx.stats());
            assert_eq!(tap.rx.stats().delivered + tap.rx.stats().lost, 20_000, "{code}: every source accounted");
            (code, report.delivered, tap.rx.stats().recovered)
        })
        .collect();
    let [(_, rs, _), (_, xor, xor_recovered), (_, lt, lt_recovered)] = delivered[..] else { unreachable!() };
    assert!(rs > xor && rs > lt, "{delivered:?}");
    // Both still rebuild most of what is lost (about 2,000 sources).
    assert!(xor_recovered > 1_200 && lt_recovered > 1_200, "{delivered:?}");
    assert!(rs >= 19_700, "{delivered:?}");
}

/// With NACK on, XOR and LT leave it what they cannot rebuild, and only that: the stream
/// arrives whole within the budget, and most losses never cost a round trip.
#[test]
fn with_nack_every_code_delivers_everything_in_time() {
    let budget = Duration::from_millis(120);
    let one_way = Duration::from_millis(20);
    for code in CodeKind::ALL {
        let mut tx = sender(code, SHAPE, true);
        let config = ReceiverConfig { connection_id: Some(7), block_deadline: budget, ..ReceiverConfig::default() };
        let mut rx = Receiver::new(config).unwrap();
        let link = |seed| LinkConfig { seed, loss: Loss::Iid { p: 0.05 }, delay: one_way, ..LinkConfig::default() };
        let (mut forward, mut back) = (Link::new(link(60)), Link::new(link(61)));
        let report = simulate_duplex(&mut tx, &mut forward, &mut back, &mut rx, 10_000, GAP, 1000, budget, one_way);
        let text = format!("{code}: delivered {:.5} {:?} {:?}", report.delivered_fraction(), tx.stats(), rx.stats());
        println!("{text}");
        assert_eq!((report.wrong, report.past_deadline), (0, 0), "{text}");
        assert!(report.delivered_fraction() >= 0.9995, "{text}");
        assert!(rx.stats().recovered > 4 * tx.stats().retransmitted, "FEC first, NACK for the rest: {text}");
    }
}

/// The datagrams of one full block of `payloads` from a sender using `code` with `m` repairs,
/// block id 100.
fn block(code: CodeKind, payloads: &[Vec<u8>], m: usize) -> Vec<Vec<u8>> {
    let redundancy = Redundancy::Fixed { k: payloads.len(), n: payloads.len() + m };
    let mut tx = Sender::new(SenderConfig { connection_id: 7, redundancy, code, first_block: 100, ..SenderConfig::default() })
        .unwrap();
    for payload in payloads {
        tx.send(payload, T0).unwrap();
    }
    std::iter::from_fn(|| tx.poll_transmit()).map(|t| t.datagram.into()).collect()
}

fn payloads() -> Vec<Vec<u8>> {
    (0..K as u8).map(|i| vec![i; 20 + usize::from(i)]).collect()
}

/// Feeds `datagrams[i]` for every `i` in `kept` and returns the indices of the sources rebuilt.
fn rebuilt_from(datagrams: &[Vec<u8>], kept: impl IntoIterator<Item = usize>) -> (Vec<u8>, Receiver) {
    let mut rx = unordered();
    for i in kept {
        rx.handle_datagram(&datagrams[i], T0);
    }
    let rebuilt = std::iter::from_fn(|| rx.poll_delivery()).filter(|d| d.recovered).map(|d| d.index).collect();
    (rebuilt, rx)
}

#[test]
fn xor_rebuilds_a_loss_per_group_from_fewer_than_k_symbols() {
    let sent = block(CodeKind::Xor, &payloads(), 3);
    // Groups {0,3,6,9} (repair 10), {1,4,7} (11), {2,5,8} (12). Lose sources 0, 1 and 2 and
    // repair 12: 9 symbols of 13, fewer than k, yet groups 0 and 1 each miss just one.
    let (rebuilt, rx) = rebuilt_from(&sent, [3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert_eq!(rebuilt, [0, 1]);
    assert_eq!(rx.blocks_in_flight(), 1, "source 2 may still come");
    // Reed-Solomon with the same losses rebuilds nothing until a k-th symbol arrives.
    let rs = block(CodeKind::ReedSolomon, &payloads(), 3);
    assert_eq!(rebuilt_from(&rs, [3, 4, 5, 6, 7, 8, 9, 10, 11]).0, []);
}

#[test]
fn lt_peels_from_fewer_than_k_symbols() {
    let m = 4;
    let sent = block(CodeKind::MirroredLt, &payloads(), m);
    // The graph the block id 100 seeds: lose one source repair 0 covers and one it does not,
    // and every repair but 0. Repair 0 then has a single unknown: 8 + 1 symbols rebuild it.
    let lt = MirroredLt::new(K, m, 100).unwrap();
    let covered: Vec<usize> = lt.covered(0).iter().map(|&i| i as usize).collect();
    let inside = covered[0];
    let outside = (0..K).find(|i| !covered.contains(i)).unwrap();
    let kept: Vec<usize> = (0..K).filter(|&i| i != inside && i != outside).chain([K]).collect();
    assert_eq!(rebuilt_from(&sent, kept.iter().copied()).0, [inside as u8]);
    // Its mirror, repair 1, covers the other: with it too, both come back.
    let (rebuilt, rx) = rebuilt_from(&sent, kept.into_iter().chain([K + 1]));
    assert_eq!(BTreeSet::from_iter(rebuilt), BTreeSet::from([inside as u8, outside as u8]));
    assert_eq!(rx.blocks_in_flight(), 0, "complete");
}

#[test]
fn a_repair_with_the_reserved_code_is_malformed() {
    let mut rx = receiver(true);
    rx.handle_datagram(&data(7, 0, 0, b"abc"), T0);
    let mut reserved = coded_repair(7, 0, 1, 1, 1, CodeKind::ReedSolomon, &[0, 3, 0, 0, 0, 0, b'a', b'b', b'c']);
    reserved[2] |= CODE_FLAGS;
    rx.handle_datagram(&reserved, T0);
    let stats = rx.stats();
    assert_eq!((stats.accepted, stats.malformed, stats.accounted()), (1, 1, 2), "{stats:?}");
}

#[test]
fn a_block_whose_repairs_disagree_on_the_code_is_a_conflict() {
    let xor = block(CodeKind::Xor, &payloads(), 3);
    let lt = block(CodeKind::MirroredLt, &payloads(), 3);
    let mut rx = unordered();
    // Sources 0 and 1 lost; XOR's repair 10 fixes the block's code (and rebuilds source 0),
    // LT's repair 11 contradicts it, XOR's own repair 11 is taken (and rebuilds source 1).
    for datagram in xor[2..K].iter().chain([&xor[K], &lt[K + 1], &xor[K + 1]]) {
        rx.handle_datagram(datagram, T0);
    }
    assert_eq!((rx.stats().accepted, rx.stats().malformed), (10, 1), "{:?}", rx.stats());
    // The contradicting symbol never entered a decode: both sources came back intact.
    let rebuilt: Vec<(u8, Vec<u8>)> =
        std::iter::from_fn(|| rx.poll_delivery()).filter(|d| d.recovered).map(|d| (d.index, d.payload.into())).collect();
    assert_eq!(rebuilt, [(0, payloads()[0].clone()), (1, payloads()[1].clone())]);
    assert_eq!(rx.blocks_in_flight(), 0, "complete");
}
