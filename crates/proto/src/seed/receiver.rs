//! The seed-format receiver: collects fragments per batch, decodes at k, delivers once.

use std::time::Duration;

use crate::bits::Bits;
use crate::error::ConfigError;
use crate::event::Delivery;
use crate::inbox::Verdict;
use crate::incoming::{receiver_surface, Incoming};
use crate::time::Timestamp;
use crate::window::{Held, Limits};
use crate::wire::seed::{SeedHeader, SeedPacket};

/// How a [`SeedReceiver`] bounds what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedReceiverConfig {
    /// Batches in flight at most; the oldest is evicted (and counted) to admit a new one.
    pub max_batches: usize,
    /// How long after its first fragment a batch may still complete; `None` keeps it until
    /// evicted, as the seed does.
    pub deadline: Option<Duration>,
    /// Fragment bytes held across batches at most; the oldest batches are evicted past it.
    /// (A batch can hold 255 fragments of 64 KiB: the batch cap alone bounds nothing useful.)
    pub max_buffered_bytes: usize,
}

impl Default for SeedReceiverConfig {
    fn default() -> Self {
        SeedReceiverConfig { max_batches: 256, deadline: None, max_buffered_bytes: 64 << 20 }
    }
}

/// Fragments of one batch so far.
struct Batch {
    /// The first fragment's header; every later one must agree on k, n and orig_len.
    first: SeedHeader,
    present: Bits,
    fragments: Vec<(usize, Vec<u8>)>,
}

impl Held for Batch {
    fn bytes(&self) -> usize {
        let fragments = self.fragments.iter().map(|(_, bytes)| bytes.len()).sum::<usize>();
        std::mem::size_of::<Batch>() + self.fragments.capacity() * std::mem::size_of::<(usize, Vec<u8>)>() + fragments
    }

    /// A batch is one message, decoded whole or not at all.
    fn lost(&self) -> u64 {
        1
    }
}

impl Batch {
    fn add(&mut self, packet: &SeedPacket<'_>) -> Verdict {
        let (h, first) = (&packet.header, &self.first);
        if (h.k, h.n, h.orig_len) != (first.k, first.n, first.orig_len) {
            return Verdict::Conflict;
        }
        if !self.present.insert(h.index) {
            return Verdict::Duplicate;
        }
        self.fragments.push((usize::from(h.index), packet.fragment.to_vec()));
        Verdict::Accepted
    }

    /// The message, once k fragments are in, and whether parity was needed.
    fn decode(&self) -> Option<(Vec<u8>, bool)> {
        let (k, n) = (usize::from(self.first.k), usize::from(self.first.n));
        if self.fragments.len() < k {
            return None;
        }
        let indices: Vec<usize> = self.fragments.iter().map(|&(index, _)| index).collect();
        let shards: Vec<&[u8]> = self.fragments.iter().map(|(_, bytes)| bytes.as_slice()).collect();
        // Every fragment passed the parser's shape and length checks and agrees with the
        // first, so decoding cannot fail; if it somehow did, the batch just never delivers.
        let message = fec::decode_message(&shards, &indices, k, n, usize::from(self.first.orig_len)).ok()?;
        Some((message, indices.iter().any(|&index| index >= k)))
    }
}

/// Reassembles seed-format messages, each delivered exactly once.
pub struct SeedReceiver {
    incoming: Incoming<Batch>,
}

impl SeedReceiver {
    /// A receiver for `config`, or the field that is out of range.
    pub fn new(config: SeedReceiverConfig) -> Result<Self, ConfigError> {
        if config.max_batches == 0 {
            return Err(ConfigError::out_of_range("max_batches", "at least 1", 0));
        }
        let limits = Limits { blocks: config.max_batches, bytes: config.max_buffered_bytes, lifetime: config.deadline };
        Ok(SeedReceiver { incoming: Incoming::new(limits) })
    }

    /// Takes one datagram as it came off the network, at `now`.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        self.handle_timeout(now);
        let Some(packet) = self.incoming.inbox.admit(datagram, SeedPacket::parse) else { return };
        let id = packet.header.batch_id;
        let make = || Batch { first: packet.header, present: Bits::default(), fragments: Vec::new() };
        let Some((batch, inbox)) = self.incoming.entry(id, now, make) else { return };
        if !inbox.tally(batch.add(&packet)) {
            return;
        }
        match batch.decode() {
            Some((payload, recovered)) => {
                inbox.deliver(Delivery { payload: payload.into(), block: id, index: 0, recovered, stream: 0 });
                self.incoming.finish(id);
            }
            None => self.incoming.settle(id),
        }
    }

    receiver_surface!("message");

    /// Batches currently held.
    pub fn batches_in_flight(&self) -> usize {
        self.incoming.window().len()
    }
}
