//! What the JavaScript thread asks of the I/O thread.

use std::net::SocketAddr;

use super::peers::Destinations;

pub(super) enum Command {
    Send(SendBatch),
    /// Flush what is queued, then stop.
    Close,
}

/// Messages to send, copied out of JavaScript memory in one piece.
pub(super) struct SendBatch {
    pub data: Vec<u8>,
    /// (offset, length, destination, stream) of each message.
    pub messages: Vec<(usize, usize, SocketAddr, u8)>,
}

impl SendBatch {
    /// `streams`, if given, holds each message's stream id (default stream 0 otherwise); the
    /// messages are copied into `buffer` (emptied first).
    pub fn new(
        slab: &[u8],
        lengths: &[u32],
        peers: &[u32],
        streams: Option<&[u8]>,
        destinations: &Destinations,
        mut buffer: Vec<u8>,
    ) -> Result<Self, String> {
        if lengths.len() != peers.len() || streams.is_some_and(|s| s.len() != lengths.len()) {
            return Err(format!("lengths ({}), peers ({}) and streams must have one entry per message", lengths.len(), peers.len()));
        }
        let mut offset = 0;
        let mut messages = Vec::with_capacity(lengths.len());
        for (i, (&length, &peer)) in lengths.iter().zip(peers).enumerate() {
            let length = length as usize;
            let destination = destinations.get(peer).ok_or_else(|| format!("peers[{i}] = {peer} is not a known peer id"))?;
            let stream = streams.map_or(0, |s| s[i]);
            messages.push((offset, length, destination, stream));
            offset += length;
        }
        if offset > slab.len() {
            return Err(format!("lengths add up to {offset} bytes but slab holds {}", slab.len()));
        }
        buffer.clear();
        buffer.extend_from_slice(&slab[..offset]);
        Ok(SendBatch { data: buffer, messages })
    }
}
