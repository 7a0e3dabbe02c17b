//! Logical streams over one connection (seed 002: control, audio and video share a path but
//! not a fate).
//!
//! Every v1 payload starts with a stream header inside the FEC-protected bytes, so a payload
//! rebuilt from repair symbols still knows its stream:
//!
//! ```text
//! deadline-bound:  [0 | id (7 bits)] payload...
//! reliable:        [1 | id (7 bits)] [message number u32] payload...
//! ```
//!
//! A deadline-bound stream gets what the connection gives: FEC, NACK within the latency budget,
//! then loss. A reliable stream's messages are also kept by the sender until the receiver's
//! STREAM_ACK covers them, resent every RTO, and delivered in order ([`reliable`]). When the
//! pacer holds data back (a rate cap, or the bandwidth estimate below what the application
//! sends), each stream waits in its own queue and the most important non-empty queue goes
//! first; a deadline-bound message that waited longer than its stream's `max_delay` is dropped
//! ([`queue`]). So under congestion video (least important) is dropped first, then audio,
//! and a reliable control stream never.

mod peer_streams;
pub(crate) mod queue;
pub(crate) mod reliable;

pub(crate) use peer_streams::PeerStreams;

use std::time::Duration;

use crate::error::ConfigError;

/// The stream [`super::Endpoint::send`] uses.
pub const DEFAULT_STREAM: u8 = 0;
/// Stream ids are 7 bits.
pub const MAX_STREAM_ID: u8 = 127;
const RELIABLE_BIT: u8 = 0x80;

/// One logical stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// 0 to 127, the same at both ends.
    pub id: u8,
    /// Retransmitted until acknowledged and delivered in order (control); otherwise bound by
    /// the latency budget (audio, video).
    pub reliable: bool,
    /// 0 is the most important; under congestion higher numbers wait, and drop, first.
    pub priority: u8,
    /// How long a deadline-bound message may wait for the pacer before it is dropped (default
    /// 100 ms: past it, it would arrive too late to be played).
    pub max_delay: Duration,
}

impl StreamConfig {
    /// A deadline-bound stream.
    pub fn deadline(id: u8, priority: u8) -> Self {
        StreamConfig { id, reliable: false, priority, max_delay: Duration::from_millis(100) }
    }

    /// A reliable, ordered stream.
    pub fn reliable(id: u8, priority: u8) -> Self {
        StreamConfig { reliable: true, ..Self::deadline(id, priority) }
    }

    /// Bytes the stream header adds in front of each payload.
    pub fn header_len(&self) -> usize {
        if self.reliable {
            5
        } else {
            1
        }
    }
}

/// The streams an endpoint knows: the default stream 0 (deadline-bound, priority 0) unless
/// configured otherwise, plus any others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamTable(Vec<StreamConfig>);

impl Default for StreamTable {
    fn default() -> Self {
        StreamTable(vec![StreamConfig::deadline(DEFAULT_STREAM, 0)])
    }
}

impl StreamTable {
    /// The default stream plus `streams` (which may redefine stream 0).
    pub fn new(streams: impl IntoIterator<Item = StreamConfig>) -> Result<Self, ConfigError> {
        let mut table = StreamTable::default();
        for stream in streams {
            if stream.id > MAX_STREAM_ID {
                return Err(ConfigError::out_of_range("stream id", "0 to 127", stream.id as usize));
            }
            match table.0.iter_mut().find(|s| s.id == stream.id) {
                Some(existing) => *existing = stream,
                None => table.0.push(stream),
            }
        }
        Ok(table)
    }

    /// The stream with this id.
    pub fn get(&self, id: u8) -> Option<&StreamConfig> {
        self.0.iter().find(|s| s.id == id)
    }

    /// Where a stream sits in the table: the index of its counters.
    pub(crate) fn position(&self, id: u8) -> Option<usize> {
        self.0.iter().position(|s| s.id == id)
    }

    /// The streams, the default first.
    pub fn iter(&self) -> impl Iterator<Item = &StreamConfig> {
        self.0.iter()
    }

    /// The longest stream header: what the streams take off the largest payload.
    pub fn max_header_len(&self) -> usize {
        self.0.iter().map(StreamConfig::header_len).max().unwrap_or(1)
    }
}

/// The stream header written in front of a payload: 1 byte, or 5 on a reliable stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OutgoingHeader {
    bytes: [u8; 5],
    len: usize,
}

impl OutgoingHeader {
    /// The header for `stream` (and message `number`, if reliable).
    pub fn new(stream: &StreamConfig, number: u32) -> Self {
        let mut bytes = [0u8; 5];
        if stream.reliable {
            bytes[0] = RELIABLE_BIT | stream.id;
            bytes[1..].copy_from_slice(&number.to_be_bytes());
        } else {
            bytes[0] = stream.id;
        }
        OutgoingHeader { bytes, len: stream.header_len() }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The header and `payload` in one buffer, for a message that has to wait in a queue.
    pub fn frame(&self, payload: &[u8]) -> Vec<u8> {
        [self.as_slice(), payload].concat()
    }
}

/// Writes the stream header for `stream` (and `number`, if reliable) then `payload`.
pub(crate) fn frame(stream: &StreamConfig, number: u32, payload: &[u8]) -> Vec<u8> {
    OutgoingHeader::new(stream, number).frame(payload)
}

/// A received payload's stream header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub stream: u8,
    /// The message number, on a reliable stream.
    pub number: Option<u32>,
    /// Bytes of header before the application's payload.
    pub len: usize,
}

/// Reads the stream header of a delivered payload; `None` if it is cut short.
pub(crate) fn parse(payload: &[u8]) -> Option<Header> {
    let first = *payload.first()?;
    let stream = first & !RELIABLE_BIT;
    if first & RELIABLE_BIT == 0 {
        return Some(Header { stream, number: None, len: 1 });
    }
    let number = u32::from_be_bytes(payload.get(1..5)?.try_into().ok()?);
    Some(Header { stream, number: Some(number), len: 5 })
}

/// Per-stream counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Messages the application sent on the stream.
    pub sent: u64,
    /// Deadline-bound messages dropped at the sender after waiting `max_delay` for the pacer.
    pub expired: u64,
    /// Reliable messages sent again (no acknowledgement within the RTO).
    pub resent: u64,
    /// Messages delivered to the application.
    pub delivered: u64,
    /// Reliable messages that arrived again after delivery (a resend whose original made it).
    pub duplicates: u64,
}

impl std::ops::AddAssign<&StreamStats> for StreamStats {
    fn add_assign(&mut self, other: &StreamStats) {
        self.sent += other.sent;
        self.expired += other.expired;
        self.resent += other.resent;
        self.delivered += other.delivered;
        self.duplicates += other.duplicates;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let video = StreamConfig::deadline(3, 2);
        let control = StreamConfig::reliable(1, 0);
        let framed = frame(&video, 0, b"frame");
        assert_eq!(framed, [3, b'f', b'r', b'a', b'm', b'e']);
        assert_eq!(parse(&framed), Some(Header { stream: 3, number: None, len: 1 }));
        let framed = frame(&control, 0x01020304, b"x");
        assert_eq!(framed, [0x81, 1, 2, 3, 4, b'x']);
        assert_eq!(parse(&framed), Some(Header { stream: 1, number: Some(0x01020304), len: 5 }));
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[0x81, 0, 0]), None, "a reliable header cut short");
    }

    #[test]
    fn the_table_keeps_the_default_and_refuses_ids_above_127() {
        let table = StreamTable::new([StreamConfig::reliable(1, 0), StreamConfig::deadline(0, 5)]).unwrap();
        assert_eq!(table.get(0).unwrap().priority, 5);
        assert_eq!(table.max_header_len(), 5);
        assert!(StreamTable::new([StreamConfig::deadline(128, 0)]).is_err());
    }
}
