//! One conformance vector per v1 packet type: exact bytes, both directions, plus the ways
//! each can be cut short or padded. docs/PROTOCOL.md shows the same bytes.

use proto::stream::{CodeKind, Redundancy, Sender, SenderConfig};
use proto::wire::unit::OwnedUnit;
use proto::wire::v1::{
    Body, Close, Data, Echo, Feedback, Frame, FrameLayout, Header, Nack, NackRange, Packet, PacketType, Probe, Repair,
    StreamAck, CODE_FLAGS, PROBE_OVERHEAD,
};
use proto::{Timestamp, WireError};

/// Connection 0x01020304, packet number 0x0A0B0C0D, flags 0.
const HEADER: Header = Header { flags: 0, connection_id: 0x0102_0304, packet_number: 0x0A0B_0C0D };

fn header_bytes(kind: PacketType) -> Vec<u8> {
    vec![0xA1, kind as u8, 0x00, 0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D]
}

/// `body` encodes to the header then `body_bytes` and parses back to itself. Unless the body
/// ends in an open-ended field (a REPAIR symbol, whose length is the datagram's), a byte
/// less or more is an error.
fn conforms(body: Body<'_>, body_bytes: &[u8], open_ended: bool) {
    let kind = body.packet_type();
    let expected = [header_bytes(kind), body_bytes.to_vec()].concat();
    let packet = Packet { header: HEADER, body };
    assert_eq!(packet.to_vec(), expected, "{kind:?} encoding");
    assert_eq!(Packet::parse(&expected).as_ref(), Ok(&packet), "{kind:?} parsing");
    if !open_ended {
        assert!(Packet::parse(&expected[..expected.len() - 1]).is_err(), "{kind:?} cut short");
        assert!(Packet::parse(&[expected.clone(), vec![0]].concat()).is_err(), "{kind:?} with a byte more");
    }
}

#[test]
fn data() {
    let unit = OwnedUnit::frame(b"abc", 0x0001_E240).unwrap();
    let body = Body::Data(Data { block: 5, index: 3, unit: unit.as_unit() });
    conforms(body, &[0, 0, 0, 5, 3, 0, 3, 0x00, 0x01, 0xE2, 0x40, b'a', b'b', b'c'], false);
}

/// A block's id is the sequence number of its first source, so block id + index numbers every
/// DATA in sending order: across blocks closed short by the time bound, and across the wrap.
#[test]
fn data_sequence_numbers_are_block_id_plus_index() {
    let first = u32::MAX - 3;
    let redundancy = Redundancy::Fixed { k: 3, n: 4 };
    let mut tx = Sender::new(SenderConfig { redundancy, first_block: first, ..SenderConfig::default() }).unwrap();
    let at = |ms: u64| Timestamp::from_micros(ms * 1000);
    for i in 0..4 {
        tx.send(&[i], at(0)).unwrap(); // a full block of 3, then 1 source of the next
    }
    tx.handle_timeout(at(5)); // the time bound closes that one short
    for i in 4..8 {
        tx.send(&[i], at(6)).unwrap();
    }
    tx.flush();
    let datagrams: Vec<Vec<u8>> = std::iter::from_fn(|| tx.poll_transmit()).map(|t| t.datagram.into()).collect();
    let (mut blocks, mut numbers) = (Vec::new(), Vec::new());
    for datagram in &datagrams {
        match Packet::parse(datagram).unwrap().body {
            Body::Data(data) => numbers.push(data.block.wrapping_add(u32::from(data.index))),
            Body::Repair(repair) => blocks.push((repair.block, repair.k)),
            _ => unreachable!(),
        }
    }
    assert_eq!(numbers, (0..8).map(|i| first.wrapping_add(i)).collect::<Vec<_>>());
    assert_eq!(blocks, [(first, 3), (u32::MAX, 1), (0, 3), (3, 1)]);
}

#[test]
fn repair() {
    let symbol = [0xEE, 0xFF, 0x01, 0x02, 0x03, 0x04];
    let body = Body::Repair(Repair { block: 5, index: 10, k: 10, m: 3, code: CodeKind::ReedSolomon, symbol: &symbol });
    conforms(body, &[0, 0, 0, 5, 10, 10, 3, 0xEE, 0xFF, 0x01, 0x02, 0x03, 0x04], true);
}

/// A REPAIR's code is the low two bits of the header's flags: 0 Reed-Solomon (the vector
/// above), 1 XOR, 2 mirrored LT, 3 reserved. The other flag bits stay the header's.
#[test]
fn repair_code_rides_in_the_flags() {
    let symbol = [0xEE, 0xFF, 0x01, 0x02, 0x03, 0x04];
    let body_bytes = [0, 0, 0, 5, 10, 10, 3, 0xEE, 0xFF, 0x01, 0x02, 0x03, 0x04];
    let with_flags = |flags: u8| {
        let mut bytes = [header_bytes(PacketType::Repair), body_bytes.to_vec()].concat();
        bytes[2] = flags;
        bytes
    };
    for (code, flags) in [(CodeKind::Xor, 0x01), (CodeKind::MirroredLt, 0x02)] {
        let repair = Repair { block: 5, index: 10, k: 10, m: 3, code, symbol: &symbol };
        let packet = Packet { header: HEADER, body: Body::Repair(repair) };
        // A1 02 01 01 02 03 04 0A 0B 0C 0D | 00 00 00 05 | 0A | 0A | 03 | EE FF 01 02 03 04 (XOR)
        assert_eq!(packet.to_vec(), with_flags(flags), "{code}");
        assert_eq!(Packet::parse(&with_flags(flags)), Ok(packet.clone()), "{code}");
        // A flag bit no one has defined is the header's, and ignored by the code.
        let marked = with_flags(0x80 | flags);
        let parsed = Packet::parse(&marked).unwrap();
        assert_eq!((parsed.header.flags, &parsed.body), (0x80, &packet.body));
        assert_eq!(parsed.to_vec(), with_flags(0x80 | flags));
        // Header flags never override the body's code.
        let forged = Packet { header: Header { flags: CODE_FLAGS, ..HEADER }, ..packet };
        assert_eq!(forged.to_vec(), with_flags(flags));
    }
    assert_eq!(Packet::parse(&with_flags(0x03)), Err(WireError::InvalidField { field: "repair code", value: 3 }));
    assert_eq!(Packet::parse(&with_flags(0xFF)), Err(WireError::InvalidField { field: "repair code", value: 3 }));
    // Only REPAIR gives those bits a meaning: other packets keep ignoring them.
    let close = [&[0xA1, PacketType::Close as u8, 0x03][..], &header_bytes(PacketType::Close)[3..], &[1, 2]].concat();
    assert_eq!(Packet::parse(&close).map(|p| p.header.flags), Ok(0x03));
}

#[test]
fn nack() {
    let ranges = vec![NackRange { block: 5, first: 1, count: 2 }, NackRange { block: 6, first: 0, count: 1 }];
    conforms(Body::Nack(Nack { ranges }), &[2, 0, 0, 0, 5, 1, 2, 0, 0, 0, 6, 0, 1], false);
}

#[test]
fn feedback() {
    let body = Body::Feedback(Feedback {
        highest_seq: 9,
        received: 1000,
        missing: 50,
        bursts: 40,
        recovered: 12,
        lost: 1,
        rtt_micros: 40_000,
    });
    let expected = [
        [0, 0, 0, 9],
        [0, 0, 0x03, 0xE8],
        [0, 0, 0, 50],
        [0, 0, 0, 40],
        [0, 0, 0, 12],
        [0, 0, 0, 1],
        [0, 0, 0x9C, 0x40],
    ];
    conforms(body, expected.as_flattened(), false);
}

#[test]
fn ping_and_pong() {
    let token = [1, 2, 3, 4, 5, 6, 7, 8];
    conforms(Body::Ping(Echo { token: 0x0102_0304_0506_0708 }), &token, false);
    conforms(Body::Pong(Echo { token: 0x0102_0304_0506_0708 }), &token, false);
}

#[test]
fn probe() {
    // The token, then zero padding up to the size probed: 11 + 8 + 5 = 24 bytes on the wire.
    conforms(Body::Probe(Probe { token: 0x0102_0304_0506_0708, padding: 5 }), &[1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0], true);
    let size = 1372;
    let datagram = Packet { header: HEADER, body: Body::Probe(Probe { token: 7, padding: size - PROBE_OVERHEAD }) }.to_vec();
    assert_eq!(datagram.len(), size);
    // Padding must be zeros, so what parses re-encodes to the same bytes.
    let mut dirty = datagram.clone();
    dirty[size - 1] = 1;
    assert!(matches!(Packet::parse(&dirty), Err(WireError::InvalidField { field: "probe padding", .. })));
    assert!(Packet::parse(&datagram[..PROBE_OVERHEAD - 1]).is_err(), "token cut short");
}

#[test]
fn stream_ack() {
    conforms(Body::StreamAck(StreamAck { stream: 1, next: 0x0102_0304 }), &[1, 1, 2, 3, 4], false);
    let above_127 = [header_bytes(PacketType::StreamAck), vec![0x80, 0, 0, 0, 0]].concat();
    assert!(matches!(Packet::parse(&above_127), Err(WireError::InvalidField { field: "stream id", .. })));
}

#[test]
fn close() {
    conforms(Body::Close(Close { code: 0x0102 }), &[1, 2], false);
}

#[test]
fn frame() {
    // A 5-byte frame in 4-byte symbols, 2 sources per block: one block of 2 sources, 1 repair.
    let layout = FrameLayout { len: 5, symbol_size: 4, max_block_sources: 2 };
    let body = Body::Frame(Frame { frame: 1, layout, block: 0, index: 2, m: 1, symbol: &[0xAA, 0xBB, 0xCC, 0xDD] });
    conforms(body, &[0, 0, 0, 1, 0, 0, 0, 5, 0, 4, 2, 0, 0, 2, 1, 0xAA, 0xBB, 0xCC, 0xDD], false);
}

#[test]
fn frame_layouts_that_cannot_exist_are_typed_errors() {
    let frame = |len: u32, size: u16, kmax: u8, block: u16, index: u8, m: u8, symbol: usize| {
        let body = [&len.to_be_bytes()[..], &size.to_be_bytes(), &[kmax], &block.to_be_bytes(), &[index, m]].concat();
        let bytes = [header_bytes(PacketType::Frame), vec![0, 0, 0, 1], body, vec![0; symbol]].concat();
        Packet::parse(&bytes).err()
    };
    assert_eq!(frame(5, 4, 2, 0, 2, 1, 4), None);
    assert!(matches!(frame(5, 0, 2, 0, 0, 1, 0), Some(WireError::InvalidField { field: "symbol size", .. })));
    assert!(matches!(frame(5, 4, 0, 0, 0, 1, 4), Some(WireError::InvalidField { field: "max block sources", .. })));
    assert!(matches!(frame(u32::MAX, 1, 1, 0, 0, 1, 1), Some(WireError::InvalidField { field: "frame blocks", .. })));
    assert!(matches!(frame(5, 4, 2, 1, 0, 1, 4), Some(WireError::IndexOutOfRange { index: 1, start: 0, end: 1 })));
    assert!(matches!(frame(5, 4, 2, 0, 0, 0, 4), Some(WireError::InvalidShape { k: 2, n: 2 })));
    assert!(matches!(frame(5, 4, 2, 0, 3, 1, 4), Some(WireError::IndexOutOfRange { index: 3, start: 0, end: 3 })));
    assert!(matches!(frame(5, 4, 2, 0, 0, 1, 3), Some(WireError::LengthMismatch { .. })));
}

#[test]
fn header_errors_are_typed() {
    let mut bytes = header_bytes(PacketType::Close);
    bytes.extend_from_slice(&[0, 0]);
    let with_first = |first: u8| Packet::parse(&[&[first][..], &bytes[1..]].concat()).err();
    assert_eq!(with_first(0x51), Some(WireError::BadMagic { got: 0x51 }));
    assert_eq!(with_first(0xA2), Some(WireError::UnsupportedVersion { got: 2 }));
    bytes[1] = 0x0D;
    assert_eq!(Packet::parse(&bytes), Err(WireError::UnknownType { got: 0x0D }));
    assert!(matches!(Packet::parse(&[]), Err(WireError::Truncated { field: "magic/version", .. })));
    let mut close = header_bytes(PacketType::Close);
    close.extend_from_slice(&[0, 0, 0]);
    assert_eq!(Packet::parse(&close), Err(WireError::TrailingBytes { extra: 1 }));
}

#[test]
fn bodies_with_forbidden_values_are_typed_errors() {
    let parse = |kind: PacketType, body: &[u8]| Packet::parse(&[header_bytes(kind), body.to_vec()].concat()).err();
    // NACK with no range, and a range running past index 255.
    assert!(matches!(parse(PacketType::Nack, &[0]), Some(WireError::InvalidField { field: "nack range count", .. })));
    assert!(matches!(parse(PacketType::Nack, &[1, 0, 0, 0, 1, 250, 7]), Some(WireError::InvalidField { .. })));
    // DATA whose length field disagrees with its bytes.
    assert!(matches!(parse(PacketType::Data, &[0, 0, 0, 1, 0, 0, 5, 0, 0, 0, 0, b'a']), Some(WireError::LengthMismatch { .. })));
    // REPAIR with a symbol too short to hold a unit's length and send time.
    assert!(matches!(parse(PacketType::Repair, &[0, 0, 0, 1, 2, 2, 1, 9, 9, 9, 9, 9]), Some(WireError::InvalidField { .. })));
}
