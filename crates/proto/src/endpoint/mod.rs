//! Many peers on one socket: the sans-IO endpoint the I/O layer drives.
//!
//! The endpoint keeps, per remote address, a sender (for what we send there) and a receiver
//! (for what arrives from there), created on first use, in the chosen wire format. It
//! demultiplexes incoming datagrams by source address, multiplexes outgoing ones with their
//! destination, and bounds its memory: at most `max_peers` peers (least recently active
//! dropped first), and a datagram that does not parse never creates a peer.

mod peer;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::num::NonZeroUsize;

use lru::LruCache;

use crate::error::{ConfigError, SendError};
use crate::event::{Delivery, Transmit};
use crate::seed::SeedReceiverConfig;
use crate::stats::Stats;
use crate::stream::{ReceiverConfig, SenderConfig};
use crate::time::Timestamp;
use peer::Peer;

/// The wire format an endpoint speaks, with its settings.
#[derive(Clone, Debug, PartialEq)]
pub enum Format {
    /// Ours: stream mode over the v1 header.
    V1 {
        /// How outgoing blocks are built.
        sender: SenderConfig,
        /// How incoming blocks are bounded.
        receiver: ReceiverConfig,
    },
    /// Seed 000's: each message padded, split into k fragments, n sent, `>IBBBH` header.
    Seed {
        /// Fragments a message is split into.
        k: usize,
        /// Fragments sent per message.
        n: usize,
        /// How incoming batches are bounded.
        receiver: SeedReceiverConfig,
    },
}

/// Endpoint settings.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointConfig {
    /// Wire format and its settings.
    pub format: Format,
    /// Peers tracked at once, at least 1; the least recently active is dropped past it.
    pub max_peers: usize,
}

impl EndpointConfig {
    /// The largest message [`Endpoint::send`] accepts in this format.
    pub fn max_payload(&self) -> usize {
        match &self.format {
            Format::V1 { sender, .. } => sender.max_payload,
            // The seed header's 16-bit length, and each fragment within one UDP datagram.
            Format::Seed { k, .. } => usize::from(u16::MAX).min((65_507 - crate::wire::seed::SEED_HEADER_LEN) * k),
        }
    }

    /// Checks every setting, as [`Endpoint::new`] would.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_peers == 0 {
            return Err(ConfigError::out_of_range("max_peers", "at least 1", self.max_peers));
        }
        Peer::new(&self.format).map(drop)
    }
}

/// Counters over every peer, present and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Messages accepted by [`Endpoint::send`].
    pub sent: u64,
    /// Messages [`Endpoint::send`] refused (too large for the format).
    pub refused: u64,
    /// Repair symbols (v1) or parity fragments (seed) sent.
    pub repairs_sent: u64,
    /// Blocks (v1) or messages (seed) closed.
    pub blocks: u64,
    /// Datagrams emitted, and their bytes.
    pub datagrams_sent: u64,
    /// Bytes emitted, headers included.
    pub bytes_sent: u64,
    /// Everything the receivers counted, summed.
    pub receive: Stats,
    /// Peers tracked now.
    pub peers: usize,
    /// Peers dropped to stay within `max_peers`.
    pub evicted_peers: u64,
}

/// See the module docs.
pub struct Endpoint {
    format: Format,
    peers: LruCache<SocketAddr, Peer>,
    outgoing: VecDeque<(SocketAddr, Transmit)>,
    delivered: VecDeque<(SocketAddr, Delivery)>,
    /// Counters of peers no longer tracked, so totals never go backwards.
    departed: EndpointStats,
    /// Datagrams that created no peer because they did not parse.
    strays: Stats,
}

impl Endpoint {
    /// An endpoint with no peers yet.
    pub fn new(config: EndpointConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Endpoint {
            format: config.format,
            peers: LruCache::new(NonZeroUsize::new(config.max_peers).expect("validated")),
            outgoing: VecDeque::new(),
            delivered: VecDeque::new(),
            departed: EndpointStats::default(),
            strays: Stats::default(),
        })
    }

    /// Sends `payload` to `to`: its datagrams are ready at [`Self::poll_transmit`] at once
    /// (repairs when the block closes).
    pub fn send(&mut self, to: SocketAddr, payload: &[u8], now: Timestamp) -> Result<(), SendError> {
        if !self.peers.contains(&to) {
            let peer = Peer::new(&self.format).expect("validated");
            self.admit(to, peer);
        }
        let peer = self.peers.get_mut(&to).expect("just admitted");
        let result = peer.send(payload, now);
        peer.drain(to, &mut self.outgoing, &mut self.delivered);
        result
    }

    /// Takes in a datagram that arrived from `from`.
    pub fn handle_datagram(&mut self, from: SocketAddr, datagram: &[u8], now: Timestamp) {
        if let Some(peer) = self.peers.get_mut(&from) {
            peer.handle_datagram(datagram, now);
            peer.drain(from, &mut self.outgoing, &mut self.delivered);
            return;
        }
        // A stranger: admit it only if what it sent was accepted, so junk cannot evict peers.
        let mut peer = Peer::new(&self.format).expect("validated");
        peer.handle_datagram(datagram, now);
        if peer.stats().receive.accepted == 0 {
            self.strays += &peer.stats().receive;
            return;
        }
        peer.drain(from, &mut self.outgoing, &mut self.delivered);
        self.admit(from, peer);
    }

    /// The next datagram to send, with its destination.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, Transmit)> {
        self.outgoing.pop_front()
    }

    /// The next payload received, with its sender.
    pub fn poll_delivery(&mut self) -> Option<(SocketAddr, Delivery)> {
        self.delivered.pop_front()
    }

    /// When [`Self::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.peers.iter().filter_map(|(_, peer)| peer.poll_timeout()).min()
    }

    /// Runs every peer's timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        for (address, peer) in self.peers.iter_mut() {
            if peer.poll_timeout().is_some_and(|t| t <= now) {
                peer.handle_timeout(now);
                peer.drain(*address, &mut self.outgoing, &mut self.delivered);
            }
        }
    }

    /// Closes every open block now (at the end of a stream), so its repairs go out.
    pub fn flush(&mut self) {
        for (address, peer) in self.peers.iter_mut() {
            peer.flush();
            peer.drain(*address, &mut self.outgoing, &mut self.delivered);
        }
    }

    /// Counters over every peer, present and dropped.
    pub fn stats(&self) -> EndpointStats {
        let mut total = self.departed;
        total.receive += &self.strays;
        for (_, peer) in self.peers.iter() {
            add(&mut total, &peer.stats());
        }
        total.peers = self.peers.len();
        total
    }

    fn admit(&mut self, address: SocketAddr, peer: Peer) {
        if let Some((_, dropped)) = self.peers.push(address, peer) {
            add(&mut self.departed, &dropped.stats());
            self.departed.evicted_peers += 1;
        }
    }
}

fn add(total: &mut EndpointStats, peer: &EndpointStats) {
    total.sent += peer.sent;
    total.refused += peer.refused;
    total.repairs_sent += peer.repairs_sent;
    total.blocks += peer.blocks;
    total.datagrams_sent += peer.datagrams_sent;
    total.bytes_sent += peer.bytes_sent;
    total.receive += &peer.receive;
}
