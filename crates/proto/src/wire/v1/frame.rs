//! FRAME: one symbol of a message too large for a datagram (frame mode).
//!
//! The message is cut into `symbol_size`-byte source symbols (the last zero-padded), grouped
//! into blocks of at most `max_block_sources`, each block protected by its own repair
//! symbols: GF(2^8) caps a block at 256 symbols, and a 1 MiB frame is ~870 MTU-sized ones.
//! Every packet carries the whole layout, so any one of them tells the receiver how large the
//! frame is and how it is cut; the receiver delivers it whole once every block decodes.

use crate::error::WireError;
use crate::wire::reader::Reader;
use crate::wire::v1::HEADER_LEN;

/// Bytes a FRAME packet adds to its symbol.
pub const FRAME_OVERHEAD: usize = HEADER_LEN + 15;
/// Blocks a frame may have: the block field is 16 bits.
pub const MAX_FRAME_BLOCKS: u64 = 1 << 16;

/// How a frame is cut; the same in every packet of the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameLayout {
    /// The message length in bytes.
    pub len: u32,
    /// Bytes per symbol, at least 1.
    pub symbol_size: u16,
    /// Sources per block, at least 1; the last block may have fewer.
    pub max_block_sources: u8,
}

impl FrameLayout {
    /// Source symbols in the frame: the message over the symbol size, rounded up, and at
    /// least one so an empty message still travels.
    pub fn sources(&self) -> u64 {
        u64::from(self.len).div_ceil(u64::from(self.symbol_size.max(1))).max(1)
    }

    /// Blocks in the frame.
    pub fn blocks(&self) -> u64 {
        self.sources().div_ceil(u64::from(self.max_block_sources.max(1)))
    }

    /// Source symbols in `block`: `max_block_sources`, or what is left for the last block.
    pub fn block_sources(&self, block: u64) -> usize {
        let first = self.first_source(block);
        self.sources().saturating_sub(first).min(u64::from(self.max_block_sources)) as usize
    }

    /// The frame-wide index of `block`'s first source symbol.
    pub fn first_source(&self, block: u64) -> u64 {
        block * u64::from(self.max_block_sources)
    }

    /// Checks the layout is one a sender can produce.
    pub fn validate(&self) -> Result<(), WireError> {
        if self.symbol_size == 0 {
            return Err(WireError::InvalidField { field: "symbol size", value: 0 });
        }
        if self.max_block_sources == 0 {
            return Err(WireError::InvalidField { field: "max block sources", value: 0 });
        }
        if self.blocks() > MAX_FRAME_BLOCKS {
            return Err(WireError::InvalidField { field: "frame blocks", value: self.blocks() });
        }
        Ok(())
    }
}

/// frame id u32, len u32, symbol size u16, max block sources u8, block u16, index u8, m u8,
/// then the symbol (exactly `symbol_size` bytes).
///
/// The symbol goes last, so encoding a `Frame` with an empty symbol yields the prefix a
/// sender can extend in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The frame (message), numbered by the sender, wrapping.
    pub frame: u32,
    /// How the frame is cut.
    pub layout: FrameLayout,
    /// The block within the frame.
    pub block: u16,
    /// The symbol index within the block: `0..k` sources, `k..k + m` repairs, where k is
    /// [`FrameLayout::block_sources`].
    pub index: u8,
    /// Repair symbols in this block, at least 1, with `k + m <= 256`.
    pub m: u8,
    /// The symbol.
    pub symbol: &'a [u8],
}

impl<'a> Frame<'a> {
    /// Source symbols in this packet's block.
    pub fn k(&self) -> usize {
        self.layout.block_sources(u64::from(self.block))
    }

    pub(crate) fn parse(reader: &mut Reader<'a>) -> Result<Self, WireError> {
        let frame = reader.u32("frame id")?;
        let layout = FrameLayout {
            len: reader.u32("frame length")?,
            symbol_size: reader.u16("symbol size")?,
            max_block_sources: reader.u8("max block sources")?,
        };
        let (block, index, m) = (reader.u16("block")?, reader.u8("symbol index")?, reader.u8("m")?);
        let symbol = reader.rest();
        let parsed = Frame { frame, layout, block, index, m, symbol };
        layout.validate()?;
        let blocks = layout.blocks() as usize;
        if u64::from(block) >= layout.blocks() {
            return Err(WireError::IndexOutOfRange { index: usize::from(block), start: 0, end: blocks });
        }
        let (k, n) = (parsed.k(), parsed.k() + usize::from(m));
        if m == 0 || n > fec::MAX_SHARDS {
            return Err(WireError::InvalidShape { k, n });
        }
        if usize::from(index) >= n {
            return Err(WireError::IndexOutOfRange { index: usize::from(index), start: 0, end: n });
        }
        if symbol.len() != usize::from(layout.symbol_size) {
            let declared = usize::from(layout.symbol_size);
            return Err(WireError::LengthMismatch { field: "symbol size", declared, actual: symbol.len() });
        }
        Ok(parsed)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.frame.to_be_bytes());
        out.extend_from_slice(&self.layout.len.to_be_bytes());
        out.extend_from_slice(&self.layout.symbol_size.to_be_bytes());
        out.push(self.layout.max_block_sources);
        out.extend_from_slice(&self.block.to_be_bytes());
        out.extend_from_slice(&[self.index, self.m]);
        out.extend_from_slice(self.symbol);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mebibyte_in_mtu_symbols_splits_into_blocks_with_a_short_tail() {
        let layout = FrameLayout { len: 1 << 20, symbol_size: 1200, max_block_sources: 64 };
        assert_eq!((layout.sources(), layout.blocks()), (874, 14));
        assert_eq!((layout.block_sources(0), layout.block_sources(13), layout.first_source(13)), (64, 42, 832));
        let empty = FrameLayout { len: 0, symbol_size: 1200, max_block_sources: 64 };
        assert_eq!((empty.sources(), empty.blocks(), empty.block_sources(0)), (1, 1, 1));
        let too_many = FrameLayout { len: u32::MAX, symbol_size: 1, max_block_sources: 1 };
        assert!(matches!(too_many.validate(), Err(WireError::InvalidField { field: "frame blocks", .. })));
    }
}
