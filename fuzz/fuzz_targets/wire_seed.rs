//! Seed 000's `>IBBBH` header parser: total on any input; what parses re-encodes exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::wire::seed::SeedPacket;

fuzz_target!(|datagram: &[u8]| {
    if let Ok(packet) = SeedPacket::parse(datagram) {
        let mut out = Vec::new();
        packet.encode(&mut out);
        assert_eq!(out, datagram, "{packet:?} re-encodes differently");
    }
});
