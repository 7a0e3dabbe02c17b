//! The stream receiver's rules, one at a time, on hand-placed datagrams.

mod common;

use std::time::Duration;

use common::packets::{data, repair};
use proto::stream::{Receiver, ReceiverConfig, Redundancy, Sender, SenderConfig, MAX_PAYLOAD};
use proto::wire::v1::{Body, Echo, Header, Packet};
use proto::{Delivery, SendError, Timestamp};

const T0: Timestamp = Timestamp::ZERO;

fn receiver() -> Receiver {
    Receiver::new(ReceiverConfig { connection_id: Some(7), ..ReceiverConfig::default() }).unwrap()
}

fn sender(k: usize, n: usize) -> Sender {
    Sender::new(SenderConfig { connection_id: 7, redundancy: Redundancy::Fixed { k, n }, ..SenderConfig::default() })
        .unwrap()
}

/// The datagrams of one block of `payloads` from a fixed (k, n) sender: k DATA, then REPAIR.
fn block(payloads: &[&[u8]], n: usize) -> Vec<Vec<u8>> {
    let mut sender = sender(payloads.len(), n);
    for payload in payloads {
        sender.send(payload, T0).unwrap();
    }
    std::iter::from_fn(|| sender.poll_transmit()).map(|t| t.datagram.into()).collect()
}

fn deliveries(receiver: &mut Receiver) -> Vec<Delivery> {
    std::iter::from_fn(|| receiver.poll_delivery()).collect()
}

#[test]
fn recovered_datagrams_come_back_exact_at_every_length() {
    let long = vec![0xA5; MAX_PAYLOAD];
    let payloads: [&[u8]; 4] = [b"", b"x", &[7; 1200], &long];
    let sent = block(&payloads, 8);
    // Lose every DATA: the four REPAIRs alone must rebuild them, padding stripped.
    let mut rx = receiver();
    for datagram in &sent[4..] {
        rx.handle_datagram(datagram, T0);
    }
    let got = deliveries(&mut rx);
    assert_eq!(got.iter().map(|d| &d.payload[..]).collect::<Vec<_>>(), payloads);
    assert!(got.iter().all(|d| d.recovered));
    assert_eq!(rx.blocks_in_flight(), 0, "a complete block is retired");
    assert_eq!(rx.buffered_bytes(), 0);
}

#[test]
fn duplicates_are_delivered_once_and_spare_repairs_are_redundant() {
    let sent = block(&[b"one", b"two"], 4);
    let mut rx = receiver();
    for datagram in [&sent[0], &sent[0], &sent[1], &sent[2], &sent[3]] {
        rx.handle_datagram(datagram, T0);
    }
    assert_eq!(deliveries(&mut rx).len(), 2);
    let stats = rx.stats();
    assert_eq!((stats.duplicate, stats.redundant, stats.recovered), (1, 1, 0));
}

#[test]
fn conflicting_k_or_symbol_length_for_a_block_is_malformed() {
    let sent = block(&[b"aaaa", b"bb", b"c", b"dddd"], 6);
    let mut rx = receiver();
    rx.handle_datagram(&sent[4], T0); // REPAIR: k=4, m=2, symbol 6 bytes
    rx.handle_datagram(&repair(7, 0, 5, 5, 2, &[0; 6]), T0); // k=5 for the same block
    rx.handle_datagram(&repair(7, 0, 5, 4, 2, &[0; 9]), T0); // another symbol length
    rx.handle_datagram(&data(7, 0, 4, b"e"), T0); // index past the declared k
    rx.handle_datagram(&data(7, 0, 1, b"too long!"), T0); // longer than any symbol of it
    assert_eq!(rx.stats().malformed, 4);
    assert!(deliveries(&mut rx).is_empty());
    // The honest symbols still complete the block.
    for datagram in &sent[1..4] {
        rx.handle_datagram(datagram, T0);
    }
    let mut got: Vec<Vec<u8>> = deliveries(&mut rx).into_iter().map(|d| d.payload.into()).collect();
    got.sort();
    assert_eq!(got, [b"aaaa".to_vec(), b"bb".to_vec(), b"c".to_vec(), b"dddd".to_vec()]);
}

#[test]
fn a_repair_contradicting_held_data_is_refused() {
    let mut rx = receiver();
    rx.handle_datagram(&data(7, 9, 5, b"sixth"), T0);
    rx.handle_datagram(&repair(7, 9, 4, 4, 1, &[0; 7]), T0); // says k=4, but index 5 exists
    rx.handle_datagram(&repair(7, 9, 8, 8, 1, &[0; 3]), T0); // shorter than the held unit
    assert_eq!((rx.stats().delivered, rx.stats().malformed), (0, 2), "held: sources 0..5 of block 9 are missing");
    // At the deadline the gap is passed over and the DATA goes out.
    rx.handle_timeout(T0 + ReceiverConfig::default().block_deadline);
    assert_eq!((rx.stats().delivered, rx.stats().lost), (1, 5));
}

#[test]
fn expired_blocks_count_missing_sources_lost_and_stragglers_late() {
    let sent = block(&[b"0", b"1", b"2", b"3"], 5);
    let config = ReceiverConfig { block_deadline: Duration::from_millis(100), ..ReceiverConfig::default() };
    let mut rx = Receiver::new(config).unwrap();
    for datagram in [&sent[0], &sent[2], &sent[4]] {
        rx.handle_datagram(datagram, T0);
    }
    assert!(rx.poll_timeout() <= Some(T0 + Duration::from_millis(100)));
    // At the held payload's deadline the gap before it is passed over; its straggler is late.
    rx.handle_datagram(&sent[1], T0 + Duration::from_millis(100));
    let stats = rx.stats();
    assert_eq!((stats.delivered, stats.expired_blocks, stats.lost, stats.late), (2, 0, 1, 1));
    // The block lives twice the budget, then its last missing source is lost.
    rx.handle_timeout(T0 + Duration::from_millis(200));
    let stats = rx.stats();
    assert_eq!((stats.delivered, stats.expired_blocks, stats.lost, stats.late), (2, 1, 2, 1));
    assert_eq!(rx.blocks_in_flight(), 0);
}

#[test]
fn foreign_connections_and_control_packets_are_counted_and_dropped() {
    let mut rx = receiver();
    rx.handle_datagram(&data(8, 0, 0, b"not ours"), T0);
    let ping =
        Packet { header: Header { flags: 0, connection_id: 7, packet_number: 3 }, body: Body::Ping(Echo { token: 1 }) };
    rx.handle_datagram(&ping.to_vec(), T0);
    let stats = rx.stats();
    assert_eq!((stats.received, stats.foreign, stats.ignored, stats.delivered), (2, 1, 1, 0));
}

#[test]
fn memory_budget_evicts_the_oldest_blocks() {
    let config = ReceiverConfig { max_buffered_bytes: 10_000, ..ReceiverConfig::default() };
    let mut rx = Receiver::new(config).unwrap();
    for block in 0..100 {
        rx.handle_datagram(&data(1, block, 0, &[1; 1000]), T0);
        assert!(rx.buffered_bytes() <= 10_000);
    }
    assert_eq!(rx.stats().delivered, 100, "DATA is delivered on arrival whatever happens to its block");
    // Each block holds 1,002 bytes of symbol plus bookkeeping (a shared symbol's handle and the
    // block's tables, a few hundred bytes): 7 to 9 fit in 10,000.
    assert!((7..=9).contains(&rx.blocks_in_flight()), "{}", rx.blocks_in_flight());
    assert_eq!(rx.stats().evicted_blocks, 100 - rx.blocks_in_flight() as u64);
}

#[test]
fn sender_refuses_oversized_payloads_and_impossible_configs() {
    let mut tx = Sender::new(SenderConfig { max_payload: 100, ..SenderConfig::default() }).unwrap();
    assert_eq!(tx.send(&[0; 101], T0), Err(SendError::TooLarge { got: 101, max: 100 }));
    assert!(tx.poll_transmit().is_none());
    assert!(Sender::new(SenderConfig { max_payload: MAX_PAYLOAD + 1, ..SenderConfig::default() }).is_err());
    assert!(
        Sender::new(SenderConfig { redundancy: Redundancy::Fixed { k: 0, n: 1 }, ..SenderConfig::default() }).is_err()
    );
    assert!(Receiver::new(ReceiverConfig { max_blocks: 0, ..ReceiverConfig::default() }).is_err());
}

#[test]
fn sender_emits_data_at_once_and_repairs_at_the_time_bound() {
    let mut tx = sender(10, 13);
    tx.send(b"a", T0).unwrap();
    tx.send(b"bc", T0 + Duration::from_millis(1)).unwrap();
    assert_eq!(std::iter::from_fn(|| tx.poll_transmit()).count(), 2, "two DATA, no REPAIR yet");
    assert_eq!(tx.poll_timeout(), Some(T0 + Duration::from_millis(5)));
    tx.handle_timeout(T0 + Duration::from_millis(5));
    let repairs: Vec<_> = std::iter::from_fn(|| tx.poll_transmit()).collect();
    assert_eq!(repairs.len(), 1, "m' = ceil(2 * 3 / 10) = 1");
    let Body::Repair(repair) = Packet::parse(&repairs[0].datagram).unwrap().body else { panic!("not a REPAIR") };
    assert_eq!((repair.block, repair.index, repair.k, repair.m, repair.symbol.len()), (0, 2, 2, 1, 8));
    assert_eq!(tx.poll_timeout(), None);
    tx.send(b"d", T0 + Duration::from_millis(6)).unwrap();
    let datagram = tx.poll_transmit().unwrap().datagram;
    let Body::Data(next) = Packet::parse(&datagram).unwrap().body else { panic!("not a DATA") };
    assert_eq!((next.block, next.index), (2, 0), "the next block is numbered by its first source, 0 + 2");
}
