//! Hand-built v1 packets, for tests that need datagrams no honest sender makes.

use fec::CodeKind;
use proto::wire::unit::OwnedUnit;
use proto::wire::v1::{Body, Data, Header, Packet, Repair};

/// The header tests use: connection 7, packet number 0.
pub fn header(connection_id: u32) -> Header {
    Header { flags: 0, connection_id, packet_number: 0 }
}

/// A DATA packet carrying `payload`.
pub fn data(connection_id: u32, block: u32, index: u8, payload: &[u8]) -> Vec<u8> {
    let unit = OwnedUnit::frame(payload, 0).expect("test payload fits");
    Packet { header: header(connection_id), body: Body::Data(Data { block, index, unit: unit.as_unit() }) }.to_vec()
}

/// A Reed-Solomon REPAIR packet with any fields, consistent or not.
pub fn repair(connection_id: u32, block: u32, index: u8, k: u8, m: u8, symbol: &[u8]) -> Vec<u8> {
    coded_repair(connection_id, block, index, k, m, CodeKind::ReedSolomon, symbol)
}

/// A REPAIR packet of any code with any fields, consistent or not.
pub fn coded_repair(connection_id: u32, block: u32, index: u8, k: u8, m: u8, code: CodeKind, symbol: &[u8]) -> Vec<u8> {
    Packet { header: header(connection_id), body: Body::Repair(Repair { block, index, k, m, code, symbol }) }.to_vec()
}
