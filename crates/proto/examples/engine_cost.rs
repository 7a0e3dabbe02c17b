//! What the sans-IO engine costs per message on each side, without sockets or threads: the
//! bench/socket stream (1,200-byte messages, k = 16, 25% redundancy) through a sender endpoint,
//! then its datagrams, with a share dropped at random, through a receiver endpoint. The two
//! sides are timed apart, on a virtual clock advancing 2 us per message (500,000 a second), so
//! a profile of one side is not mixed with the other and runs repeat exactly.
//!
//!   cargo run --release -p perfect-socket-proto --example engine_cost [-- LOSS_PERCENT]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, StreamTable};
use proto::stream::{ReceiverConfig, Redundancy, SenderConfig};
use proto::Timestamp;

/// The addon's allocator, so allocation costs what it costs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MESSAGES: usize = 400_000;
const SPACING_MICROS: u64 = 2;
const CHUNK: usize = 1_000;

fn endpoint() -> Endpoint {
    let sender = SenderConfig { redundancy: Redundancy::Ratio { k: 16, ratio: 0.25 }, ..SenderConfig::default() };
    Endpoint::new(EndpointConfig {
        // As the engine sets it up for a socket with the default options: unordered, NACK on.
        format: Format::V1 { sender, receiver: ReceiverConfig { ordered: false, block_deadline: Duration::from_millis(120), ..ReceiverConfig::default() } },
        max_peers: 4,
        pace_bits_per_second: 0,
        path: PathConfig::disabled(),
        streams: StreamTable::default(),
        security: None,
    })
    .expect("valid")
}

/// A deterministic coin: xorshift64.
struct Coin(u64);

impl Coin {
    fn lands(&mut self, percent: u64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % 100 < percent
    }
}

fn main() {
    let loss: u64 = std::env::args().nth(1).map_or(0, |a| a.parse().expect("LOSS_PERCENT: an integer 0 to 99"));
    let (a, b) = (SocketAddr::from(([10, 0, 0, 1], 1)), SocketAddr::from(([10, 0, 0, 2], 2)));
    let at = |i: usize| Timestamp::from_micros(1_000 + i as u64 * SPACING_MICROS);
    for round in 1..=5 {
        let (mut sender, mut receiver) = (endpoint(), endpoint());
        let payload = vec![0x5a; 1200];
        let mut coin = Coin(0x9e37_79b9_7f4a_7c15);
        let (mut sending, mut receiving) = (Duration::ZERO, Duration::ZERO);
        let (mut datagrams, mut delivered) = (0, 0);
        // In chunks, so the datagrams in flight stay few, as on a socket.
        let mut wire = Vec::with_capacity(CHUNK * 2);
        for chunk in (0..MESSAGES).step_by(CHUNK) {
            let start = Instant::now();
            for i in chunk..chunk + CHUNK {
                sender.send(b, &payload, at(i)).expect("fits");
                while let Some((_, t)) = sender.poll_transmit(at(i)) {
                    wire.push((i, t.datagram));
                }
            }
            sending += start.elapsed();
            datagrams += wire.len();
            let start = Instant::now();
            for (i, datagram) in wire.drain(..) {
                if coin.lands(loss) {
                    continue;
                }
                receiver.handle_datagram(a, &datagram, at(i));
                while receiver.poll_delivery().is_some() {
                    delivered += 1;
                }
                while receiver.poll_transmit(at(i)).is_some() {}
            }
            receiving += start.elapsed();
        }
        let per = |d: Duration| d.as_nanos() as f64 / MESSAGES as f64;
        println!(
            "round {round}: {datagrams} datagrams for {MESSAGES} messages, {loss}% dropped; sender {:.0} ns/message, receiver {:.0} ns/message ({delivered} delivered)",
            per(sending),
            per(receiving)
        );
    }
}
