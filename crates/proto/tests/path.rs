//! What the endpoint does for the path itself, on a virtual clock: keep-alives that keep a NAT
//! binding open, idle peers timed out and reported, and path MTU discovery converging on what
//! the path carries.

mod common;

use std::time::Duration;

use common::pair::{endpoint, Pair, B};
use proto::endpoint::{MtuConfig, PathConfig, PeerEvent};
use proto::Timestamp;

fn at(seconds: u64) -> Timestamp {
    Timestamp::ZERO + Duration::from_secs(seconds)
}

#[test]
fn keep_alive_keeps_the_binding_busy_while_the_stream_pauses() {
    let mut pair = Pair::new(endpoint(PathConfig::default()), endpoint(PathConfig::default()), 1500);
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
    let mut pair = Pair::new(endpoint(off), endpoint(off), 1500);
    pair.send(b"hello");
    pair.run_until(at(2));
    let paused = pair.now;
    pair.run_until(at(120));
    assert!(pair.longest_silence(paused) > Duration::from_secs(60));
}

#[test]
fn a_vanished_peer_times_out_and_is_reported() {
    let mut pair = Pair::new(endpoint(PathConfig::default()), endpoint(PathConfig::default()), 1500);
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
        let mut pair = Pair::new(endpoint(PathConfig::default()), endpoint(PathConfig::default()), path_mtu);
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
    let mut pair = Pair::new(endpoint(config), endpoint(config), 1472);
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
    let mut pair = Pair::new(endpoint(off), endpoint(off), 1372);
    pair.send(b"hello");
    pair.run_until(at(30));
    assert_eq!(pair.a.path().mtu, 0);
    assert_eq!(pair.a.stats().mtu_probes_sent, 0);
}
