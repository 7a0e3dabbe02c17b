//! Stream-mode settings and their defaults.

use std::time::Duration;

use crate::error::ConfigError;
use crate::stream::adapt::AdaptBounds;
use crate::stream::redundancy::Redundancy;
use crate::wire::unit::UNIT_PREFIX;
use crate::wire::v1::REPAIR_OVERHEAD;

/// The largest payload stream mode sends: a REPAIR of a block holding it must still fit one
/// IPv4 UDP datagram (65,507 bytes).
pub const MAX_PAYLOAD: usize = 65_507 - REPAIR_OVERHEAD - UNIT_PREFIX;

/// How a [`Sender`](crate::stream::Sender) builds blocks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SenderConfig {
    /// Written into every packet; receivers demultiplex on it.
    pub connection_id: u32,
    /// Block shape and repair overhead.
    pub redundancy: Redundancy,
    /// The code of the repair symbols (see `docs/PROTOCOL.md`, REPAIR): Reed-Solomon, the
    /// default, recovers any m losses of a block; striped XOR and mirrored LT cost less
    /// arithmetic but recover less (one loss per XOR group; any single loss given an LT pair,
    /// more by chance), for the same number of repairs. Receivers follow whatever the REPAIRs
    /// say. Adaptation (`adapt`) sizes repairs with Reed-Solomon's failure model whatever the
    /// code, so XOR and LT blocks fail more often than its target and lean on NACK.
    pub code: fec::CodeKind,
    /// A block still short of k sources this long after its first one closes anyway, so a
    /// slow stream's repairs are never held back. Keep it well under the latency budget.
    pub block_time: Duration,
    /// The id of the first block, which is also the stream sequence number of the first
    /// payload. Each block is numbered by its first source (the previous block's id plus its
    /// source count, wrapping), so block id + index numbers every payload in sending order.
    pub first_block: u32,
    /// Payloads above this are refused; at most [`MAX_PAYLOAD`]. Set it to the path MTU minus
    /// the IP/UDP headers and [`REPAIR_OVERHEAD`] + 6 to avoid IP fragmentation.
    pub max_payload: usize,
    /// The receiver's latency budget: a source is retransmitted only within this of its
    /// first sending (later it could not make its deadline), and adaptation sizes blocks by it.
    pub latency: Duration,
    /// Keep sent sources and answer NACKs with retransmissions.
    pub nack: bool,
    /// Bytes of sent sources kept for retransmission at most.
    pub history_bytes: usize,
    /// Adapt the block duration and repair ratio to the receiver's reports, within these
    /// bounds (`redundancy` and `block_time` are then the starting point and k the largest
    /// block); `None` keeps them fixed.
    pub adapt: Option<AdaptBounds>,
    /// Estimate the path's bandwidth from the receiver's reports (see
    /// [`super::BandwidthEstimator`]); `None`: no estimate.
    pub bandwidth: Option<super::BandwidthConfig>,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            connection_id: 0,
            redundancy: Redundancy::Ratio { k: 10, ratio: 0.25 },
            code: fec::CodeKind::ReedSolomon,
            block_time: Duration::from_millis(5),
            first_block: 0,
            max_payload: MAX_PAYLOAD,
            latency: Duration::from_millis(120),
            nack: true,
            history_bytes: 32 << 20,
            adapt: None,
            bandwidth: None,
        }
    }
}

impl SenderConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_payload > MAX_PAYLOAD {
            return Err(ConfigError::out_of_range("max_payload", "at most MAX_PAYLOAD (65483)", self.max_payload));
        }
        Ok(())
    }
}

/// How a [`Receiver`](crate::stream::Receiver) bounds what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// Accept only this connection id (others count as `foreign`); `None` accepts any, for
    /// callers that demultiplex before the receiver.
    pub connection_id: Option<u32>,
    /// Blocks in flight at most; the oldest is evicted to admit a new one. At least 1.
    pub max_blocks: usize,
    /// The latency budget. A payload is released at the latest at its send time (mapped onto
    /// the local clock through the fastest trip seen, as SRT's TSBPD does) plus this, and
    /// never after; a block is kept for twice this after its first symbol arrives, then its
    /// missing sources are counted lost and its stragglers late.
    pub block_deadline: Duration,
    /// Bytes held across all blocks and held-back payloads at most; past it the oldest blocks
    /// are evicted and the oldest held payloads released early.
    pub max_buffered_bytes: usize,
    /// Ask the sender to retransmit what FEC could not rebuild, while it can still arrive in
    /// time.
    pub nack: bool,
    /// Release payloads in the sender's order (the default): a payload waits, at most until
    /// its deadline, for the sources before it that FEC may still rebuild. Off, each payload
    /// is delivered the moment it arrives or is rebuilt.
    pub ordered: bool,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            connection_id: None,
            max_blocks: 256,
            block_deadline: Duration::from_millis(200),
            max_buffered_bytes: 64 << 20,
            nack: true,
            ordered: true,
        }
    }
}

impl ReceiverConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_blocks == 0 {
            return Err(ConfigError::out_of_range("max_blocks", "at least 1", self.max_blocks));
        }
        Ok(())
    }
}
