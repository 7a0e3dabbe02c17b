//! The secure path: handshake messages and sealed packets, as an attacker would send them.
//!
//! The first byte picks the half. Even: records (`[peer][advance ms][len u16][datagram]`) at a
//! secure endpoint, which answers HELLOs, calls peer 1 itself (so WELCOMEs have a handshake to
//! complete) and opens sealed packets; it must never panic, never deliver what did not
//! authenticate, and stay within its peer cap. Odd: records (`[len u16][datagram]`) opened by a
//! session with fixed keys (the corpus holds packets sealed with them, so mutations reach the
//! replay window and the parser behind it); whatever opens must be the sealed length less the tag.
#![no_main]

use std::net::SocketAddr;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamTable};
use proto::secure::{EncryptMode, Keys, SecurityConfig, Session, TAG_LEN};
use proto::stream::{ReceiverConfig, SenderConfig};
use proto::wire::v1::Packet;
use proto::Timestamp;

const MAX_PEERS: usize = 4;

fn endpoint_records(mut rest: &[u8]) {
    let security = SecurityConfig { psk: Some([7; 32]), handshakes_per_second: 100, ..SecurityConfig::new(EncryptMode::All) };
    let mut endpoint = Endpoint::new(EndpointConfig {
        format: Format::V1 { sender: SenderConfig::default(), receiver: ReceiverConfig::default() },
        max_peers: MAX_PEERS,
        pace_bits_per_second: 0,
        path: PathConfig::default(),
        streams: StreamTable::default(),
        security: Some(security),
    })
    .expect("valid config");
    let mut now = Timestamp::ZERO;
    let caller = SocketAddr::from(([10, 0, 0, 1], 5000));
    endpoint.send(caller, b"hello", now).expect("can call with a psk");
    while rest.len() >= 4 {
        let from = SocketAddr::from(([10, 0, 0, rest[0] % 8], 5000));
        now = now + Duration::from_millis(u64::from(rest[1]));
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]])).min(rest.len() - 4);
        let (datagram, tail) = rest[4..].split_at(len);
        rest = tail;
        endpoint.handle_datagram(from, datagram, now);
        if endpoint.poll_timeout().is_some_and(|t| t <= now) {
            endpoint.handle_timeout(now);
        }
        // Nothing forged can authenticate: without the peer's keys no datagram is delivered.
        assert!(endpoint.poll_delivery().is_none(), "delivered something unauthenticated");
        while endpoint.poll_transmit(now).is_some() {}
        while endpoint.poll_event().is_some() {}
        assert!(endpoint.stats().peers <= MAX_PEERS);
    }
}

fn session_records(mut rest: &[u8]) {
    let mut session = Session::new(EncryptMode::Control, &Keys { send: [2; 32], receive: [1; 32] });
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let (datagram, tail) = rest[2..].split_at(len);
        rest = tail;
        if let Ok(plain) = session.open(datagram) {
            assert_eq!(plain.len() + TAG_LEN, datagram.len());
            let _ = Packet::parse(&plain);
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&half, rest)) = input.split_first() else { return };
    if half % 2 == 0 {
        endpoint_records(rest);
    } else {
        session_records(rest);
    }
});
