//! Many peers on one socket: the sans-IO endpoint the I/O layer drives.
//!
//! The endpoint keeps, per remote address, a sender (for what we send there) and a receiver
//! (for what arrives from there), created on first use, in the chosen wire format. It
//! demultiplexes incoming datagrams by source address, multiplexes outgoing ones with their
//! destination, and bounds its memory: at most `max_peers` peers (least recently active
//! dropped first), and a datagram that does not parse never creates a peer.

mod answering;
mod liveness;
mod mtu;
mod outgoing;
mod pacer;
mod pacing;
mod peer;
mod secure_link;
mod security;
mod stats;
mod streams;

pub use liveness::PathConfig;
pub use streams::{StreamConfig, StreamStats, StreamTable, DEFAULT_STREAM, MAX_STREAM_ID};
pub use mtu::{MtuConfig, MtuProber};
pub use security::SecurityStats;
pub use stats::EndpointStats;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;

use crate::error::{ConfigError, SendError};
use crate::event::{Delivery, Transmit};
use crate::secure::SecurityConfig;
use crate::seed::SeedReceiverConfig;
use crate::stats::Stats;
use crate::stream::{ReceiverConfig, SenderConfig};
use crate::time::Timestamp;
use crate::wire::v1::PacketType;
use answering::Answering;
use outgoing::Outgoing;
use secure_link::SecureLink;
use pacer::Pacer;
use pacing::{initial_pace, v1_data_overhead};
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
    /// Pace what leaves the socket to at most this many bits per second (0: no cap). With a
    /// bandwidth estimate (v1 `SenderConfig::bandwidth`), the endpoint paces to the sum of its
    /// peers' estimates, within this cap.
    pub pace_bits_per_second: u64,
    /// Keep-alive, idle timeout and path MTU discovery.
    pub path: PathConfig,
    /// The logical streams (v1; the same at both ends). The default table has stream 0 only.
    pub streams: StreamTable,
    /// Authentication and encryption (v1 only; `None`: packets in the clear, as seed 000).
    pub security: Option<SecurityConfig>,
}

impl EndpointConfig {
    /// The largest message [`Endpoint::send`] accepts in this format.
    pub fn max_payload(&self) -> usize {
        match &self.format {
            Format::V1 { sender, .. } => sender.max_payload - self.streams.max_header_len(),
            // The seed header's 16-bit length, and each fragment within one UDP datagram.
            Format::Seed { k, .. } => usize::from(u16::MAX).min((65_507 - crate::wire::seed::SEED_HEADER_LEN) * k),
        }
    }

    /// Checks every setting, as [`Endpoint::new`] would.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_peers == 0 {
            return Err(ConfigError::out_of_range("max_peers", "at least 1", self.max_peers));
        }
        self.path.validate()?;
        if let Some(security) = &self.security {
            security.validate()?;
            if matches!(self.format, Format::Seed { .. }) {
                return Err(ConfigError::out_of_range("security", "used with the v1 format (seed 000's has no handshake)", "seed"));
            }
        }
        Peer::new(&self.format, self.path, Arc::new(self.streams.clone()), false, Timestamp::ZERO).map(drop)
    }
}

/// The path to one peer as its sender and receiver see it, in integers so stats stay exact:
/// RTT, the repair ratio and block shape we send with, the loss before repair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathState {
    /// Smoothed round-trip time; 0 until measured or reported.
    pub rtt_micros: u64,
    /// Repair symbols per source of our full blocks, in parts per million.
    pub redundancy_ppm: u64,
    /// Sources per full block we send.
    pub block_sources: u64,
    /// How long our blocks stay open at most.
    pub block_time_micros: u64,
    /// Loss before repair on the path, in parts per million: measured when we receive,
    /// reported by the peer when we send.
    pub loss_ppm: u64,
    /// The largest UDP payload known to cross the path (0: not probing).
    pub mtu: u64,
}

/// Something that happened to a peer as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerEvent {
    /// Nothing came from the peer, and no data went to it, for the idle timeout; its state is
    /// gone (a later datagram starts afresh).
    TimedOut,
    /// The bandwidth estimate towards the peer moved (smoothed; see
    /// [`crate::stream::BandwidthEstimator::poll_change`]): what an encoder should aim below.
    Bandwidth {
        /// Bits per second the path is estimated to carry, repairs and headers included.
        bits_per_second: u64,
    },
}

/// See the module docs.
pub struct Endpoint {
    format: Format,
    peers: LruCache<SocketAddr, Peer>,
    outgoing: Outgoing,
    delivered: VecDeque<(SocketAddr, Delivery)>,
    /// Counters of peers no longer tracked, so totals never go backwards.
    departed: EndpointStats,
    /// Datagrams that created no peer because they did not parse.
    strays: Stats,
    pacer: Option<Pacer>,
    /// The configured pacing cap (0: none), which estimates never exceed.
    pace_cap: u64,
    path: PathConfig,
    events: VecDeque<(SocketAddr, PeerEvent)>,
    streams: Arc<StreamTable>,
    /// Per-stream counters of peers no longer tracked, in table order.
    departed_streams: Vec<StreamStats>,
    /// Peers with messages in their streams' queues (paced only).
    backlogged: Vec<SocketAddr>,
    /// Handshakes we answer, and the security counters (secure endpoints only).
    answering: Option<Answering>,
    /// The last datagram opened, its buffer reused for the next.
    opened: Vec<u8>,
}

impl Endpoint {
    /// An endpoint with no peers yet.
    pub fn new(config: EndpointConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let pace = initial_pace(&config);
        Ok(Endpoint {
            format: config.format,
            peers: LruCache::new(NonZeroUsize::new(config.max_peers).expect("validated")),
            outgoing: Outgoing::default(),
            delivered: VecDeque::new(),
            departed: EndpointStats::default(),
            strays: Stats::default(),
            pacer: pace.map(Pacer::new),
            pace_cap: config.pace_bits_per_second,
            path: config.path,
            events: VecDeque::new(),
            departed_streams: vec![StreamStats::default(); config.streams.iter().count()],
            streams: Arc::new(config.streams),
            backlogged: Vec::new(),
            answering: config.security.map(|security| Answering::new(security, config.max_peers)),
            opened: Vec::new(),
        })
    }

    /// Sends `payload` to `to` on the default stream: its datagrams are ready at
    /// [`Self::poll_transmit`] at once (repairs when the block closes).
    pub fn send(&mut self, to: SocketAddr, payload: &[u8], now: Timestamp) -> Result<(), SendError> {
        self.send_on(to, DEFAULT_STREAM, payload, now)
    }

    /// Sends `payload` to `to` on `stream` (see [`StreamConfig`]). Unpaced, its datagrams are
    /// ready at once; paced, it waits in its stream's queue until the pacer takes it, most
    /// important stream first.
    pub fn send_on(&mut self, to: SocketAddr, stream: u8, payload: &[u8], now: Timestamp) -> Result<(), SendError> {
        if !self.peers.contains(&to) {
            let mut peer = self.new_peer(now);
            if let Some(answering) = &mut self.answering {
                let link = SecureLink::call(&answering.config, to, &mut self.outgoing, now)?;
                answering.stats.count_handshake_sent(link.hello_len());
                peer = peer.secure(link);
            }
            self.admit(to, peer);
        }
        let peer = self.peers.get_mut(&to).expect("just admitted");
        let result = peer.send(stream, payload, now);
        peer.drain(to, now, &mut self.outgoing, &mut self.delivered);
        if self.pacer.is_some() && peer.queued_next().is_some() && !self.backlogged.contains(&to) {
            self.backlogged.push(to);
        }
        self.shed_unpaceable();
        result
    }

    fn new_peer(&self, now: Timestamp) -> Peer {
        Peer::new(&self.format, self.path, self.streams.clone(), self.pacer.is_some(), now).expect("validated")
    }

    /// Counters of every configured stream, with its id, in table order.
    /// One pass over the peers for all streams: the I/O layer publishes these on every loop.
    pub fn streams_stats(&self) -> Vec<(u8, StreamStats)> {
        let mut totals = self.departed_streams.clone();
        for (_, peer) in self.peers.iter() {
            for (total, stream) in totals.iter_mut().zip(peer.stream_stats()) {
                *total += stream;
            }
        }
        self.streams.iter().map(|stream| stream.id).zip(totals).collect()
    }

    /// Counters of one stream over every peer, present and departed.
    pub fn stream_stats(&self, stream: u8) -> Option<StreamStats> {
        let position = self.streams.position(stream)?;
        let mut total = self.departed_streams[position];
        for (_, peer) in self.peers.iter() {
            total += &peer.stream_stats()[position];
        }
        Some(total)
    }

    /// Takes in a datagram that arrived from `from`.
    pub fn handle_datagram(&mut self, from: SocketAddr, datagram: &[u8], now: Timestamp) {
        if self.answering.is_some() {
            self.handle_secure(from, datagram, now);
            return;
        }
        self.handle_clear(from, datagram, now);
    }

    /// A datagram in the clear, or opened.
    fn handle_clear(&mut self, from: SocketAddr, datagram: &[u8], now: Timestamp) {
        if let Some(peer) = self.peers.get_mut(&from) {
            peer.handle_datagram(datagram, now);
            peer.drain(from, now, &mut self.outgoing, &mut self.delivered);
            if let Some(bits_per_second) = peer.poll_bandwidth_change() {
                self.events.push_back((from, PeerEvent::Bandwidth { bits_per_second }));
            }
            if datagram.get(1) == Some(&(PacketType::Feedback as u8)) {
                self.follow_estimates();
            }
            return;
        }
        // A stranger: admit it only if what it sent was accepted, so junk cannot evict peers.
        let mut peer = self.new_peer(now);
        peer.handle_datagram(datagram, now);
        if peer.stats().receive.accepted == 0 {
            self.strays += &peer.stats().receive;
            return;
        }
        peer.drain(from, now, &mut self.outgoing, &mut self.delivered);
        self.admit(from, peer);
    }

    /// The next datagram to send at `now`, with its destination; when paced, `None` until
    /// the pacer lets the next one go (see [`Self::poll_timeout`]).
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<(SocketAddr, Transmit)> {
        if self.outgoing.front().is_none() {
            self.send_backlogged(now)?;
        }
        let (_, next) = self.outgoing.front()?;
        if let Some(pacer) = &mut self.pacer {
            if !pacer.take(next.datagram.len(), now) {
                return None;
            }
        }
        self.outgoing.pop_front()
    }

    /// The next payload received, with its sender.
    pub fn poll_delivery(&mut self) -> Option<(SocketAddr, Delivery)> {
        self.delivered.pop_front()
    }

    /// When [`Self::handle_timeout`] or, paced, [`Self::poll_transmit`] is next due.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let next_len = self.outgoing.front().map(|(_, next)| next.datagram.len()).or_else(|| {
            let queued = self.backlogged.iter().filter_map(|address| self.peers.peek(address)?.queued_next());
            queued.map(|(_, len)| len + v1_data_overhead()).min()
        });
        let paced = self.pacer.as_ref().zip(next_len).map(|(pacer, len)| pacer.ready_at(len));
        self.peers.iter().filter_map(|(_, peer)| peer.poll_timeout()).chain(paced).min()
    }

    /// The next thing that happened to a peer as a whole, with its address.
    pub fn poll_event(&mut self) -> Option<(SocketAddr, PeerEvent)> {
        self.events.pop_front()
    }

    /// Runs every peer's timers that are due at `now`, and forgets peers idle past their
    /// timeout (reported by [`Self::poll_event`]).
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let mut idle = Vec::new();
        for (address, peer) in self.peers.iter_mut() {
            if peer.idle_at().is_some_and(|t| t <= now) {
                idle.push(*address);
            } else if peer.poll_timeout().is_some_and(|t| t <= now) {
                peer.handle_timeout(now);
                let hello = peer.secure_timeout(*address, &mut self.outgoing, now);
                if let (Some(answering), true) = (&mut self.answering, hello > 0) {
                    answering.stats.count_handshake_sent(hello);
                }
                peer.drain(*address, now, &mut self.outgoing, &mut self.delivered);
            }
        }
        for address in idle {
            if let Some(peer) = self.peers.pop(&address) {
                self.depart(&peer);
                self.departed.idle_timeouts += 1;
                self.events.push_back((address, PeerEvent::TimedOut));
            }
        }
    }

    /// Closes every open block now (at the end of a stream), so its repairs go out.
    pub fn flush(&mut self) {
        for (address, peer) in self.peers.iter_mut() {
            peer.flush();
            peer.drain(*address, Timestamp::ZERO, &mut self.outgoing, &mut self.delivered);
        }
    }

    /// Counters over every peer, present and dropped.
    pub fn stats(&self) -> EndpointStats {
        let mut total = self.departed;
        total.receive += &self.strays;
        for (_, peer) in self.peers.iter() {
            total += &peer.stats();
        }
        if let Some(answering) = &self.answering {
            let held_dropped = total.security.held_dropped;
            total.security = SecurityStats { held_dropped, ..answering.stats };
            total.datagrams_sent += answering.stats.handshake_datagrams;
            total.bytes_sent += answering.stats.handshake_bytes;
        }
        total.peers = self.peers.len();
        total.pacer_drops = self.pacer.as_ref().map_or(0, |pacer| pacer.dropped);
        total.pace_rate = self.pace_rate();
        total
    }

    /// The path to the most recently active peer, if any.
    pub fn path(&self) -> PathState {
        self.peers.peek_mru().map(|(_, peer)| peer.path()).unwrap_or_default()
    }

    fn admit(&mut self, address: SocketAddr, peer: Peer) {
        if let Some((_, dropped)) = self.peers.push(address, peer) {
            self.depart(&dropped);
            self.departed.evicted_peers += 1;
        }
    }

    /// Keeps a peer's counters as it leaves, so totals never go backwards.
    fn depart(&mut self, peer: &Peer) {
        self.departed += &peer.stats();
        for (total, stream) in self.departed_streams.iter_mut().zip(peer.stream_stats()) {
            *total += stream;
        }
    }
}
