//! The v1 header and body parsers: total on any input, and what parses re-encodes to the same
//! bytes (so no two byte strings mean the same packet, and nothing is silently ignored).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::wire::v1::Packet;

fuzz_target!(|datagram: &[u8]| {
    if let Ok(packet) = Packet::parse(datagram) {
        assert_eq!(packet.to_vec(), datagram, "{packet:?} re-encodes differently");
    }
});
