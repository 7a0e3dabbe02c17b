//! Secure endpoints on a virtual clock: the handshake, and what an attacker on the path or
//! off it can do (wrong key, replay, altered bytes, a spoofed handshake flood).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::pair::{Pair, A, B};
use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamTable};
use proto::secure::{EncryptMode, SecurityConfig};
use proto::stream::{ReceiverConfig, Redundancy, SenderConfig};
use proto::Timestamp;

fn config(passphrase: &str, mode: EncryptMode) -> SecurityConfig {
    SecurityConfig { psk: Some(proto::secure::passphrase_key(passphrase).unwrap()), ..SecurityConfig::new(mode) }
}

fn endpoint(security: SecurityConfig, nack: bool) -> Endpoint {
    let sender = SenderConfig { redundancy: Redundancy::Fixed { k: 4, n: 5 }, nack, ..SenderConfig::default() };
    Endpoint::new(EndpointConfig {
        format: Format::V1 { sender, receiver: ReceiverConfig { nack, ..ReceiverConfig::default() } },
        max_peers: 16,
        pace_bits_per_second: 0,
        path: PathConfig::disabled(),
        streams: StreamTable::default(),
        security: Some(security),
    })
    .unwrap()
}

const SECRET: &str = "correct horse battery staple";

fn payload(i: usize) -> Vec<u8> {
    format!("message {i:05} of the secure stream").into_bytes()
}

/// Everything `from` has to send now, destination and bytes.
fn drain(from: &mut Endpoint, now: Timestamp) -> Vec<(SocketAddr, Vec<u8>)> {
    std::iter::from_fn(|| from.poll_transmit(now)).map(|(to, t)| (to, t.datagram.into())).collect()
}

fn delivered(endpoint: &mut Endpoint) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| endpoint.poll_delivery()).map(|(_, d)| d.payload.into()).collect()
}

#[test]
fn a_shared_passphrase_carries_a_lossy_stream_in_both_modes() {
    for mode in [EncryptMode::All, EncryptMode::Control] {
        let mut pair = Pair::new(endpoint(config(SECRET, mode), true), endpoint(config(SECRET, mode), true), 1500);
        pair.loss = 0.05;
        for i in 0..400 {
            pair.a.send(B, &payload(i), pair.now).unwrap();
            let next = pair.now + Duration::from_millis(2);
            pair.run_until(next);
        }
        let end = pair.now + Duration::from_secs(2);
        pair.run_until(end);
        let got: Vec<Vec<u8>> = pair.b_delivered.iter().map(|d| d.payload.to_vec()).collect();
        let mut want: Vec<Vec<u8>> = (0..400).map(payload).collect();
        let mut sorted = got.clone();
        sorted.sort();
        want.sort();
        assert_eq!(sorted, want, "{mode:?}: every message, once");
        assert_eq!(pair.b.stats().security.handshakes, 1);
        assert_eq!(pair.a.stats().security.handshakes, 1);
        assert_eq!(pair.b.stats().security.auth_failed, 0);
    }
}

#[test]
fn a_wrong_passphrase_delivers_nothing_and_counts_auth_failures() {
    let (mut a, mut b) = (endpoint(config(SECRET, EncryptMode::All), true), endpoint(config("another passphrase", EncryptMode::All), true));
    let mut now = Timestamp::ZERO;
    for i in 0..50 {
        a.send(B, &payload(i), now).unwrap();
        for (_, datagram) in drain(&mut a, now) {
            b.handle_datagram(A, &datagram, now);
        }
        for (_, datagram) in drain(&mut b, now) {
            a.handle_datagram(B, &datagram, now);
        }
        now = now + Duration::from_millis(50);
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    assert!(delivered(&mut b).is_empty());
    assert!(b.stats().security.auth_failed > 0, "{:?}", b.stats().security);
    assert_eq!(b.stats().security.handshakes, 0);
    assert_eq!(b.stats().datagrams_sent, 0, "a wrong key earns no answer at all");
}

/// A and B with a completed handshake, and the sealed datagrams A sent B.
fn connected() -> (Endpoint, Endpoint, Vec<Vec<u8>>, Timestamp) {
    let (mut a, mut b) = (endpoint(config(SECRET, EncryptMode::All), false), endpoint(config(SECRET, EncryptMode::All), false));
    let now = Timestamp::ZERO;
    let mut sealed = Vec::new();
    for i in 0..20 {
        a.send(B, &payload(i), now).unwrap();
    }
    a.flush();
    for _ in 0..4 {
        for (_, datagram) in drain(&mut a, now) {
            if datagram[1] != 0x0B {
                sealed.push(datagram.clone());
            }
            b.handle_datagram(A, &datagram, now);
        }
        for (_, datagram) in drain(&mut b, now) {
            a.handle_datagram(B, &datagram, now);
        }
    }
    (a, b, sealed, now)
}

#[test]
fn a_replayed_capture_is_not_delivered_twice() {
    let (_a, mut b, sealed, now) = connected();
    assert_eq!(delivered(&mut b).len(), 20);
    for datagram in &sealed {
        b.handle_datagram(A, datagram, now);
    }
    assert!(delivered(&mut b).is_empty());
    assert_eq!(b.stats().security.replayed, sealed.len() as u64);
}

#[test]
fn a_flipped_bit_is_dropped_and_counted() {
    let (mut a, mut b) = (endpoint(config(SECRET, EncryptMode::Control), false), endpoint(config(SECRET, EncryptMode::Control), false));
    let now = Timestamp::ZERO;
    a.send(B, b"first", now).unwrap();
    for _ in 0..3 {
        for (_, d) in drain(&mut a, now) {
            b.handle_datagram(A, &d, now);
        }
        for (_, d) in drain(&mut b, now) {
            a.handle_datagram(B, &d, now);
        }
    }
    assert_eq!(delivered(&mut b), [b"first".to_vec()]);
    a.send(B, b"second, tampered", now).unwrap();
    let data = drain(&mut a, now).into_iter().find(|(_, d)| d[1] == 0x01).expect("a DATA").1;
    let before = b.stats().security.auth_failed;
    for at in [20, data.len() - 1] {
        let mut flipped = data.clone();
        flipped[at] ^= 0x20;
        b.handle_datagram(A, &flipped, now);
    }
    assert!(delivered(&mut b).is_empty());
    assert_eq!(b.stats().security.auth_failed, before + 2);
    b.handle_datagram(A, &data, now);
    assert_eq!(delivered(&mut b), [b"second, tampered".to_vec()]);
}

#[test]
fn a_spoofed_handshake_flood_is_not_amplified_and_real_peers_carry_on() {
    let (mut a, mut b, _, mut now) = connected();
    assert_eq!(delivered(&mut b).len(), 20);
    // A captured genuine HELLO, replayed from 20,000 forged sources, and HELLOs of random bytes.
    let mut caller = endpoint(config(SECRET, EncryptMode::All), false);
    caller.send(B, b"x", now).unwrap();
    let hello = drain(&mut caller, now).into_iter().find(|(_, d)| d[1] == 0x0B).unwrap().1;
    let sent_before = b.stats().bytes_sent;
    let mut flood_bytes = 0u64;
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..20_000u32 {
        let spoofed = SocketAddr::from(([10, 9, (i >> 8) as u8, i as u8], 40_000 + (i % 7) as u16));
        let mut datagram = hello.clone();
        if i % 2 == 1 {
            for byte in &mut datagram[12..] {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                *byte = rng as u8;
            }
        }
        flood_bytes += datagram.len() as u64;
        b.handle_datagram(spoofed, &datagram, now);
        // Each forged source repeats its HELLO a few times, as a retrying caller would.
        if i % 100 == 0 {
            for _ in 0..10 {
                flood_bytes += datagram.len() as u64;
                b.handle_datagram(spoofed, &datagram, now);
            }
        }
        if i % 1000 == 0 {
            now = now + Duration::from_millis(100);
        }
    }
    let egress = drain(&mut b, now).iter().map(|(_, d)| d.len() as u64).sum::<u64>();
    assert_eq!(b.stats().bytes_sent - sent_before, egress);
    assert!(egress <= 3 * flood_bytes, "egress {egress} vs flood {flood_bytes}");
    let s = b.stats().security;
    assert!(s.handshakes_limited > 0, "the rate limit engaged: {s:?}");
    assert!(s.auth_failed + s.handshakes_limited >= 10_000, "every random HELLO refused: {s:?}");
    assert!(s.auth_failed > 0, "{s:?}");
    // The real peer still gets through.
    a.send(B, b"still here", now).unwrap();
    for (_, d) in drain(&mut a, now) {
        b.handle_datagram(A, &d, now);
    }
    assert_eq!(delivered(&mut b), [b"still here".to_vec()]);
}

#[test]
fn a_retransmission_is_byte_identical_ciphertext() {
    let (mut a, mut b) = (endpoint(config(SECRET, EncryptMode::All), true), endpoint(config(SECRET, EncryptMode::All), true));
    let mut now = Timestamp::ZERO;
    let mut lost = None;
    let mut resent = Vec::new();
    for i in 0..60 {
        a.send(B, &payload(i), now).unwrap();
        for (_, d) in drain(&mut a, now) {
            if d[1] == 0x01 && lost.is_none() && i == 10 {
                lost = Some(d);
                continue;
            }
            if d[1] == 0x02 {
                continue; // no repairs: the loss is NACKed
            }
            if lost.as_ref().is_some_and(|l| l[3..11] == d[3..11]) {
                resent.push(d.clone());
            }
            b.handle_datagram(A, &d, now);
        }
        for (_, d) in drain(&mut b, now) {
            a.handle_datagram(B, &d, now);
        }
        now = now + Duration::from_millis(5);
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    let lost = lost.expect("dropped one DATA");
    assert!(!resent.is_empty(), "the NACK brought a retransmission");
    assert!(resent.iter().all(|r| *r == lost), "identical ciphertext");
}

#[test]
fn two_ends_calling_each_other_at_once_agree_on_one_session() {
    let (mut a, mut b) = (endpoint(config(SECRET, EncryptMode::All), false), endpoint(config(SECRET, EncryptMode::All), false));
    let now = Timestamp::ZERO;
    a.send(B, b"from a", now).unwrap();
    b.send(A, b"from b", now).unwrap();
    a.flush();
    b.flush();
    for _ in 0..6 {
        let (from_a, from_b) = (drain(&mut a, now), drain(&mut b, now));
        for (_, d) in from_a {
            b.handle_datagram(A, &d, now);
        }
        for (_, d) in from_b {
            a.handle_datagram(B, &d, now);
        }
    }
    assert_eq!(delivered(&mut b), [b"from a".to_vec()]);
    assert_eq!(delivered(&mut a), [b"from b".to_vec()]);
}

#[test]
fn a_nack_storm_gets_at_most_half_again_what_was_sent() {
    use proto::wire::v1::{Body, Header, Nack, NackRange, Packet, MAX_NACK_RANGES};
    // In the clear, where anyone can forge NACKs with the receiver's address.
    let clear = |nack: bool| {
        let sender = SenderConfig { redundancy: Redundancy::Fixed { k: 8, n: 10 }, nack, ..SenderConfig::default() };
        Endpoint::new(EndpointConfig {
            format: Format::V1 { sender, receiver: ReceiverConfig { nack, ..ReceiverConfig::default() } },
            max_peers: 4,
            pace_bits_per_second: 0,
            path: PathConfig::disabled(),
            streams: StreamTable::default(),
            security: None,
        })
        .unwrap()
    };
    let mut a = clear(true);
    let mut now = Timestamp::ZERO;
    let mut sources = Vec::new();
    for i in 0..4000 {
        a.send(B, &[i as u8; 1000], now).unwrap();
        for (_, d) in drain(&mut a, now) {
            if let Ok(Packet { header, body: Body::Data(data) }) = Packet::parse(&d) {
                sources.push((header.connection_id, data.block, data.index));
            }
        }
    }
    let original = a.stats().bytes_sent;
    let connection_id = sources[0].0;
    // Every source NACKed, again and again, a round trip apart.
    let mut storm = 0u64;
    for _ in 0..50 {
        now = now + Duration::from_millis(20);
        for chunk in sources.chunks(MAX_NACK_RANGES) {
            let ranges = chunk.iter().map(|&(_, block, first)| NackRange { block, first, count: 1 }).collect();
            let nack = Packet { header: Header { flags: 0, connection_id, packet_number: 0 }, body: Body::Nack(Nack { ranges }) }.to_vec();
            storm += nack.len() as u64;
            a.handle_datagram(B, &nack, now);
        }
        drain(&mut a, now);
    }
    let stats = a.stats();
    let resent = stats.bytes_sent - original;
    assert!(stats.retransmits_limited > 0);
    assert!(resent as f64 <= 0.5 * original as f64 + 1024.0 * 1024.0, "resent {resent} of {original} original ({storm} B of NACKs)");
}
