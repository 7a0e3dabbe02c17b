//! The multi-peer endpoint on a virtual clock: demultiplexing by address, junk that cannot
//! create peers, and the peer cap.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use common::{payload, Rng};
use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamTable};
use proto::seed::SeedReceiverConfig;
use proto::stream::{ReceiverConfig, Redundancy, SenderConfig};
use proto::Timestamp;

fn v1(max_peers: usize) -> EndpointConfig {
    EndpointConfig {
        format: Format::V1 {
            sender: SenderConfig { redundancy: Redundancy::Ratio { k: 10, ratio: 0.3 }, ..SenderConfig::default() },
            receiver: ReceiverConfig::default(),
        },
        max_peers,
        pace_bits_per_second: 0,
        path: PathConfig::disabled(),
        streams: StreamTable::default(),
        security: None,
    }
}

fn address(i: u32) -> SocketAddr {
    SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 4000 + (i % 1000) as u16))
}

/// Moves every datagram the senders emit to the receiver, losing each with probability
/// `loss`, and runs timers, until nothing is left in flight.
fn run(senders: &mut [(SocketAddr, Endpoint)], receiver: &mut Endpoint, receiver_address: SocketAddr, loss: f64, rng: &mut Rng, now: &mut Timestamp) {
    for _ in 0..100 {
        let mut moved = false;
        for (from, sender) in senders.iter_mut() {
            let due = sender.poll_timeout().is_some_and(|t| t <= *now);
            if due {
                sender.handle_timeout(*now);
            }
            while let Some((to, transmit)) = sender.poll_transmit(*now) {
                assert_eq!(to, receiver_address);
                moved = true;
                if !rng.chance(loss) {
                    receiver.handle_datagram(*from, &transmit.datagram, *now);
                }
            }
        }
        if receiver.poll_timeout().is_some_and(|t| t <= *now) {
            receiver.handle_timeout(*now);
        }
        if !moved && senders.iter().all(|(_, s)| s.poll_timeout().is_none()) {
            return;
        }
        *now = *now + Duration::from_millis(1);
    }
}

/// Each sender's payloads come out of the shared receiver in that sender's order, repaired.
#[test]
fn three_senders_are_told_apart_repaired_and_kept_in_order() {
    let receiver_address = address(999);
    let mut receiver = Endpoint::new(v1(16)).unwrap();
    let mut senders: Vec<(SocketAddr, Endpoint)> = (0..3).map(|i| (address(i), Endpoint::new(v1(16)).unwrap())).collect();
    let mut rng = Rng::new(7);
    let mut now = Timestamp::from_micros(0);
    let mut sent: HashMap<SocketAddr, Vec<Vec<u8>>> = HashMap::new();
    for seq in 0..3000u64 {
        let (from, sender) = &mut senders[(seq % 3) as usize];
        let message = payload(seq, 1200);
        sender.send(receiver_address, &message, now).unwrap();
        sent.entry(*from).or_default().push(message);
        if seq % 30 == 29 {
            run(&mut senders, &mut receiver, receiver_address, 0.03, &mut rng, &mut now);
        }
    }
    for (_, sender) in senders.iter_mut() {
        sender.flush();
    }
    run(&mut senders, &mut receiver, receiver_address, 0.03, &mut rng, &mut now);
    // Payloads held behind a gap FEC could not fill go out at their deadline.
    while let Some(due) = receiver.poll_timeout() {
        now = now.max(due);
        receiver.handle_timeout(now);
    }
    let mut got: HashMap<SocketAddr, Vec<Vec<u8>>> = HashMap::new();
    while let Some((from, delivery)) = receiver.poll_delivery() {
        got.entry(from).or_default().push(delivery.payload.into());
    }
    let stats = receiver.stats();
    assert_eq!(stats.peers, 3);
    assert!(stats.receive.recovered > 0, "3% loss must exercise the repair path");
    for (from, messages) in &sent {
        let delivered = got.remove(from).unwrap_or_default();
        // In order: each delivery is a later message of this sender than the one before.
        let mut rest = messages.iter();
        for message in &delivered {
            assert!(rest.any(|m| m == message), "{from}: out of order, from another peer, or corrupted");
        }
        let missing = messages.len() - delivered.len();
        assert!(missing <= 2, "{from}: {missing} of {} missing", messages.len());
    }
}

#[test]
fn junk_from_many_addresses_creates_no_peers() {
    let mut receiver = Endpoint::new(v1(8)).unwrap();
    let mut rng = Rng::new(1);
    let now = Timestamp::from_micros(0);
    for i in 0..20_000u32 {
        let len = rng.below(1400) as usize;
        let junk: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        receiver.handle_datagram(address(i), &junk, now);
    }
    let stats = receiver.stats();
    assert_eq!(stats.peers, 0);
    assert_eq!(stats.receive.received, 20_000);
    assert!(stats.receive.malformed + stats.receive.foreign + stats.receive.ignored >= 19_900, "{stats:?}");
    assert!(receiver.poll_delivery().is_none());
}

#[test]
fn peers_beyond_the_cap_evict_the_least_recently_active() {
    let receiver_address = address(999);
    let mut receiver = Endpoint::new(v1(4)).unwrap();
    let now = Timestamp::from_micros(0);
    for i in 0..10 {
        let mut sender = Endpoint::new(v1(4)).unwrap();
        sender.send(receiver_address, &payload(i as u64, 100), now).unwrap();
        while let Some((_, transmit)) = sender.poll_transmit(now) {
            receiver.handle_datagram(address(i), &transmit.datagram, now);
        }
    }
    let stats = receiver.stats();
    assert_eq!(stats.peers, 4);
    assert_eq!(stats.evicted_peers, 6);
    assert_eq!(stats.receive.delivered, 10, "counters of evicted peers are kept");
}

#[test]
fn the_seed_format_runs_through_the_endpoint() {
    let config = EndpointConfig { format: Format::Seed { k: 4, n: 16, receiver: SeedReceiverConfig::default() }, max_peers: 4, pace_bits_per_second: 0, path: PathConfig::disabled(), streams: StreamTable::default(), security: None };
    let mut sender = Endpoint::new(config.clone()).unwrap();
    let mut receiver = Endpoint::new(config).unwrap();
    let mut rng = Rng::new(3);
    let now = Timestamp::from_micros(0);
    for seq in 0..500u64 {
        sender.send(address(1), &payload(seq, 300), now).unwrap();
    }
    while let Some((_, transmit)) = sender.poll_transmit(now) {
        if !rng.chance(0.3) {
            receiver.handle_datagram(address(2), &transmit.datagram, now);
        }
    }
    let delivered = std::iter::from_fn(|| receiver.poll_delivery()).count();
    assert_eq!(delivered, 500);
    assert_eq!(sender.stats().repairs_sent, 500 * 12);
}
