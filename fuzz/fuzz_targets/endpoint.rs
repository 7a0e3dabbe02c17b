//! A v1 endpoint with streams, keep-alive and MTU probing fed arbitrary datagrams from a few
//! addresses on a virtual clock: no panic, peers within their cap.
//!
//! Input: records `[from u8][advance ms u8][len u16 BE][datagram]`.
#![no_main]

use std::net::SocketAddr;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamConfig, StreamTable};
use proto::stream::{ReceiverConfig, SenderConfig};
use proto::Timestamp;

const MAX_PEERS: usize = 4;

fuzz_target!(|input: &[u8]| {
    let streams = StreamTable::new([StreamConfig::reliable(1, 0), StreamConfig::deadline(2, 1)]).expect("valid");
    let mut endpoint = Endpoint::new(EndpointConfig {
        format: Format::V1 { sender: SenderConfig::default(), receiver: ReceiverConfig::default() },
        max_peers: MAX_PEERS,
        pace_bits_per_second: 0,
        path: PathConfig::default(),
        streams,
        security: None,
    })
    .expect("valid config");
    let mut now = Timestamp::ZERO;
    let mut rest = input;
    while rest.len() >= 4 {
        let peer = rest[0] % 8;
        let from = SocketAddr::from(([10, 0, 0, peer], 5000));
        now = now + Duration::from_millis(u64::from(rest[1]));
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]])).min(rest.len() - 4);
        let (datagram, tail) = rest[4..].split_at(len);
        rest = tail;
        // Our own traffic to one peer, so its sender half (NACK, FEEDBACK, STREAM_ACK) is live.
        if peer == 1 {
            let _ = endpoint.send_on(from, 1, datagram, now);
        }
        endpoint.handle_datagram(from, datagram, now);
        if endpoint.poll_timeout().is_some_and(|t| t <= now) {
            endpoint.handle_timeout(now);
        }
        while endpoint.poll_delivery().is_some() {}
        while endpoint.poll_transmit(now).is_some() {}
        while endpoint.poll_event().is_some() {}
        assert!(endpoint.stats().peers <= MAX_PEERS);
    }
});
