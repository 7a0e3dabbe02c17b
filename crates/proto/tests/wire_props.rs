//! Parsers are total: random bytes and mutated valid packets give a packet or a typed error,
//! never a panic; whatever parses re-encodes to the same bytes.

mod common;

use fec::CodeKind;
use proptest::prelude::*;
use proto::stream::{Receiver, ReceiverConfig};
use proto::wire::seed::{SeedHeader, SeedPacket};
use proto::wire::unit::{OwnedUnit, Unit};
use proto::wire::v1::{Body, Close, Data, Echo, Feedback, Frame, FrameLayout, Header, Nack, NackRange, Packet, Repair};
use proto::Timestamp;

/// An owned description of a valid v1 packet, from which the test builds the bytes.
#[derive(Clone, Debug)]
enum Spec {
    Data { block: u32, index: u8, payload: Vec<u8>, sent_at: u32 },
    Repair { block: u32, k: u8, m: u8, pick: u8, code: CodeKind, symbol: Vec<u8> },
    Nack(Vec<(u32, u8, u8)>),
    Feedback([u32; 7]),
    Ping(u64),
    Pong(u64),
    Close(u16),
    Frame { frame: u32, layout: FrameLayout, picks: [u16; 3] },
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (any::<u32>(), any::<u8>(), prop::collection::vec(any::<u8>(), 0..300), any::<u32>())
            .prop_map(|(block, index, payload, sent_at)| Spec::Data { block, index, payload, sent_at }),
        (
            any::<u32>(),
            1u8..=200,
            1u8..=56,
            any::<u8>(),
            prop::sample::select(&CodeKind::ALL[..]),
            prop::collection::vec(any::<u8>(), 6..300)
        )
            .prop_map(|(block, k, m, pick, code, symbol)| Spec::Repair { block, k, m, pick, code, symbol }),
        prop::collection::vec((any::<u32>(), 0u8..=200, 1u8..=55), 1..20).prop_map(Spec::Nack),
        any::<[u32; 7]>().prop_map(Spec::Feedback),
        any::<u64>().prop_map(Spec::Ping),
        any::<u64>().prop_map(Spec::Pong),
        any::<u16>().prop_map(Spec::Close),
        (any::<u32>(), 0u32..100_000, 16u16..2000, 1u8..=255, any::<[u16; 3]>()).prop_map(
            |(frame, len, symbol_size, max_block_sources, picks)| {
                Spec::Frame { frame, layout: FrameLayout { len, symbol_size, max_block_sources }, picks }
            }
        ),
    ]
}

fn build(spec: &Spec, header: Header) -> Vec<u8> {
    let unit = match spec {
        Spec::Data { payload, sent_at, .. } => OwnedUnit::frame(payload, *sent_at),
        _ => None,
    };
    let symbol = match spec {
        Spec::Frame { layout, .. } => vec![0x3C; usize::from(layout.symbol_size)],
        _ => Vec::new(),
    };
    let body = match spec {
        Spec::Data { block, index, .. } => {
            Body::Data(Data { block: *block, index: *index, unit: unit.as_ref().expect("payload fits").as_unit() })
        }
        Spec::Repair { block, k, m, pick, code, symbol } => {
            Body::Repair(Repair { block: *block, index: k + pick % m, k: *k, m: *m, code: *code, symbol })
        }
        Spec::Nack(ranges) => Body::Nack(Nack {
            ranges: ranges.iter().map(|&(block, first, count)| NackRange { block, first, count }).collect(),
        }),
        &Spec::Feedback([highest_seq, received, missing, bursts, recovered, lost, rtt_micros]) => {
            Body::Feedback(Feedback { highest_seq, received, missing, bursts, recovered, lost, rtt_micros })
        }
        Spec::Ping(token) => Body::Ping(Echo { token: *token }),
        Spec::Pong(token) => Body::Pong(Echo { token: *token }),
        Spec::Close(code) => Body::Close(Close { code: *code }),
        Spec::Frame { frame, layout, picks: [block, m, index] } => {
            let block = (u64::from(*block) % layout.blocks()) as u16;
            let k = layout.block_sources(u64::from(block));
            let m = 1 + usize::from(*m) % (256 - k);
            let index = (usize::from(*index) % (k + m)) as u8;
            Body::Frame(Frame { frame: *frame, layout: *layout, block, index, m: m as u8, symbol: &symbol })
        }
    };
    Packet { header, body }.to_vec()
}

fn header() -> impl Strategy<Value = Header> {
    (any::<u8>(), any::<u32>(), any::<u32>()).prop_map(|(flags, connection_id, packet_number)| Header {
        flags,
        connection_id,
        packet_number,
    })
}

/// Parses `bytes` with every parser; whatever parses must re-encode to exactly `bytes`.
fn parse_everything(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(packet) = Packet::parse(bytes) {
        prop_assert_eq!(packet.to_vec(), bytes);
    }
    if let Ok(packet) = SeedPacket::parse(bytes) {
        let mut out = Vec::new();
        packet.encode(&mut out);
        prop_assert_eq!(out, bytes);
    }
    if let Ok(unit) = Unit::parse(bytes) {
        prop_assert_eq!(unit.as_bytes(), bytes);
        prop_assert!(unit.payload().len() + 2 <= bytes.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        parse_everything(&bytes)?;
    }

    /// Random bytes behind a valid magic and type reach the body parsers.
    #[test]
    fn random_bodies_never_panic(kind in 0u8..10, rest in prop::collection::vec(any::<u8>(), 0..120)) {
        let bytes = [&[0xA1, kind][..], &rest].concat();
        parse_everything(&bytes)?;
    }

    #[test]
    fn valid_packets_round_trip(spec in spec(), header in header()) {
        let bytes = build(&spec, header);
        let packet = Packet::parse(&bytes);
        prop_assert!(packet.is_ok(), "{:?} -> {:?}", spec, packet);
        let packet = packet.unwrap();
        // Flag bits a type claims (a REPAIR's code) belong to its body, not to the header.
        let claimed = packet.body.packet_type().body_flags();
        prop_assert_eq!(packet.header, Header { flags: header.flags & !claimed, ..header });
        if let (Spec::Repair { code, .. }, Body::Repair(repair)) = (&spec, &packet.body) {
            prop_assert_eq!(repair.code, *code);
        }
    }

    #[test]
    fn seed_packets_round_trip(batch_id in any::<u32>(), k in 1u8..=255, extra in any::<u8>(), pick in any::<u8>(), orig_len in 0u16..3000) {
        let n = k.saturating_add(extra % 16).max(k);
        let header = SeedHeader { batch_id, index: pick % n, k, n, orig_len };
        let fragment = vec![0x5A; header.fragment_len()];
        let mut bytes = Vec::new();
        SeedPacket { header, fragment: &fragment }.encode(&mut bytes);
        prop_assert_eq!(SeedPacket::parse(&bytes).map(|p| p.header), Ok(header));
    }

    /// Valid packets with bytes overwritten, inserted or cut: parsers stay total and a
    /// receiver fed the result neither panics nor loses count.
    #[test]
    fn mutated_valid_packets_never_panic(
        spec in spec(),
        header in header(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut bytes = build(&spec, header);
        for (at, byte, how) in edits {
            let at = at.index(bytes.len() + 1);
            match how {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => bytes.truncate(at),
            }
        }
        parse_everything(&bytes)?;
        let mut receiver = Receiver::new(ReceiverConfig::default()).unwrap();
        receiver.handle_datagram(&bytes, Timestamp::ZERO);
        prop_assert_eq!(receiver.stats().accounted(), 1);
    }
}
