//! One remote address: our sender towards it, our receiver from it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::liveness::{Liveness, PathConfig, KEEP_ALIVE_TAG, TAG_MASK};
use super::mtu::MtuProber;
use super::outgoing::Outgoing;
use super::secure_link::SecureLink;
use super::streams::{PeerStreams, StreamConfig, StreamTable, DEFAULT_STREAM};
use super::{EndpointStats, Format, PathState};
use crate::error::{ConfigError, SendError};
use crate::event::{Delivery, Transmit};
use crate::outbox::Outbox;
use crate::secure::{OpenError, Space};
use crate::seed::{SeedReceiver, SeedSender};
use crate::stats::Stats;
use crate::stream::{Receiver, Sender};
use crate::time::Timestamp;
use crate::wire::v1::{Body, Echo, Packet, PacketType, Probe, PROBE_OVERHEAD};

/// How long a reliable message waits for its acknowledgement before it is resent, before the
/// RTT is known.
const INITIAL_RTO: Duration = Duration::from_millis(200);

// One per peer, kept in place in the LRU and never moved in bulk: boxing the larger variant
// would only add an indirection per packet.
#[allow(clippy::large_enum_variant)]
enum Link {
    V1 { sender: Sender, receiver: Receiver },
    Seed { sender: SeedSender, receiver: SeedReceiver, parity: u64 },
}

pub(super) struct Peer {
    link: Link,
    /// Counters the endpoint keeps itself (what the senders do not count).
    counted: EndpointStats,
    path: PathConfig,
    liveness: Liveness,
    /// Path MTU discovery towards this peer (v1 only: the seed format has no control packets).
    mtu: Option<MtuProber>,
    keep_alive_counter: u64,
    /// v1's logical streams (the seed format has one, unframed).
    streams: PeerStreams,
    /// Whether the endpoint paces: then messages wait in the streams' queues until the pacer
    /// takes them, rather than becoming datagrams at once.
    paced: bool,
    /// The handshake or session, on a secure endpoint.
    secure: Option<SecureLink>,
}

impl Peer {
    pub fn new(format: &Format, path: PathConfig, streams: Arc<StreamTable>, paced: bool, now: Timestamp) -> Result<Self, ConfigError> {
        let link = match format {
            Format::V1 { sender, receiver } => Link::V1 { sender: Sender::new(*sender)?, receiver: Receiver::new(*receiver)? },
            Format::Seed { k, n, receiver } => {
                Link::Seed { sender: SeedSender::new(*k, *n)?, receiver: SeedReceiver::new(*receiver)?, parity: (n - k) as u64 }
            }
        };
        let mtu = match (&link, path.mtu) {
            (Link::V1 { .. }, Some(config)) => Some(MtuProber::new(config)),
            _ => None,
        };
        Ok(Peer {
            link,
            counted: EndpointStats::default(),
            path,
            liveness: Liveness::new(now),
            mtu,
            keep_alive_counter: 0,
            streams: PeerStreams::new(streams),
            paced,
            secure: None,
        })
    }

    /// The peer's encryption: every datagram out is sealed (or held) by it, every one in opened.
    pub fn secure(mut self, link: SecureLink) -> Self {
        self.secure = Some(link);
        self
    }

    /// Our ephemeral key while our HELLO waits for its answer.
    pub fn calling_ephemeral(&self) -> Option<&[u8]> {
        self.secure.as_ref().and_then(SecureLink::calling_ephemeral)
    }

    pub fn secure_link(&mut self) -> Option<&mut SecureLink> {
        self.secure.as_mut()
    }

    /// Opens a datagram from this peer into `plain` (secure endpoints).
    pub fn open(&mut self, datagram: &[u8], plain: &mut Vec<u8>) -> Result<(), OpenError> {
        self.secure.as_mut().map_or(Err(OpenError::NotSealed), |link| link.open(datagram, plain))
    }

    /// Resends our HELLO if its answer is overdue; gives the bytes sent.
    pub fn secure_timeout(&mut self, address: SocketAddr, outgoing: &mut Outgoing, now: Timestamp) -> usize {
        self.secure.as_mut().map_or(0, |link| link.handle_timeout(address, outgoing, now))
    }

    /// Sends `payload` on `stream`: framed with its stream header, then queued (paced) or
    /// made a source symbol at once.
    pub fn send(&mut self, stream: u8, payload: &[u8], now: Timestamp) -> Result<(), SendError> {
        let result = match &mut self.link {
            Link::V1 { sender, .. } => match self.streams.header(stream, payload, sender.max_payload(), now) {
                // Unpaced, header and payload are copied once, straight into the source symbol.
                Ok((_, header)) if !self.paced => {
                    sender.send_parts(&[header.as_slice(), payload], now).expect("checked against max_payload");
                    Ok(())
                }
                Ok((config, header)) => {
                    self.submit(&config, header.frame(payload), now);
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Link::Seed { .. } if stream != DEFAULT_STREAM => Err(SendError::UnknownStream { stream }),
            Link::Seed { sender, parity, .. } => {
                let result = sender.send(payload);
                if result.is_ok() {
                    self.counted.repairs_sent += *parity;
                    self.counted.blocks += 1;
                }
                result
            }
        };
        match result {
            Ok(()) => {
                self.counted.sent += 1;
                self.liveness.active(now);
            }
            Err(_) => self.counted.refused += 1,
        }
        result
    }

    /// A framed message goes to the streams' queues when paced, else straight to the FEC
    /// sender (whose size check it passed when framed).
    fn submit(&mut self, config: &StreamConfig, framed: Vec<u8>, now: Timestamp) {
        if self.paced {
            for _ in 0..self.streams.queues.push(config, framed, now) {
                self.streams.expired(config.id);
            }
        } else if let Link::V1 { sender, .. } = &mut self.link {
            sender.send(&framed, now).expect("framed within max_payload");
        }
    }

    /// Makes the most important queued message a source symbol; false when none is left.
    pub fn send_queued(&mut self, now: Timestamp) -> bool {
        let streams = &mut self.streams;
        let mut expired = Vec::new();
        let next = streams.queues.pop(now, |stream| expired.push(stream));
        for stream in expired {
            streams.expired(stream);
        }
        match (next, &mut self.link) {
            (Some((_, framed)), Link::V1 { sender, .. }) => {
                sender.send(&framed, now).expect("framed within max_payload");
                true
            }
            _ => false,
        }
    }

    /// The bandwidth estimate towards this peer, if we send to it and estimate.
    pub fn bandwidth_estimate(&self) -> Option<u64> {
        match &self.link {
            Link::V1 { sender, .. } if self.counted.sent > 0 => sender.bandwidth_estimate(),
            _ => None,
        }
    }

    /// The smoothed estimate, when it moved enough to tell the application.
    pub fn poll_bandwidth_change(&mut self) -> Option<u64> {
        match &mut self.link {
            Link::V1 { sender, .. } => sender.poll_bandwidth_change(),
            Link::Seed { .. } => None,
        }
    }

    /// The queues' next message: its priority and size, for the endpoint's choice and pacer.
    pub fn queued_next(&self) -> Option<(u8, usize)> {
        self.streams.queues.peek()
    }

    /// How long an unacknowledged reliable message waits before it is resent.
    fn rto(&self) -> Duration {
        match self.path().rtt_micros {
            0 => INITIAL_RTO,
            rtt => (2 * Duration::from_micros(rtt)).max(Duration::from_millis(20)),
        }
    }

    /// Hands a datagram to the half it is for: what the remote's receiver says about our
    /// stream (NACK, FEEDBACK) and its pings go to our sender, the rest to our receiver. The
    /// path's own packets (MTU probes, and the PONGs of our probes and keep-alives) stop here.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        let kind = datagram.get(1).copied().map(PacketType::try_from);
        let v1 = matches!(self.link, Link::V1 { .. });
        if v1
            && matches!(kind, Some(Ok(PacketType::Probe | PacketType::Pong | PacketType::StreamAck)))
            && self.handle_path_packet(datagram, now)
        {
            return;
        }
        match &mut self.link {
            Link::V1 { sender, receiver } => {
                match kind {
                    Some(Ok(PacketType::Nack | PacketType::Feedback | PacketType::Ping)) if self.counted.sent > 0 => {
                        sender.handle_datagram(datagram, now)
                    }
                    _ => receiver.handle_datagram(datagram, now),
                }
            }
            Link::Seed { receiver, .. } => receiver.handle_datagram(datagram, now),
        }
        if matches!(self.link, Link::Seed { .. }) || matches!(kind, Some(Ok(_))) {
            self.liveness.heard(now);
            // The peer talks to us: from now on a lost probe means its size did not pass.
            if let Some(mtu) = &mut self.mtu {
                mtu.start(now);
            }
            self.send_probe(now);
        }
    }

    /// A PROBE is answered with a PONG echoing its token; a PONG for one of our probes or
    /// keep-alives, and a STREAM_ACK, are taken. Returns whether the packet was one of these.
    fn handle_path_packet(&mut self, datagram: &[u8], now: Timestamp) -> bool {
        let Ok(packet) = Packet::parse(datagram) else { return false };
        match packet.body {
            Body::Probe(probe) if self.liveness.heard || self.counted.sent > 0 => {
                self.liveness.heard(now);
                self.outbox().send(Body::Pong(Echo { token: probe.token }));
                true
            }
            Body::StreamAck(ack) => {
                self.liveness.heard(now);
                self.streams.on_ack(ack);
                true
            }
            Body::Pong(echo) if echo.token & TAG_MASK == KEEP_ALIVE_TAG => {
                self.liveness.heard(now);
                true
            }
            Body::Pong(echo) => {
                let ours = self.mtu.as_mut().is_some_and(|mtu| mtu.on_pong(echo.token, now));
                if ours {
                    self.liveness.heard(now);
                    self.send_probe(now);
                }
                ours
            }
            _ => false,
        }
    }

    /// The outbox of the half that talks to this peer: our sender's once we have sent (the
    /// peer's receiver knows its connection id), else our receiver's.
    fn outbox(&mut self) -> &mut Outbox {
        match &mut self.link {
            Link::V1 { sender, .. } if self.counted.sent > 0 => sender.outbox(),
            Link::V1 { receiver, .. } => receiver.outbox(),
            Link::Seed { .. } => unreachable!("the seed format has no control packets"),
        }
    }

    /// Sends the prober's next probe, if one is due.
    fn send_probe(&mut self, now: Timestamp) {
        if !self.mtu.as_ref().is_some_and(MtuProber::wants_probe) {
            return;
        }
        let rtt = Duration::from_micros(self.path().rtt_micros);
        let Some(mtu) = &mut self.mtu else { return };
        let timeout = mtu_timeout(rtt, mtu);
        if let Some((token, size)) = mtu.poll_probe(now, timeout) {
            let padding = size.saturating_sub(PROBE_OVERHEAD);
            self.outbox().send_padded(Body::Probe(Probe { token, padding }), size);
        }
    }

    /// When this peer counts as gone (see [`PathConfig::idle_timeout`]).
    pub fn idle_at(&self) -> Option<Timestamp> {
        self.liveness.idle_at(&self.path)
    }

    fn keep_alive_at(&self) -> Option<Timestamp> {
        match self.link {
            Link::V1 { .. } => self.liveness.keep_alive_at(&self.path),
            Link::Seed { .. } => None,
        }
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let streams = match &self.link {
            Link::V1 { sender, receiver } => sender.poll_timeout().into_iter().chain(receiver.poll_timeout()).min(),
            Link::Seed { receiver, .. } => receiver.poll_timeout(),
        };
        let path = [
            self.keep_alive_at(),
            self.mtu.as_ref().and_then(MtuProber::poll_timeout),
            self.idle_at(),
            self.resend_at(),
            self.secure.as_ref().and_then(SecureLink::poll_timeout),
        ];
        streams.into_iter().chain(path.into_iter().flatten()).min()
    }

    pub fn handle_timeout(&mut self, now: Timestamp) {
        match &mut self.link {
            Link::V1 { sender, receiver } => {
                sender.handle_timeout(now);
                receiver.handle_timeout(now);
            }
            Link::Seed { receiver, .. } => receiver.handle_timeout(now),
        }
        if self.keep_alive_at().is_some_and(|at| at <= now) {
            self.keep_alive_counter += 1;
            let token = KEEP_ALIVE_TAG | (self.keep_alive_counter & !TAG_MASK);
            self.outbox().send(Body::Ping(Echo { token }));
            self.counted.keep_alives_sent += 1;
        }
        if let Some(mtu) = &mut self.mtu {
            mtu.handle_timeout(now);
        }
        self.send_probe(now);
        if self.resend_at().is_some_and(|at| at <= now) {
            let rto = self.rto();
            for (config, framed) in self.streams.resends(now, rto) {
                self.submit(&config, framed, now);
            }
        }
    }

    /// When the oldest unacknowledged reliable message is due for a resend. The RTO (which
    /// reads the path's state) is worked out only when some message waits, since this runs for
    /// every peer on every pass of the I/O loop.
    fn resend_at(&self) -> Option<Timestamp> {
        self.streams.awaiting_ack().then(|| self.streams.poll_timeout(self.rto())).flatten()
    }

    pub fn flush(&mut self) {
        if let Link::V1 { sender, .. } = &mut self.link {
            sender.flush();
        }
    }

    /// Moves what the sender and receiver produced into the endpoint's queues.
    pub fn drain(
        &mut self,
        address: SocketAddr,
        now: Timestamp,
        outgoing: &mut Outgoing,
        delivered: &mut VecDeque<(SocketAddr, Delivery)>,
    ) {
        // Deliveries first: taking a reliable stream's arrival queues its acknowledgement.
        while let Some(delivery) = self.poll_delivery() {
            delivered.push_back((address, delivery));
        }
        while let Some((space, transmit)) = self.poll_transmit() {
            self.liveness.sent(now);
            let transmit = match &mut self.secure {
                Some(link) => match link.outbound(space, transmit.datagram) {
                    Some(sealed) => Transmit { reorderable: transmit.reorderable, ..sealed },
                    None => continue,
                },
                None => transmit,
            };
            self.counted.datagrams_sent += 1;
            self.counted.bytes_sent += transmit.datagram.len() as u64;
            outgoing.push(address, transmit);
        }
    }

    /// The next datagram of either half, with the half it came from (its packet number space).
    fn poll_transmit(&mut self) -> Option<(Space, Transmit)> {
        match &mut self.link {
            Link::V1 { sender, receiver } => {
                sender.poll_transmit().map(|t| (Space::Sender, t)).or_else(|| receiver.poll_transmit().map(|t| (Space::Receiver, t)))
            }
            Link::Seed { sender, .. } => sender.poll_transmit().map(|t| (Space::Sender, t)),
        }
    }

    fn poll_delivery(&mut self) -> Option<Delivery> {
        loop {
            if let Some(ready) = self.streams.pop_ready() {
                return Some(ready);
            }
            let delivery = match &mut self.link {
                Link::V1 { receiver, .. } => receiver.poll_delivery()?,
                Link::Seed { receiver, .. } => return receiver.poll_delivery(),
            };
            if let Some(ack) = self.streams.receive(delivery) {
                self.outbox().send(Body::StreamAck(ack));
            }
        }
    }

    pub fn stats(&self) -> EndpointStats {
        let receive: Stats = match &self.link {
            Link::V1 { receiver, .. } => *receiver.stats(),
            Link::Seed { receiver, .. } => *receiver.stats(),
        };
        let mut stats = EndpointStats { receive, ..self.counted };
        if let Link::V1 { sender, receiver } = &self.link {
            let s = sender.stats();
            stats.repairs_sent = s.repairs;
            stats.blocks = s.blocks;
            stats.retransmitted = s.retransmitted;
            stats.retransmits_limited = s.retransmits_limited;
            stats.nacks_received = s.nacks_received;
            let r = receiver.state();
            stats.nacks_sent = r.nacks_sent;
            stats.retransmits_received = r.retransmits_received;
        }
        stats.mtu_probes_sent = self.mtu.as_ref().map_or(0, |mtu| mtu.probes_sent);
        stats.stream_malformed = self.streams.malformed;
        stats.security.held_dropped = self.secure.as_ref().map_or(0, SecureLink::dropped);
        stats
    }

    /// Counters per stream, in the stream table's order.
    pub fn stream_stats(&self) -> &[super::StreamStats] {
        self.streams.stats()
    }

    /// What this peer's sender and receiver believe about the path now.
    pub fn path(&self) -> PathState {
        let Link::V1 { sender, receiver } = &self.link else { return PathState::default() };
        let (s, r) = (sender.state(), receiver.state());
        let micros = |d: Option<std::time::Duration>| d.map_or(0, |d| d.as_micros() as u64);
        // Our own measurement when we receive; the remote's report when we only send.
        let rtt = r.rtt.or(s.rtt);
        let loss = if self.counted.sent > 0 { s.loss } else { r.loss };
        PathState {
            rtt_micros: micros(rtt),
            redundancy_ppm: (s.ratio * 1e6).round() as u64,
            block_sources: s.k as u64,
            block_time_micros: micros(Some(s.block_time)),
            loss_ppm: (loss * 1e6).round() as u64,
            mtu: self.mtu.as_ref().map_or(0, |mtu| mtu.current() as u64),
        }
    }
}

/// How long a probe waits for its PONG: two round trips, at least the configured floor.
fn mtu_timeout(rtt: Duration, mtu: &MtuProber) -> Duration {
    (2 * rtt).max(mtu.config().probe_timeout)
}
