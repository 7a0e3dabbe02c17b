//! DATA and REPAIR: the symbols of a block.
//!
//! A DATA packet names only its block and index: it leaves the sender the moment the
//! application sends, before the sender knows how many sources the block will end up with
//! (the time bound may close it early). The block's shape (k, m) is final only at close, so
//! it travels in the REPAIR packets, as source and repair payload ids do in RFC 8681.
//!
//! A block's id is the stream sequence number of its first source (the sender counts
//! sources, wrapping at 2^32), so `block + index` numbers every source in sending order: a
//! receiver detects gaps exactly and places a rebuilt source without another field.
//!
//! Which code made a REPAIR's symbol rides in the low two bits of the header's flags byte
//! ([`CODE_FLAGS`]): 0 (what every sender wrote before codes were selectable) is Reed-Solomon.

use bytes::BufMut;
use fec::CodeKind;

use crate::error::WireError;
use crate::wire::reader::Reader;
use crate::wire::unit::{self, Unit, UNIT_PREFIX};
use crate::wire::v1::HEADER_LEN;

/// Bytes a DATA packet adds to its payload: header, block id, index, unit length and send time.
pub const DATA_OVERHEAD: usize = DATA_UNIT_AT + UNIT_PREFIX;
/// Bytes a REPAIR packet adds to its symbol: header, block id, index, k, m.
pub const REPAIR_OVERHEAD: usize = HEADER_LEN + 7;

/// The largest n of GF(2^8) Reed-Solomon.
const MAX_SYMBOLS: usize = fec::MAX_SHARDS;

/// The header flag bits a REPAIR claims for its code: 0 Reed-Solomon, 1 striped XOR, 2
/// mirrored LT; 3 is reserved and refused at parse.
pub const CODE_FLAGS: u8 = 0b11;

/// A code's value in [`CODE_FLAGS`].
fn code_bits(code: CodeKind) -> u8 {
    match code {
        CodeKind::ReedSolomon => 0,
        CodeKind::Xor => 1,
        CodeKind::MirroredLt => 2,
    }
}

/// The code a REPAIR's header `flags` name.
fn code_of(flags: u8) -> Result<CodeKind, WireError> {
    match flags & CODE_FLAGS {
        0 => Ok(CodeKind::ReedSolomon),
        1 => Ok(CodeKind::Xor),
        2 => Ok(CodeKind::MirroredLt),
        reserved => Err(WireError::InvalidField { field: "repair code", value: u64::from(reserved) }),
    }
}

/// A source symbol: block id u32, index u8, then the unpadded unit
/// `[len u16][send time u32][payload]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Data<'a> {
    /// The block: the stream sequence number of its first source, wrapping. `block + index`
    /// is this source's sequence number.
    pub block: u32,
    /// The source index within the block, `0..k`.
    pub index: u8,
    /// The datagram, framed with its length; padding is implicit.
    pub unit: Unit<'a>,
}

impl<'a> Data<'a> {
    pub(crate) fn parse(reader: &mut Reader<'a>) -> Result<Self, WireError> {
        let block = reader.u32("block id")?;
        let index = reader.u8("symbol index")?;
        let unit = Unit::parse_exact(reader.rest())?;
        Ok(Data { block, index, unit })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        encode_prefix(self.block, self.index, out);
        out.extend_from_slice(self.unit.as_bytes());
    }

    /// Appends the body of source `index` of `block`, its unit framed straight from `parts`
    /// (see [`unit::frame_into`]); `None`, with `out` unchanged, if they are too long for a unit.
    pub(crate) fn encode_framed(block: u32, index: u8, parts: &[&[u8]], sent_at: u32, out: &mut impl BufMut) -> Option<()> {
        unit::payload_len(parts)?;
        encode_prefix(block, index, out);
        unit::frame_into(out, parts, sent_at)
    }
}

/// Where a DATA packet's unit starts: after the header, the block id and the index.
pub const DATA_UNIT_AT: usize = HEADER_LEN + 5;

fn encode_prefix(block: u32, index: u8, out: &mut impl BufMut) {
    out.put_u32(block);
    out.put_u8(index);
}

/// A repair symbol: block id u32, index u8, k u8, m u8, then the symbol (as long as the
/// block's longest unit); its code travels in the header's flags ([`CODE_FLAGS`]).
///
/// The symbol goes last, so encoding a `Repair` with an empty symbol yields the prefix a
/// sender can extend and fill in place with parity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repair<'a> {
    /// The block.
    pub block: u32,
    /// The symbol index, `k..k + m` (indices `0..k` are the block's DATA).
    pub index: u8,
    /// Source symbols in the block, at least 1.
    pub k: u8,
    /// Repair symbols in the block, at least 1, with `k + m <= 256`.
    pub m: u8,
    /// The code that made `symbol` (the same for every REPAIR of a block), written into the
    /// header's flags rather than the body.
    pub code: CodeKind,
    /// The parity bytes.
    pub symbol: &'a [u8],
}

impl<'a> Repair<'a> {
    /// Parses the body of a REPAIR whose header carried `flags`.
    pub(crate) fn parse(reader: &mut Reader<'a>, flags: u8) -> Result<Self, WireError> {
        let code = code_of(flags)?;
        let block = reader.u32("block id")?;
        let index = reader.u8("symbol index")?;
        let k = reader.u8("k")?;
        let m = reader.u8("m")?;
        let (start, end) = (usize::from(k), usize::from(k) + usize::from(m));
        if k == 0 || m == 0 || end > MAX_SYMBOLS {
            return Err(WireError::InvalidShape { k: start, n: end });
        }
        if !(start..end).contains(&usize::from(index)) {
            return Err(WireError::IndexOutOfRange { index: usize::from(index), start, end });
        }
        let symbol = reader.rest();
        // Every unit holds at least its length prefix, so a shorter symbol protects nothing.
        if symbol.len() < UNIT_PREFIX {
            return Err(WireError::InvalidField { field: "repair symbol length", value: symbol.len() as u64 });
        }
        Ok(Repair { block, index, k, m, code, symbol })
    }

    /// The header flag bits this REPAIR sets.
    pub(crate) fn flags(&self) -> u8 {
        code_bits(self.code)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.block.to_be_bytes());
        out.extend_from_slice(&[self.index, self.k, self.m]);
        out.extend_from_slice(self.symbol);
    }
}
