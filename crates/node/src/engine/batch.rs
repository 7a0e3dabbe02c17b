//! The unit JavaScript receives: many delivered messages, one call.

use std::net::SocketAddr;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::peers::{self, Sources};
use super::recycle::Recycler;
use super::slab::Slab;

/// A sender seen for the first time in this batch (or again after the id table was reset).
#[napi(object)]
pub struct NewPeer {
    pub id: u32,
    pub address: String,
    pub port: u32,
    pub family: String,
}

/// A peer forgotten after its idle timeout.
#[napi(object)]
pub struct TimedOutPeer {
    pub address: String,
    pub port: u32,
    pub family: String,
}

/// A peer's bandwidth estimate moved.
#[napi(object)]
pub struct BandwidthChange {
    pub address: String,
    pub port: u32,
    pub family: String,
    pub bits_per_second: f64,
}

/// Delivered messages back to back in `slab`; message i is the next `lengths[i]` bytes, from
/// the sender with id `peers[i]`, on stream `streams[i]`. Also the peers that timed out, and
/// the bandwidth estimates that moved, since the last batch.
#[napi(object, object_from_js = false)]
pub struct DeliveryBatch {
    #[napi(ts_type = "Buffer")]
    pub slab: Slab,
    pub lengths: Uint32Array,
    pub peers: Uint32Array,
    pub streams: Uint8Array,
    pub new_peers: Vec<NewPeer>,
    pub timed_out: Vec<TimedOutPeer>,
    pub bandwidth: Vec<BandwidthChange>,
}

/// Slab bytes below which growing by reallocation is cheaper than ringing early.
const SMALL_SLAB: usize = 64 * 1024;

/// Accumulates deliveries on the I/O thread until the next ring.
#[derive(Default)]
pub(super) struct BatchBuilder {
    slab: Vec<u8>,
    /// Slabs JavaScript is done with, to fill again.
    slabs: Arc<Recycler>,
    lengths: Vec<u32>,
    peers: Vec<u32>,
    streams: Vec<u8>,
    new_peers: Vec<NewPeer>,
    timed_out: Vec<TimedOutPeer>,
    bandwidth: Vec<BandwidthChange>,
}

impl BatchBuilder {
    pub fn push(&mut self, sources: &mut Sources, from: SocketAddr, stream: u8, payload: &[u8]) {
        let (id, first) = sources.id(from);
        if first {
            self.new_peers.push(NewPeer {
                id,
                address: from.ip().to_string(),
                port: from.port() as u32,
                family: peers::family(from),
            });
        }
        self.slab.extend_from_slice(payload);
        // The next message lands right after: its lines fetched now are there when it comes.
        let room = self.slab.spare_capacity_mut();
        proto::arena::prefetch_for_writing(room.as_ptr().cast(), payload.len().min(room.len()));
        self.lengths.push(payload.len() as u32);
        self.peers.push(id);
        self.streams.push(stream);
    }

    pub fn push_bandwidth(&mut self, peer: SocketAddr, bits_per_second: u64) {
        self.bandwidth.push(BandwidthChange {
            address: peer.ip().to_string(),
            port: peer.port() as u32,
            family: peers::family(peer),
            bits_per_second: bits_per_second as f64,
        });
    }

    pub fn push_timeout(&mut self, peer: SocketAddr) {
        self.timed_out.push(TimedOutPeer { address: peer.ip().to_string(), port: peer.port() as u32, family: peers::family(peer) });
    }

    /// Whether a payload of `len` bytes would make a large slab grow, copying what it holds:
    /// ring first, and the next batch gets a slab twice the size (see [`Self::take`]). A small
    /// slab just grows: ringing for it would send JavaScript a stream of tiny batches.
    pub fn full_for(&self, len: usize) -> bool {
        self.slab.len() >= SMALL_SLAB && self.slab.len() + len > self.slab.capacity()
    }

    /// Messages in the batch.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether there is nothing to tell JavaScript.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty() && self.timed_out.is_empty() && self.bandwidth.is_empty()
    }

    /// The batch so far, leaving the builder empty, its next slab one JavaScript gave back
    /// (warm, its pages mapped) and at least twice this one's size: with [`Self::full_for`],
    /// a slab is never grown by reallocation (copying it each time, which showed in a busy
    /// receiver's profile).
    pub fn take(&mut self) -> DeliveryBatch {
        let (bytes, count) = (self.slab.len(), self.lengths.len());
        let mut next = self.slabs.take();
        next.clear();
        next.reserve(2 * bytes);
        let slab = std::mem::replace(&mut self.slab, next);
        DeliveryBatch {
            slab: Slab::new(slab, self.slabs.clone()),
            lengths: Uint32Array::new(take_sized(&mut self.lengths, count)),
            peers: Uint32Array::new(take_sized(&mut self.peers, count)),
            streams: Uint8Array::new(take_sized(&mut self.streams, count)),
            new_peers: std::mem::take(&mut self.new_peers),
            timed_out: std::mem::take(&mut self.timed_out),
            bandwidth: std::mem::take(&mut self.bandwidth),
        }
    }
}

/// What `list` holds, leaving it empty with room for `count` (the next batch's likely size).
fn take_sized<T>(list: &mut Vec<T>, count: usize) -> Vec<T> {
    std::mem::replace(list, Vec::with_capacity(count))
}
