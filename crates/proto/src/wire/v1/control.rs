//! Control packets: NACK, FEEDBACK, PING and PONG, CLOSE. Fixed layouts, so trailing bytes are
//! an error rather than silently ignored.

use crate::error::WireError;
use crate::wire::reader::Reader;

/// The most ranges one NACK carries: 6 bytes each keeps the packet under 1,200 bytes.
pub const MAX_NACK_RANGES: usize = 196;

/// Consecutive symbols of one block the receiver is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NackRange {
    /// The block.
    pub block: u32,
    /// The first missing symbol index.
    pub first: u8,
    /// How many symbols from `first` on, at least 1, not past index 255.
    pub count: u8,
}

/// A retransmission request: count u8 (1..=[`MAX_NACK_RANGES`]), then per range block u32,
/// first u8, count u8.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nack {
    /// The missing symbols.
    pub ranges: Vec<NackRange>,
}

impl Nack {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        let count = usize::from(reader.u8("nack range count")?);
        if count == 0 || count > MAX_NACK_RANGES {
            return Err(WireError::InvalidField { field: "nack range count", value: count as u64 });
        }
        let ranges = (0..count)
            .map(|_| {
                let range = NackRange {
                    block: reader.u32("nack block")?,
                    first: reader.u8("nack first")?,
                    count: reader.u8("nack count")?,
                };
                if range.count == 0 || usize::from(range.first) + usize::from(range.count) > fec::MAX_SHARDS {
                    return Err(WireError::InvalidField { field: "nack count", value: u64::from(range.count) });
                }
                Ok(range)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Nack { ranges })
    }

    /// Writes at most [`MAX_NACK_RANGES`] ranges; the caller splits longer lists.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let ranges = &self.ranges[..self.ranges.len().min(MAX_NACK_RANGES)];
        out.push(ranges.len() as u8);
        for range in ranges {
            out.extend_from_slice(&range.block.to_be_bytes());
            out.extend_from_slice(&[range.first, range.count]);
        }
    }
}

/// Receiver counters for the sender's adaptive redundancy, each u32, cumulative and
/// wrapping: the sender works on differences between reports, so a lost report costs
/// resolution, not correctness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Feedback {
    /// The newest block id the receiver has seen.
    pub highest_block: u32,
    /// Symbols received.
    pub received: u32,
    /// Source symbols rebuilt from repair.
    pub recovered: u32,
    /// Source symbols given up on.
    pub lost: u32,
}

impl Feedback {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Feedback {
            highest_block: reader.u32("highest block")?,
            received: reader.u32("received")?,
            recovered: reader.u32("recovered")?,
            lost: reader.u32("lost")?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        for field in [self.highest_block, self.received, self.recovered, self.lost] {
            out.extend_from_slice(&field.to_be_bytes());
        }
    }
}

/// The body of PING and PONG: an opaque u64 token the ping carries (typically the sender's
/// timestamp) and the pong echoes back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Echo {
    /// Chosen by the pinger, returned unchanged.
    pub token: u64,
}

impl Echo {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Echo { token: reader.u64("token")? })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.token.to_be_bytes());
    }
}

/// The end of a connection, with a reason code (0: normal close; others application-defined).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Close {
    /// Why.
    pub code: u16,
}

impl Close {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Close { code: reader.u16("close code")? })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.code.to_be_bytes());
    }
}
