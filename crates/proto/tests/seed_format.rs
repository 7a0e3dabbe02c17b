//! The seed-000 format: the seed's own example byte for byte, loss recovery, and the
//! receiver's rules (deliver once, count the rest, stay bounded).

mod common;

use std::time::Duration;

use common::{simulate, Link, LinkConfig, Loss};
use proto::seed::{SeedReceiver, SeedReceiverConfig, SeedSender};
use proto::wire::seed::{SeedHeader, SeedPacket};
use proto::Timestamp;

/// The 16 fragments seed 000 lists for "Hello, World!" with zfec k=4, n=16.
const SEED_FRAGMENTS: [&[u8]; 16] = [
    b"Hell",
    b"o, W",
    b"orld",
    b"!\0\0\0",
    b"\x82\x91\xb4\xe5",
    b"\xf5\x10\xc0\xb3",
    b"eR%\x94",
    b"\x833\x8e\r",
    b"\xf4VR\x1f",
    b"\x83\x9af\xc5",
    b"\xf6n\x9b\xe3",
    b",-\x19\x13",
    b"R\x16\xd1\x9d",
    b"ml\xc5\xec",
    b"\x91\xf60\xb2",
    b"g\xb0\xf8\xeb",
];

fn datagrams(sender: &mut SeedSender) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| sender.poll_transmit()).map(|t| t.datagram.into()).collect()
}

/// The datagrams of `message` sent as batch 0 with (k, n).
fn batch(k: usize, n: usize, message: &[u8]) -> Vec<Vec<u8>> {
    let mut sender = SeedSender::new(k, n).unwrap();
    sender.send(message).unwrap();
    datagrams(&mut sender)
}

fn receiver(max_batches: usize, deadline: Option<Duration>) -> SeedReceiver {
    SeedReceiver::new(SeedReceiverConfig { max_batches, deadline, ..SeedReceiverConfig::default() }).unwrap()
}

#[test]
fn hello_world_matches_the_seed_byte_for_byte() {
    let sent = batch(4, 16, b"Hello, World!");
    assert_eq!(sent.len(), 16);
    for (index, datagram) in sent.iter().enumerate() {
        let packet = SeedPacket::parse(datagram).unwrap();
        assert_eq!(packet.header, SeedHeader { batch_id: 0, index: index as u8, k: 4, n: 16, orig_len: 13 });
        assert_eq!(packet.fragment, SEED_FRAGMENTS[index], "fragment {index}");
        assert_eq!(&datagram[..9], &[0, 0, 0, 0, index as u8, 4, 16, 0, 13]);
    }
}

#[test]
fn parity_only_decodes_and_later_fragments_are_redundant() {
    let sent = batch(4, 16, b"Hello, World!");
    let mut rx = receiver(8, None);
    for datagram in sent.iter().rev() {
        rx.handle_datagram(datagram, Timestamp::ZERO);
    }
    let delivery = rx.poll_delivery().unwrap();
    assert_eq!((&delivery.payload[..], delivery.recovered), (&b"Hello, World!"[..], true));
    assert!(rx.poll_delivery().is_none(), "delivered once");
    let stats = rx.stats();
    assert_eq!((stats.delivered, stats.recovered, stats.redundant, stats.malformed), (1, 1, 12, 0));
    assert_eq!(rx.batches_in_flight(), 0);
}

/// Messages are lost only when 13 of 16 fragments are (p = 3.4e-5 each at 30%), so 2,000
/// messages all arrive with probability 0.93; the run is seeded, hence deterministic.
/// (10,000 all arriving, as the end-to-end goal states, has probability 0.71 per run.)
#[test]
fn k4_n16_at_30_percent_loss_delivers_every_message() {
    let mut sender = SeedSender::new(4, 16).unwrap();
    let mut rx = receiver(256, None);
    let link =
        LinkConfig { seed: 7, loss: Loss::Iid { p: 0.3 }, jitter: Duration::from_millis(2), ..LinkConfig::default() };
    let report = simulate(&mut sender, &mut Link::new(link), &mut rx, 2_000, Duration::from_micros(500), 1200);
    assert_eq!((report.corrupt, report.delivered_twice), (0, 0));
    assert_eq!(report.delivered, 2_000, "{report:?} {:?}", rx.stats());
    assert!((report.link_dropped as f64 / report.link_sent as f64 - 0.3).abs() < 0.01);
}

#[test]
fn conflicting_and_duplicate_fragments_are_counted_not_used() {
    let sent = batch(2, 4, b"abcdef");
    let mut rx = receiver(8, None);
    rx.handle_datagram(&sent[0], Timestamp::ZERO);
    rx.handle_datagram(&sent[0], Timestamp::ZERO);
    // Same batch, another orig_len (and so another fragment length): a conflict.
    let mut forged = Vec::new();
    let header = SeedHeader { batch_id: 0, index: 1, k: 2, n: 4, orig_len: 2 };
    SeedPacket { header, fragment: b"x" }.encode(&mut forged);
    rx.handle_datagram(&forged, Timestamp::ZERO);
    assert!(rx.poll_delivery().is_none());
    rx.handle_datagram(&sent[3], Timestamp::ZERO);
    assert_eq!(rx.poll_delivery().unwrap().payload, &b"abcdef"[..]);
    let stats = rx.stats();
    assert_eq!((stats.duplicate, stats.malformed, stats.delivered), (1, 1, 1));
}

#[test]
fn batches_in_flight_are_capped_and_evictions_counted() {
    let mut sender = SeedSender::new(3, 5).unwrap().with_first_batch(u32::MAX - 4);
    let mut rx = receiver(4, None);
    for i in 0..10u8 {
        sender.send(&[i; 30]).unwrap();
        // Only the first fragment of each batch arrives: none can decode.
        rx.handle_datagram(&datagrams(&mut sender)[0], Timestamp::ZERO);
        assert!(rx.batches_in_flight() <= 4);
    }
    let stats = rx.stats();
    assert_eq!((stats.evicted_blocks, stats.lost, stats.delivered), (6, 6, 0));
}

#[test]
fn deadline_expires_incomplete_batches_and_their_stragglers_are_late() {
    let sent = batch(2, 3, b"late message");
    let mut rx = receiver(8, Some(Duration::from_millis(50)));
    rx.handle_datagram(&sent[0], Timestamp::ZERO);
    assert_eq!(rx.poll_timeout(), Some(Timestamp::from_micros(50_000)));
    rx.handle_timeout(Timestamp::from_micros(50_000));
    rx.handle_datagram(&sent[1], Timestamp::from_micros(60_000));
    assert!(rx.poll_delivery().is_none(), "nothing is delivered after its deadline");
    let stats = rx.stats();
    assert_eq!((stats.expired_blocks, stats.lost, stats.late), (1, 1, 1));
}
