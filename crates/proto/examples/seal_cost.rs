//! What sealing costs the sans-IO engine: the same 1,200-byte stream between two endpoints,
//! clear and with `encrypt: all`, timed side by side in one run.
//!
//!   cargo run --release -p perfect-socket-proto --example seal_cost

use std::net::SocketAddr;
use std::time::Instant;

use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamTable};
use proto::secure::{passphrase_key, EncryptMode, SecurityConfig};
use proto::stream::{ReceiverConfig, SenderConfig};
use proto::Timestamp;

const MESSAGES: usize = 200_000;

fn endpoint(security: Option<SecurityConfig>) -> Endpoint {
    Endpoint::new(EndpointConfig {
        format: Format::V1 { sender: SenderConfig::default(), receiver: ReceiverConfig::default() },
        max_peers: 4,
        pace_bits_per_second: 0,
        path: PathConfig::disabled(),
        streams: StreamTable::default(),
        security,
    })
    .expect("valid")
}

/// Seconds to carry MESSAGES payloads from a fresh sender to a fresh receiver.
fn run(security: Option<SecurityConfig>) -> f64 {
    let (a, b) = (SocketAddr::from(([10, 0, 0, 1], 1)), SocketAddr::from(([10, 0, 0, 2], 2)));
    let (mut sender, mut receiver) = (endpoint(security.clone()), endpoint(security));
    let payload = vec![0x5a; 1200];
    let now = Timestamp::ZERO;
    let start = Instant::now();
    let mut delivered = 0;
    for _ in 0..MESSAGES {
        sender.send(b, &payload, now).expect("fits");
        while let Some((_, t)) = sender.poll_transmit(now) {
            receiver.handle_datagram(a, &t.datagram, now);
        }
        while let Some((_, t)) = receiver.poll_transmit(now) {
            sender.handle_datagram(b, &t.datagram, now);
        }
        while receiver.poll_delivery().is_some() {
            delivered += 1;
        }
    }
    assert!(delivered >= MESSAGES - 64, "{delivered}");
    start.elapsed().as_secs_f64()
}

fn main() {
    let sealed = SecurityConfig { psk: Some(passphrase_key("seal cost passphrase").expect("valid")), ..SecurityConfig::new(EncryptMode::All) };
    let mut clear = Vec::new();
    let mut all = Vec::new();
    for _ in 0..3 {
        clear.push(run(None));
        all.push(run(Some(sealed.clone())));
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (c, e) = (best(&clear), best(&all));
    println!("{MESSAGES} x 1200 B through sender and receiver engines (best of 3, interleaved):");
    println!("  clear      {:.3} s  {:.2} Gbit/s  {:.0} ns/message", c, MESSAGES as f64 * 9600.0 / c / 1e9, c * 1e9 / MESSAGES as f64);
    println!("  encrypt=all {:.3} s  {:.2} Gbit/s  {:.0} ns/message", e, MESSAGES as f64 * 9600.0 / e / 1e9, e * 1e9 / MESSAGES as f64);
    println!("  sealing and opening add {:.0} ns per message: {:.1}% of the clear engine's time", (e - c) * 1e9 / MESSAGES as f64, 100.0 * (e - c) / c);
}
