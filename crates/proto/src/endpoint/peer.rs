//! One remote address: our sender towards it, our receiver from it.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::outgoing::Outgoing;
use super::{EndpointStats, Format, PathState};
use crate::error::{ConfigError, SendError};
use crate::event::{Delivery, Transmit};
use crate::seed::{SeedReceiver, SeedSender};
use crate::stats::Stats;
use crate::stream::{Receiver, Sender};
use crate::wire::v1::PacketType;
use crate::time::Timestamp;

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
}

impl Peer {
    pub fn new(format: &Format) -> Result<Self, ConfigError> {
        let link = match format {
            Format::V1 { sender, receiver } => Link::V1 { sender: Sender::new(*sender)?, receiver: Receiver::new(*receiver)? },
            Format::Seed { k, n, receiver } => {
                Link::Seed { sender: SeedSender::new(*k, *n)?, receiver: SeedReceiver::new(*receiver)?, parity: (n - k) as u64 }
            }
        };
        Ok(Peer { link, counted: EndpointStats::default() })
    }

    pub fn send(&mut self, payload: &[u8], now: Timestamp) -> Result<(), SendError> {
        let result = match &mut self.link {
            Link::V1 { sender, .. } => sender.send(payload, now),
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
            Ok(()) => self.counted.sent += 1,
            Err(_) => self.counted.refused += 1,
        }
        result
    }

    /// Hands a datagram to the half it is for: what the remote's receiver says about our
    /// stream (NACK, FEEDBACK) and its pings go to our sender, the rest to our receiver.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        match &mut self.link {
            Link::V1 { sender, receiver } => match datagram.get(1).copied().map(PacketType::try_from) {
                Some(Ok(PacketType::Nack | PacketType::Feedback | PacketType::Ping)) if self.counted.sent > 0 => {
                    sender.handle_datagram(datagram, now)
                }
                _ => receiver.handle_datagram(datagram, now),
            },
            Link::Seed { receiver, .. } => receiver.handle_datagram(datagram, now),
        }
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match &self.link {
            Link::V1 { sender, receiver } => [sender.poll_timeout(), receiver.poll_timeout()].into_iter().flatten().min(),
            Link::Seed { receiver, .. } => receiver.poll_timeout(),
        }
    }

    pub fn handle_timeout(&mut self, now: Timestamp) {
        match &mut self.link {
            Link::V1 { sender, receiver } => {
                sender.handle_timeout(now);
                receiver.handle_timeout(now);
            }
            Link::Seed { receiver, .. } => receiver.handle_timeout(now),
        }
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
        outgoing: &mut Outgoing,
        delivered: &mut VecDeque<(SocketAddr, Delivery)>,
    ) {
        while let Some(transmit) = self.poll_transmit() {
            self.counted.datagrams_sent += 1;
            self.counted.bytes_sent += transmit.datagram.len() as u64;
            outgoing.push(address, transmit);
        }
        while let Some(delivery) = self.poll_delivery() {
            delivered.push_back((address, delivery));
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        match &mut self.link {
            Link::V1 { sender, receiver } => sender.poll_transmit().or_else(|| receiver.poll_transmit()),
            Link::Seed { sender, .. } => sender.poll_transmit(),
        }
    }

    fn poll_delivery(&mut self) -> Option<Delivery> {
        match &mut self.link {
            Link::V1 { receiver, .. } => receiver.poll_delivery(),
            Link::Seed { receiver, .. } => receiver.poll_delivery(),
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
            stats.nacks_received = s.nacks_received;
            let r = receiver.state();
            stats.nacks_sent = r.nacks_sent;
            stats.retransmits_received = r.retransmits_received;
        }
        stats
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
        }
    }
}
