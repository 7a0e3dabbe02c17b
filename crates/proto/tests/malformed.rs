//! Hostile input: random bytes, truncations, impossible shapes, and floods. Everything is
//! counted and dropped; nothing panics; memory stays within the caps.

mod common;

use common::packets::{data, repair};
use common::Rng;
use proto::seed::{SeedReceiver, SeedReceiverConfig};
use proto::stream::{Receiver, ReceiverConfig, Redundancy, Sender, SenderConfig};
use proto::wire::v1::{Packet, REPAIR_OVERHEAD};
use proto::{Timestamp, WireError};

fn receiver(max_blocks: usize) -> Receiver {
    Receiver::new(ReceiverConfig { connection_id: Some(7), max_blocks, ..ReceiverConfig::default() }).unwrap()
}

#[test]
fn every_truncation_of_the_fixed_fields_is_a_typed_error() {
    let packets = [data(7, 1, 2, b"payload"), repair(7, 1, 4, 4, 2, b"symbol")];
    let mut rx = receiver(16);
    for packet in &packets {
        for len in 0..packet.len() {
            let prefix = &packet[..len];
            // A REPAIR cut inside its symbol is still a well-formed (shorter) REPAIR.
            if packet == &packets[1] && len >= REPAIR_OVERHEAD + 2 {
                continue;
            }
            assert!(Packet::parse(prefix).is_err(), "{prefix:?}");
            rx.handle_datagram(prefix, Timestamp::ZERO);
        }
    }
    assert_eq!(rx.stats().malformed, rx.stats().received);
}

#[test]
fn impossible_shapes_and_indices_are_typed_errors() {
    let cases: [(Vec<u8>, WireError); 5] = [
        (repair(7, 0, 0, 0, 3, &[0; 4]), WireError::InvalidShape { k: 0, n: 3 }),
        (repair(7, 0, 250, 10, 250, &[0; 4]), WireError::InvalidShape { k: 10, n: 260 }),
        (repair(7, 0, 4, 4, 0, &[0; 4]), WireError::InvalidShape { k: 4, n: 4 }),
        (repair(7, 0, 3, 4, 2, &[0; 4]), WireError::IndexOutOfRange { index: 3, start: 4, end: 6 }),
        (repair(7, 0, 6, 4, 2, &[0; 4]), WireError::IndexOutOfRange { index: 6, start: 4, end: 6 }),
    ];
    let mut rx = receiver(16);
    for (datagram, error) in &cases {
        assert_eq!(Packet::parse(datagram).as_ref().err(), Some(error));
        rx.handle_datagram(datagram, Timestamp::ZERO);
    }
    assert_eq!(rx.stats().malformed, cases.len() as u64);
    assert_eq!(rx.blocks_in_flight(), 0);
}

/// A million random datagrams interleaved with an honest stream: every one counted malformed
/// (or, once in a million here, foreign: a random datagram that parses, for another
/// connection), the stream delivered whole, memory bounded.
#[test]
fn a_million_random_datagrams_leave_an_honest_stream_intact() {
    let mut rng = Rng::new(2024);
    let mut rx = receiver(256);
    let mut seed_rx = SeedReceiver::new(SeedReceiverConfig::default()).unwrap();
    let mut tx = Sender::new(SenderConfig { connection_id: 7, ..SenderConfig::default() }).unwrap();
    let mut honest = 0u64;
    for i in 0..1_000_000u64 {
        let now = Timestamp::from_micros(i * 10);
        let len = rng.below(300) as usize;
        let junk = rng.bytes(len);
        rx.handle_datagram(&junk, now);
        seed_rx.handle_datagram(&junk, now);
        if i % 100 == 0 {
            tx.send(&common::payload(i, 200), now).unwrap();
            honest += 1;
        }
        while let Some(t) = tx.poll_transmit() {
            rx.handle_datagram(&t.datagram, now);
        }
        assert!(rx.blocks_in_flight() <= 256 && seed_rx.batches_in_flight() <= 256);
    }
    let stats = *rx.stats();
    assert_eq!(stats.malformed + stats.foreign, 1_000_000, "{stats:?}");
    assert_eq!(stats.accounted(), stats.received);
    assert_eq!(stats.delivered, honest);
    let exact =
        |d: proto::Delivery| d.payload == common::payload(u64::from_be_bytes(d.payload[..8].try_into().unwrap()), 200);
    assert!(std::iter::from_fn(|| rx.poll_delivery()).all(exact));
    // The seed format has no magic, so random bytes pass its parser now and then: those
    // open batches that are capped and evicted; every datagram is still accounted for.
    let seed = seed_rx.stats();
    assert_eq!(seed.accounted(), 1_000_000);
    println!("seed parser accepted {} of a million random datagrams; {seed:?}", seed.accepted);
}

/// A million well-formed forgeries for the right connection, random blocks, shapes and
/// indices: the receiver holds at most its cap of blocks and its byte budget, whatever comes.
#[test]
fn a_million_forged_symbols_keep_the_receiver_bounded() {
    let budget = 1 << 20;
    let config = ReceiverConfig {
        connection_id: Some(7),
        max_blocks: 64,
        max_buffered_bytes: budget,
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(config).unwrap();
    let mut rng = Rng::new(99);
    for i in 0..1_000_000u64 {
        let block = rng.below(4096) as u32;
        let len = 2 + rng.below(64) as usize;
        let symbol = rng.bytes(len);
        let datagram = if rng.chance(0.5) {
            data(7, block, rng.below(256) as u8, &symbol)
        } else {
            let (k, m) = (1 + rng.below(20) as u8, 1 + rng.below(8) as u8);
            repair(7, block, k + rng.below(u64::from(m)) as u8, k, m, &symbol)
        };
        rx.handle_datagram(&datagram, Timestamp::from_micros(i));
        assert!(rx.blocks_in_flight() <= 64);
        assert!(rx.buffered_bytes() <= budget);
        while rx.poll_delivery().is_some() {}
    }
    let stats = rx.stats();
    assert_eq!((stats.received, stats.accounted()), (1_000_000, 1_000_000));
    assert!(stats.malformed > 0 && stats.evicted_blocks > 0, "{stats:?}");
}

/// A sender's honest output survives any single bit flip without a panic anywhere.
#[test]
fn every_single_bit_flip_of_a_block_is_survived() {
    let mut tx = Sender::new(SenderConfig {
        connection_id: 7,
        redundancy: Redundancy::Fixed { k: 3, n: 5 },
        ..SenderConfig::default()
    })
    .unwrap();
    for payload in [&b"abc"[..], b"defgh", b""] {
        tx.send(payload, Timestamp::ZERO).unwrap();
    }
    let sent: Vec<Vec<u8>> = std::iter::from_fn(|| tx.poll_transmit()).map(|t| t.datagram.into()).collect();
    for (which, datagram) in sent.iter().enumerate() {
        for bit in 0..datagram.len() * 8 {
            let mut rx = receiver(16);
            let mut flipped = datagram.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            rx.handle_datagram(&flipped, Timestamp::ZERO);
            for (other, honest) in sent.iter().enumerate().filter(|&(other, _)| other != which) {
                rx.handle_datagram(honest, Timestamp::from_micros(other as u64));
            }
            while rx.poll_delivery().is_some() {}
        }
    }
}
