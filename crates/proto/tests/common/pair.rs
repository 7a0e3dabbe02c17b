//! Two endpoints A and B on a virtual clock, joined by a path with 10 ms one-way delay, an MTU
//! (larger datagrams dropped, as don't-fragment does), optional random loss, and a B that can
//! vanish.

use std::net::SocketAddr;
use std::time::Duration;

use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamTable};
use proto::stream::{ReceiverConfig, SenderConfig};
use proto::{Delivery, Timestamp};

use super::Rng;

pub const A: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)), 5000);
pub const B: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)), 5405);

/// A v1 endpoint with default stream settings and the given path settings.
pub fn endpoint(path: PathConfig) -> Endpoint {
    Endpoint::new(EndpointConfig {
        format: Format::V1 { sender: SenderConfig::default(), receiver: ReceiverConfig::default() },
        max_peers: 16,
        pace_bits_per_second: 0,
        path,
        streams: StreamTable::default(),
        security: None,
    })
    .unwrap()
}

/// Two endpoints and the path between them: one-way delay 10 ms, datagrams above `mtu` bytes
/// dropped (what don't-fragment does), and either side can be cut off.
pub struct Pair {
    pub a: Endpoint,
    pub b: Endpoint,
    pub now: Timestamp,
    pub mtu: usize,
    pub b_alive: bool,
    /// Each datagram is lost with this probability (either way).
    pub loss: f64,
    /// A bottleneck from A to B: bits per second, served in order from a queue that holds at
    /// most 200 ms (the rest tail-dropped); `None`: no bottleneck.
    pub bottleneck: Option<u64>,
    /// When the bottleneck is free again.
    bottleneck_free: Timestamp,
    /// When A sent something to B (a NAT between them would see these).
    pub a_sent_at: Vec<Timestamp>,
    /// What each side delivered, in order.
    pub a_delivered: Vec<Delivery>,
    pub b_delivered: Vec<Delivery>,
    in_flight: Vec<(Timestamp, bool, Vec<u8>)>,
    rng: Rng,
}

impl Pair {
    pub fn new(a: Endpoint, b: Endpoint, mtu: usize) -> Self {
        Pair {
            a,
            b,
            now: Timestamp::ZERO,
            mtu,
            b_alive: true,
            loss: 0.0,
            bottleneck: None,
            bottleneck_free: Timestamp::ZERO,
            a_sent_at: Vec::new(),
            a_delivered: Vec::new(),
            b_delivered: Vec::new(),
            in_flight: Vec::new(),
            rng: Rng::new(7),
        }
    }

    /// Runs both endpoints until `until`, stepping from event to event.
    pub fn run_until(&mut self, until: Timestamp) {
        loop {
            self.exchange();
            let next = [self.a.poll_timeout(), self.b_alive.then(|| self.b.poll_timeout()).flatten()]
                .into_iter()
                .flatten()
                .chain(self.in_flight.iter().map(|(at, _, _)| *at))
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = t.max(self.now);
                    self.a.handle_timeout(self.now);
                    if self.b_alive {
                        self.b.handle_timeout(self.now);
                    }
                }
                _ => {
                    self.now = until;
                    return;
                }
            }
        }
    }

    /// Moves datagrams until nothing is due: what arrives may be answered at once.
    pub fn exchange(&mut self) {
        while self.exchange_once() {}
    }

    fn exchange_once(&mut self) -> bool {
        let delay = Duration::from_millis(10);
        while let Some((_, transmit)) = self.a.poll_transmit(self.now) {
            self.a_sent_at.push(self.now);
            if transmit.datagram.len() > self.mtu || self.rng.chance(self.loss) {
                continue;
            }
            let leaves = match self.bottleneck {
                None => self.now,
                Some(bits_per_second) => {
                    let start = self.bottleneck_free.max(self.now);
                    if start.saturating_duration_since(self.now) > Duration::from_millis(200) {
                        continue;
                    }
                    let serialise = Duration::from_secs_f64(transmit.datagram.len() as f64 * 8.0 / bits_per_second as f64);
                    self.bottleneck_free = start + serialise;
                    self.bottleneck_free
                }
            };
            self.in_flight.push((leaves + delay, true, transmit.datagram.into()));
        }
        while let Some((_, transmit)) = self.b.poll_transmit(self.now) {
            if self.b_alive && transmit.datagram.len() <= self.mtu && !self.rng.chance(self.loss) {
                self.in_flight.push((self.now + delay, false, transmit.datagram.into()));
            }
        }
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = self.in_flight.drain(..).partition(|(at, _, _)| *at <= now);
        self.in_flight = later;
        let arrived = !due.is_empty();
        for (_, to_b, datagram) in due {
            if to_b && self.b_alive {
                self.b.handle_datagram(A, &datagram, now);
            } else if !to_b {
                self.a.handle_datagram(B, &datagram, now);
            }
        }
        while let Some((_, delivery)) = self.a.poll_delivery() {
            self.a_delivered.push(delivery);
        }
        while let Some((_, delivery)) = self.b.poll_delivery() {
            self.b_delivered.push(delivery);
        }
        arrived
    }

    pub fn send(&mut self, payload: &[u8]) {
        self.a.send(B, payload, self.now).unwrap();
        self.a.flush();
        self.exchange();
    }

    /// The longest time A's side of the path went without a datagram from A, from `since`.
    pub fn longest_silence(&self, since: Timestamp) -> Duration {
        let mut times: Vec<Timestamp> = self.a_sent_at.iter().copied().filter(|t| *t >= since).collect();
        times.push(self.now);
        let mut last = since;
        times
            .iter()
            .map(|&t| std::mem::replace(&mut last, t))
            .zip(times.iter())
            .map(|(a, &b)| b.saturating_duration_since(a))
            .max()
            .unwrap()
    }
}
