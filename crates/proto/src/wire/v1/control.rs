//! Control packets: NACK, FEEDBACK, PING and PONG, PROBE, STREAM_ACK, CLOSE. Fixed layouts (PROBE: zero
//! padding to the size probed), so trailing bytes are an error rather than silently ignored.

use crate::error::WireError;
use crate::wire::reader::Reader;

/// The most ranges one NACK carries: 6 bytes each keeps the packet under 1,200 bytes.
pub const MAX_NACK_RANGES: usize = 196;

/// Consecutive source symbols the receiver is missing: sequence numbers
/// `block + first .. block + first + count` (wrapping). Since a block's id is its first
/// source's sequence number, `(block, first)` is also "source `first` of block `block`"; a
/// receiver that does not know a lost source's block names it by sequence number with
/// `first = 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NackRange {
    /// A block id, or any sequence number.
    pub block: u32,
    /// The first missing source, counted from `block`.
    pub first: u8,
    /// How many sources from `first` on, at least 1, not past index 255.
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

/// A receiver report for the sender's adaptive redundancy: cumulative u32 counters, wrapping,
/// and the receiver's round-trip estimate. The sender works on differences between reports,
/// so a lost report costs resolution, not correctness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Feedback {
    /// The newest source sequence number the receiver has seen.
    pub highest_seq: u32,
    /// Packets of the connection received (first copies; packet numbers tell them apart).
    pub received: u32,
    /// Packets of the connection that never arrived, as gaps in the packet numbers show
    /// them: the path's loss before any repair.
    pub missing: u32,
    /// Runs of consecutive missing packets: `missing / bursts` is the mean burst length.
    pub bursts: u32,
    /// Source symbols rebuilt from repair.
    pub recovered: u32,
    /// Source symbols given up on.
    pub lost: u32,
    /// The receiver's smoothed round-trip time in microseconds; 0 while it has no sample.
    pub rtt_micros: u32,
}

impl Feedback {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Feedback {
            highest_seq: reader.u32("highest sequence number")?,
            received: reader.u32("received")?,
            missing: reader.u32("missing")?,
            bursts: reader.u32("bursts")?,
            recovered: reader.u32("recovered")?,
            lost: reader.u32("lost")?,
            rtt_micros: reader.u32("rtt")?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let Feedback { highest_seq, received, missing, bursts, recovered, lost, rtt_micros } = *self;
        for field in [highest_seq, received, missing, bursts, recovered, lost, rtt_micros] {
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

/// Bytes of a PROBE before its padding: the header and the token.
pub const PROBE_OVERHEAD: usize = super::HEADER_LEN + 8;

/// A path MTU probe (RFC 8899's padded probe packet): a token, then zero bytes up to the size
/// being tried. The peer answers with a PONG echoing the token, which proves a datagram of that
/// size crossed the path; a probe never carries data, so losing one costs nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Probe {
    /// Chosen by the prober, echoed in the PONG.
    pub token: u64,
    /// Zero bytes after the token.
    pub padding: usize,
}

impl Probe {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        let token = reader.u64("token")?;
        let padding = reader.rest();
        // Zeros only, so a probe re-encodes to the bytes it came in as.
        if padding.iter().any(|&b| b != 0) {
            return Err(WireError::InvalidField { field: "probe padding", value: padding.len() as u64 });
        }
        Ok(Probe { token, padding: padding.len() })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.token.to_be_bytes());
        out.resize(out.len() + self.padding, 0);
    }
}

/// A reliable stream's cumulative acknowledgement: every message of `stream` numbered below
/// `next` has arrived, so the sender may forget them. Sent on every reliable arrival; a lost
/// ACK is covered by the next one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StreamAck {
    /// The stream id (0-127).
    pub stream: u8,
    /// The first message number not yet received in order.
    pub next: u32,
}

impl StreamAck {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        let stream = reader.u8("stream id")?;
        if stream > 127 {
            return Err(WireError::InvalidField { field: "stream id", value: u64::from(stream) });
        }
        Ok(StreamAck { stream, next: reader.u32("next message number")? })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.stream);
        out.extend_from_slice(&self.next.to_be_bytes());
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
