//! What the engines hand back to the I/O layer.

use bytes::Bytes;

/// A datagram to send, produced by `poll_transmit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The complete datagram, header included, ready for one `sendto`. Shared, not copied,
    /// with what the sender keeps of it: a DATA datagram is also its block's source symbol and
    /// its retransmission.
    pub datagram: Bytes,
    /// It may leave after datagrams queued behind it (a REPAIR: FEC does not mind where near
    /// its block it lands), so an I/O layer that sends equal-sized datagrams in one GSO train
    /// may hold it for a train of its own size. Nothing else may be overtaken: DATA arriving in
    /// order is what a clean path promises.
    pub reorderable: bool,
}

impl Transmit {
    /// A transmit of `datagram`, to be sent in its place in the queue.
    pub fn new(datagram: impl Into<Bytes>) -> Self {
        Transmit { datagram: datagram.into(), reorderable: false }
    }
}

/// A payload handed to the application, produced by `poll_delivery`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The payload exactly as the sender passed it: a view of the symbol it arrived in.
    pub payload: Bytes,
    /// The block (stream mode) or batch (seed format) it belonged to.
    pub block: u32,
    /// Its source symbol index within the block; 0 for a seed batch, which is one message.
    pub index: u8,
    /// True when it was rebuilt from repair symbols rather than received as sent.
    pub recovered: bool,
    /// The logical stream it was sent on (v1 endpoints; 0 otherwise). See
    /// [`crate::endpoint::StreamConfig`].
    pub stream: u8,
}
