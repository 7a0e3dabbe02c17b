//! Writes the fuzz targets' seed corpus (fuzz/corpus/<target>/): one well-formed example of
//! every packet type, and recorded traffic for the receiver and endpoint targets, so fuzzing
//! starts from inputs that reach deep into the parsers instead of failing at the magic byte.
//!
//!     cargo run -p perfect-socket-proto --example fuzz_corpus

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamConfig, StreamTable};
use proto::stream::{Redundancy, SenderConfig, ReceiverConfig, Sender};
use proto::wire::seed::{SeedHeader, SeedPacket};
use proto::wire::v1::{
    Body, Close, Echo, Feedback, Frame, FrameLayout, Header, Nack, NackRange, Packet, Probe, StreamAck,
};
use proto::secure::{EncryptMode, Keys, SecurityConfig, Session, Space};
use proto::Timestamp;

fn corpus_dir(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    fs::create_dir_all(&dir).expect("create corpus dir");
    dir
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    fs::write(corpus_dir(target).join(name), bytes).expect("write corpus file");
}

/// Datagrams a sender emits for a few payloads: DATA, then REPAIR at block close.
fn stream_datagrams() -> Vec<Vec<u8>> {
    let config = SenderConfig { redundancy: Redundancy::Ratio { k: 4, ratio: 0.5 }, connection_id: 7, ..SenderConfig::default() };
    let mut sender = Sender::new(config).expect("valid");
    let mut out = Vec::new();
    for i in 0..6u8 {
        sender.send(&vec![i; 20 + usize::from(i) * 30], Timestamp::from_micros(u64::from(i) * 1000)).expect("fits");
    }
    sender.flush();
    while let Some(transmit) = sender.poll_transmit() {
        out.push(transmit.datagram.into());
    }
    out
}

/// Records in the receiver target's format: `[advance ms][len u16 BE][datagram]`.
fn records(datagrams: &[Vec<u8>], prefix: &[u8]) -> Vec<u8> {
    let mut input = Vec::new();
    for datagram in datagrams {
        input.extend_from_slice(prefix);
        input.push(1);
        input.extend_from_slice(&(datagram.len() as u16).to_be_bytes());
        input.extend_from_slice(datagram);
    }
    input
}

fn main() {
    let header = Header { flags: 0, connection_id: 7, packet_number: 1 };
    let layout = FrameLayout { len: 5, symbol_size: 4, max_block_sources: 2 };
    let control = [
        ("nack", Body::Nack(Nack { ranges: vec![NackRange { block: 5, first: 1, count: 2 }] })),
        ("feedback", Body::Feedback(Feedback { highest_seq: 9, received: 1000, missing: 50, bursts: 40, recovered: 12, lost: 1, rtt_micros: 40_000 })),
        ("ping", Body::Ping(Echo { token: 42 })),
        ("pong", Body::Pong(Echo { token: 42 })),
        ("probe", Body::Probe(Probe { token: 0x4D54_0000_0000_0001, padding: 40 })),
        ("stream_ack", Body::StreamAck(StreamAck { stream: 1, next: 3 })),
        ("close", Body::Close(Close { code: 0 })),
        ("frame", Body::Frame(Frame { frame: 1, layout, block: 0, index: 2, m: 1, symbol: &[0xAA, 0xBB, 0xCC, 0xDD] })),
    ];
    for (name, body) in control {
        write("wire_v1", name, &Packet { header, body }.to_vec());
    }
    let stream = stream_datagrams();
    for (i, datagram) in stream.iter().enumerate() {
        write("wire_v1", &format!("stream_{i}"), datagram);
    }
    let mut seed = Vec::new();
    SeedPacket { header: SeedHeader { batch_id: 1, index: 5, k: 4, n: 16, orig_len: 13 }, fragment: b"\xf5\x10\xc0\xb3" }.encode(&mut seed);
    write("wire_seed", "seed_parity", &seed);

    write("stream_receiver", "in_order", &records(&stream, &[]));
    let mut lossy: Vec<Vec<u8>> = stream.iter().enumerate().filter(|(i, _)| i % 3 != 1).map(|(_, d)| d.clone()).collect();
    lossy.reverse();
    write("stream_receiver", "lossy_reordered", &records(&lossy, &[]));

    // An endpoint's own traffic to peer 10.0.0.1, replayed as if from that peer: data on a
    // reliable and a deadline-bound stream, keep-alives, probes.
    let streams = StreamTable::new([StreamConfig::reliable(1, 0), StreamConfig::deadline(2, 1)]).expect("valid");
    let config = EndpointConfig {
        format: Format::V1 { sender: SenderConfig::default(), receiver: ReceiverConfig::default() },
        max_peers: 4,
        pace_bits_per_second: 0,
        path: PathConfig::default(),
        streams,
        security: None,
    };
    let mut endpoint = Endpoint::new(config).expect("valid");
    let peer = SocketAddr::from(([10, 0, 0, 1], 5000));
    let mut datagrams: Vec<Vec<u8>> = Vec::new();
    for i in 0..10u8 {
        let now = Timestamp::ZERO + Duration::from_millis(u64::from(i) * 10);
        endpoint.send_on(peer, 1 + i % 2, &[i; 64], now).expect("fits");
        while let Some((_, transmit)) = endpoint.poll_transmit(now) {
            datagrams.push(transmit.datagram.into());
        }
    }
    endpoint.flush();
    while let Some((_, transmit)) = endpoint.poll_transmit(Timestamp::ZERO + Duration::from_secs(1)) {
        datagrams.push(transmit.datagram.into());
    }
    write("endpoint", "two_streams", &records(&datagrams, &[1]));
    write_secure_corpus(&stream);
    println!("corpus written under fuzz/corpus/");
}

/// The `secure` target's seeds: a genuine HELLO (from the psk the target's endpoint holds) with
/// junk after it, and stream datagrams sealed with the fixed keys of its session half (with a
/// replay of the first).
fn write_secure_corpus(stream: &[Vec<u8>]) {
    let security = SecurityConfig { psk: Some([7; 32]), ..SecurityConfig::new(EncryptMode::All) };
    let config = EndpointConfig {
        format: Format::V1 { sender: SenderConfig::default(), receiver: ReceiverConfig::default() },
        max_peers: 4,
        pace_bits_per_second: 0,
        path: PathConfig::default(),
        streams: StreamTable::default(),
        security: Some(security),
    };
    let mut caller = Endpoint::new(config).expect("valid");
    caller.send(SocketAddr::from(([10, 0, 0, 9], 5000)), b"hi", Timestamp::ZERO).expect("fits");
    let hello = caller.poll_transmit(Timestamp::ZERO).expect("the HELLO").1.datagram.to_vec();
    let mut input = vec![0u8];
    input.extend(records(&[hello.clone(), hello, vec![0xA1, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]], &[2]));
    write("secure", "hello", &input);

    let mut session = Session::new(EncryptMode::Control, &Keys { send: [1; 32], receive: [2; 32] });
    let mut sealed: Vec<Vec<u8>> = stream
        .iter()
        .map(|datagram| {
            let mut datagram = datagram.clone();
            session.seal(Space::Sender, &mut datagram);
            datagram
        })
        .collect();
    sealed.push(sealed[0].clone());
    let mut input = vec![1u8];
    for datagram in &sealed {
        input.extend_from_slice(&(datagram.len() as u16).to_be_bytes());
        input.extend_from_slice(datagram);
    }
    write("secure", "sealed_stream", &input);
}
