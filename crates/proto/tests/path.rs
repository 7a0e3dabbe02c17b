//! What the endpoint does for the path itself, on a virtual clock: keep-alives that keep a NAT
//! binding open, idle peers timed out and reported, and path MTU discovery converging on what
//! the path carries.

use std::net::SocketAddr;
use std::time::Duration;

use proto::endpoint::{Endpoint, EndpointConfig, Format, MtuConfig, PathConfig, PeerEvent};
use proto::stream::{ReceiverConfig, SenderConfig};
use proto::Timestamp;

const A: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)), 5000);
const B: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)), 5405);

fn endpoint(path: PathConfig) -> Endpoint {
    Endpoint::new(EndpointConfig {
        format: Format::V1 { sender: SenderConfig::default(), receiver: ReceiverConfig::default() },
        max_peers: 16,
        pace_bits_per_second: 0,
        path,
    })
    .unwrap()
}

/// Two endpoints and the path between them: one-way delay 10 ms, datagrams above `mtu` bytes
/// dropped (what don't-fragment does), and either side can be cut off.
struct Pair {
    a: Endpoint,
    b: Endpoint,
    now: Timestamp,
    mtu: usize,
    b_alive: bool,
    /// When A sent something to B (a NAT between them would see these).
    a_sent_at: Vec<Timestamp>,
    in_flight: Vec<(Timestamp, bool, Vec<u8>)>,
}

impl Pair {
    fn new(a: PathConfig, b: PathConfig, mtu: usize) -> Self {
        Pair { a: endpoint(a), b: endpoint(b), now: Timestamp::ZERO, mtu, b_alive: true, a_sent_at: Vec::new(), in_flight: Vec::new() }
    }

    /// Runs both endpoints until `until`, stepping from event to event.
    fn run_until(&mut self, until: Timestamp) {
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
    fn exchange(&mut self) {
        while self.exchange_once() {}
    }

    fn exchange_once(&mut self) -> bool {
        let delay = Duration::from_millis(10);
        while let Some((_, transmit)) = self.a.poll_transmit(self.now) {
            self.a_sent_at.push(self.now);
            if transmit.datagram.len() <= self.mtu {
                self.in_flight.push((self.now + delay, true, transmit.datagram));
            }
        }
        while let Some((_, transmit)) = self.b.poll_transmit(self.now) {
            if self.b_alive && transmit.datagram.len() <= self.mtu {
                self.in_flight.push((self.now + delay, false, transmit.datagram));
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
        while self.a.poll_delivery().is_some() {}
        while self.b.poll_delivery().is_some() {}
        arrived
    }

    fn send(&mut self, payload: &[u8]) {
        self.a.send(B, payload, self.now).unwrap();
        self.a.flush();
        self.exchange();
    }

    /// The longest time A's side of the path went without a datagram from A, from `since`.
    fn longest_silence(&self, since: Timestamp) -> Duration {
        let mut times: Vec<Timestamp> = self.a_sent_at.iter().copied().filter(|t| *t >= since).collect();
        times.push(self.now);
        let mut last = since;
        times.iter().map(|&t| std::mem::replace(&mut last, t)).zip(times.iter()).map(|(a, &b)| b.saturating_duration_since(a)).max().unwrap()
    }
}

fn at(seconds: u64) -> Timestamp {
    Timestamp::ZERO + Duration::from_secs(seconds)
}

#[test]
fn keep_alive_keeps_the_binding_busy_while_the_stream_pauses() {
    let mut pair = Pair::new(PathConfig::default(), PathConfig::default(), 1500);
    pair.send(b"hello");
    pair.run_until(at(2));
    let paused = pair.now;
    pair.run_until(at(300));
    // NAT bindings expire after as little as 30 s; keep-alives every 15 s stay well inside.
    let silence = pair.longest_silence(paused);
    assert!(silence <= Duration::from_secs(15), "A was silent for {silence:?}");
    assert!(pair.a.stats().keep_alives_sent >= 300 / 15 - 2, "{:?}", pair.a.stats());
    // The peer is alive and answers, so neither side times it out.
    assert_eq!(pair.a.stats().idle_timeouts, 0);
    assert_eq!(pair.a.stats().peers, 1);
    assert!(pair.a.poll_event().is_none());
}

#[test]
fn without_keep_alive_the_path_goes_quiet() {
    let off = PathConfig { keep_alive: None, idle_timeout: None, mtu: None };
    let mut pair = Pair::new(off, off, 1500);
    pair.send(b"hello");
    pair.run_until(at(2));
    let paused = pair.now;
    pair.run_until(at(120));
    assert!(pair.longest_silence(paused) > Duration::from_secs(60));
}

#[test]
fn a_vanished_peer_times_out_and_is_reported() {
    let mut pair = Pair::new(PathConfig::default(), PathConfig::default(), 1500);
    pair.send(b"hello");
    pair.run_until(at(5));
    assert_eq!(pair.a.stats().peers, 1);
    pair.b_alive = false; // B crashes: no answers to keep-alives any more.
    pair.run_until(at(50));
    assert_eq!(pair.a.stats().peers, 1, "not before the idle timeout");
    pair.run_until(at(5 + 61));
    assert_eq!(pair.a.poll_event(), Some((B, PeerEvent::TimedOut)));
    let stats = pair.a.stats();
    assert_eq!((stats.peers, stats.idle_timeouts), (0, 1));
    assert_eq!(stats.sent, 1, "the departed peer's counters are kept");
}

#[test]
fn path_mtu_discovery_converges_on_what_the_path_carries() {
    for path_mtu in [1250, 1372, 1472] {
        let mut pair = Pair::new(PathConfig::default(), PathConfig::default(), path_mtu);
        pair.send(b"hello");
        pair.run_until(at(30));
        assert_eq!(pair.a.path().mtu, path_mtu as u64, "A -> B over a {path_mtu}-byte path");
        assert_eq!(pair.b.path().mtu, path_mtu as u64, "B -> A over a {path_mtu}-byte path");
        assert!(pair.a.stats().mtu_probes_sent <= 27, "{:?}", pair.a.stats());
    }
}

#[test]
fn path_mtu_discovery_follows_a_path_that_shrinks() {
    let config = PathConfig { mtu: Some(MtuConfig { reprobe_after: Duration::from_secs(60), ..MtuConfig::default() }), ..PathConfig::default() };
    let mut pair = Pair::new(config, config, 1472);
    pair.send(b"hello");
    pair.run_until(at(30));
    assert_eq!(pair.a.path().mtu, 1472);
    pair.mtu = 1300; // Wi-Fi to mobile.
    pair.run_until(at(150));
    assert_eq!(pair.a.path().mtu, 1300);
}

#[test]
fn without_probing_nothing_is_known_and_no_probe_is_sent() {
    let off = PathConfig { mtu: None, ..PathConfig::default() };
    let mut pair = Pair::new(off, off, 1372);
    pair.send(b"hello");
    pair.run_until(at(30));
    assert_eq!(pair.a.path().mtu, 0);
    assert_eq!(pair.a.stats().mtu_probes_sent, 0);
}
