//! Frame-mode settings and their defaults.

use std::time::Duration;

use crate::error::ConfigError;
use crate::stream::Redundancy;
use crate::wire::v1::FRAME_OVERHEAD;

/// How a [`FrameSender`](crate::frame::FrameSender) cuts and protects frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameSenderConfig {
    /// Written into every packet.
    pub connection_id: u32,
    /// Sources per block (k, at most 255) and repair overhead; the frame's last block is
    /// shorter and gets `max(1, ceil(k' * m / k))` repairs.
    pub redundancy: Redundancy,
    /// Bytes of frame per datagram. The default, 1,200, keeps datagrams (plus
    /// [`FRAME_OVERHEAD`]) under common path MTUs.
    pub symbol_size: usize,
    /// The id of the first frame; later ones count up, wrapping.
    pub first_frame: u32,
}

impl Default for FrameSenderConfig {
    fn default() -> Self {
        FrameSenderConfig {
            connection_id: 0,
            redundancy: Redundancy::Ratio { k: 32, ratio: 0.25 },
            symbol_size: 1200,
            first_frame: 0,
        }
    }
}

impl FrameSenderConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.symbol_size == 0 || self.symbol_size > 65_507 - FRAME_OVERHEAD {
            return Err(ConfigError::out_of_range("symbol_size", "1 to 65481", self.symbol_size));
        }
        Ok(())
    }
}

/// How a [`FrameReceiver`](crate::frame::FrameReceiver) bounds what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameReceiverConfig {
    /// Accept only this connection id (others count as `foreign`); `None` accepts any.
    pub connection_id: Option<u32>,
    /// Frames in flight at most; the oldest is evicted to admit a new one. At least 1.
    pub max_frames: usize,
    /// How long after its first symbol a frame may still complete.
    pub frame_deadline: Duration,
    /// Frames declaring a larger length are refused as malformed.
    pub max_frame_len: usize,
    /// Symbol bytes held across frames at most; the oldest frames are evicted past it.
    pub max_buffered_bytes: usize,
}

impl Default for FrameReceiverConfig {
    fn default() -> Self {
        FrameReceiverConfig {
            connection_id: None,
            max_frames: 32,
            frame_deadline: Duration::from_millis(500),
            max_frame_len: 4 << 20,
            max_buffered_bytes: 64 << 20,
        }
    }
}

impl FrameReceiverConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_frames == 0 {
            return Err(ConfigError::out_of_range("max_frames", "at least 1", self.max_frames));
        }
        Ok(())
    }
}
