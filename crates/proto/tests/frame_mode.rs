//! Frame mode end to end: large messages delivered whole and exact, or not at all.

mod common;

use std::time::Duration;

use common::{simulate, Link, LinkConfig, Loss};
use proto::frame::{FrameReceiver, FrameReceiverConfig, FrameSender, FrameSenderConfig};
use proto::stream::Redundancy;
use proto::wire::v1::{Body, Frame, FrameLayout, Header, Packet};
use proto::Timestamp;

const MIB: usize = 1 << 20;

fn sender(k: usize, ratio: f64) -> FrameSender {
    FrameSender::new(FrameSenderConfig { redundancy: Redundancy::Ratio { k, ratio }, ..FrameSenderConfig::default() })
        .unwrap()
}

fn receiver() -> FrameReceiver {
    FrameReceiver::new(FrameReceiverConfig::default()).unwrap()
}

fn datagrams(sender: &mut FrameSender) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| sender.poll_transmit()).map(|t| t.datagram.into()).collect()
}

/// 30 frames of up to 1 MiB (about 900 datagrams at the top) through 5% loss with
/// RS(42, 32) blocks: a block fails only past 10 of 42 lost (p ~ 4e-6), so all arrive, exact.
#[test]
fn mebibyte_frames_survive_5_percent_loss_whole_and_exact() {
    let mut tx = sender(32, 0.3);
    let mut rx = receiver();
    let link =
        LinkConfig { seed: 5, loss: Loss::Iid { p: 0.05 }, jitter: Duration::from_millis(2), ..LinkConfig::default() };
    let report = simulate(&mut tx, &mut Link::new(link), &mut rx, 30, Duration::from_millis(40), MIB);
    assert_eq!((report.corrupt, report.delivered_twice), (0, 0));
    assert_eq!(report.delivered, 30, "{report:?} {:?}", rx.stats());
    assert!(rx.stats().recovered >= 25, "{:?}", rx.stats());
    assert_eq!(rx.frames_in_flight(), 0);
}

#[test]
fn a_frame_short_of_one_symbol_is_never_delivered_in_part() {
    let mut tx = sender(4, 0.25);
    tx.send(&[9; 10_000]).unwrap();
    let sent = datagrams(&mut tx);
    let mut rx = receiver();
    // Keep every datagram of every block but block 0's first source and its repair.
    for datagram in &sent {
        let Ok(Packet { body: Body::Frame(frame), .. }) = Packet::parse(datagram) else { panic!("not a FRAME") };
        if frame.block == 0 && (frame.index == 0 || frame.index >= 4) {
            continue;
        }
        rx.handle_datagram(datagram, Timestamp::ZERO);
    }
    assert!(rx.poll_delivery().is_none());
    rx.handle_timeout(Timestamp::ZERO + Duration::from_secs(1));
    let stats = rx.stats();
    assert_eq!((stats.delivered, stats.expired_blocks, stats.lost), (0, 1, 1));
}

/// Round-robin sending spreads a burst over the blocks: 20 consecutive losses in a
/// 4-block frame cost each block 5 symbols, within its 8 repairs.
#[test]
fn a_burst_is_spread_over_the_blocks() {
    let mut tx = sender(32, 0.25);
    let message: Vec<u8> = (0..4 * 32 * 1200).map(|i| (i % 251) as u8).collect();
    tx.send(&message).unwrap();
    let sent = datagrams(&mut tx);
    assert_eq!(sent.len(), 4 * 40);
    let mut rx = receiver();
    for datagram in sent[..30].iter().chain(&sent[50..]) {
        rx.handle_datagram(datagram, Timestamp::ZERO);
    }
    let delivery = rx.poll_delivery().expect("the frame survives a 20-datagram burst");
    assert!(delivery.recovered);
    assert_eq!(delivery.payload, message);
}

#[test]
fn empty_and_tiny_frames_travel() {
    let mut tx = sender(8, 0.25);
    let mut rx = receiver();
    for message in [&b""[..], b"x", &[1; 1199], &[2; 1201]] {
        tx.send(message).unwrap();
        // Lose the first datagram of each: a source, rebuilt from the repair.
        for datagram in &datagrams(&mut tx)[1..] {
            rx.handle_datagram(datagram, Timestamp::ZERO);
        }
        assert_eq!(rx.poll_delivery().unwrap().payload, message);
    }
}

fn forged(frame: u32, layout: FrameLayout, block: u16, index: u8, m: u8) -> Vec<u8> {
    let symbol = vec![0; usize::from(layout.symbol_size)];
    let body = Body::Frame(Frame { frame, layout, block, index, m, symbol: &symbol });
    Packet { header: Header::default(), body }.to_vec()
}

#[test]
fn oversized_and_conflicting_layouts_are_malformed() {
    let mut rx =
        FrameReceiver::new(FrameReceiverConfig { max_frame_len: 1000, ..FrameReceiverConfig::default() }).unwrap();
    let big = FrameLayout { len: 1001, symbol_size: 100, max_block_sources: 16 };
    rx.handle_datagram(&forged(1, big, 0, 0, 1), Timestamp::ZERO);
    let small = FrameLayout { len: 1000, symbol_size: 100, max_block_sources: 16 };
    rx.handle_datagram(&forged(2, small, 0, 0, 2), Timestamp::ZERO);
    rx.handle_datagram(&forged(2, FrameLayout { symbol_size: 50, ..small }, 0, 0, 2), Timestamp::ZERO);
    rx.handle_datagram(&forged(2, small, 0, 1, 3), Timestamp::ZERO); // another m for block 0
    let stats = rx.stats();
    assert_eq!((stats.accepted, stats.malformed), (1, 3));
}

/// Forged symbols of forged frames, each declaring up to 4 MiB: the receiver holds at most
/// its cap of frames and its byte budget.
#[test]
fn a_flood_of_forged_frames_stays_within_the_caps() {
    let budget = 2 * MIB;
    let config = FrameReceiverConfig { max_frames: 8, max_buffered_bytes: budget, ..FrameReceiverConfig::default() };
    let mut rx = FrameReceiver::new(config).unwrap();
    let mut rng = common::Rng::new(11);
    for i in 0..200_000u64 {
        let layout = FrameLayout {
            len: rng.below(4 * MIB as u64) as u32,
            symbol_size: 1 + rng.below(1400) as u16,
            max_block_sources: 1 + rng.below(64) as u8,
        };
        let block = rng.below(layout.blocks().min(1 << 16)) as u16;
        let k = layout.block_sources(u64::from(block)) as u64;
        let m = 1 + rng.below(8) as u8;
        let index = rng.below(k + u64::from(m)) as u8;
        rx.handle_datagram(&forged(rng.below(64) as u32, layout, block, index, m), Timestamp::from_micros(i));
        assert!(rx.frames_in_flight() <= 8 && rx.buffered_bytes() <= budget);
    }
    assert_eq!(rx.stats().accounted(), 200_000);
}
