//! A deterministic network simulator on a virtual clock: a seeded PRNG, i.i.d. and
//! Gilbert-Elliott burst loss, delay with jitter, duplication, and a driver that runs a
//! sender through a lossy link into a receiver, checking every delivered payload.
#![allow(dead_code, unused_imports)]

mod duplex;
mod endpoints;
mod link;
pub mod packets;
pub mod pair;
mod rng;

pub use duplex::{simulate_duplex, DuplexReport};
pub use endpoints::{SinkEnd, SourceEnd};
pub use link::{Link, LinkConfig, Loss};
pub use rng::Rng;

use std::collections::HashMap;
use std::time::Duration;

use proto::{Delivery, Timestamp};

/// The payload number `seq`: its number, then bytes derived from it, 8 to `max_len` long,
/// so any corruption or mix-up between payloads is caught.
pub fn payload(seq: u64, max_len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seq ^ 0x5EED);
    let len = 8 + rng.below((max_len - 8 + 1) as u64) as usize;
    let mut bytes = seq.to_be_bytes().to_vec();
    bytes.extend((8..len).map(|_| rng.next_u64() as u8));
    bytes
}

/// What a simulated run produced.
#[derive(Debug, Default)]
pub struct Report {
    /// Payloads the sender was given.
    pub sent: u64,
    /// Distinct payloads delivered intact.
    pub delivered: u64,
    /// Deliveries of a payload already delivered.
    pub delivered_twice: u64,
    /// Deliveries whose bytes were not the payload they claim to be.
    pub corrupt: u64,
    /// Delivery latency (arrival at the application minus `send`) of the slowest payload.
    pub worst_latency: Duration,
    /// Datagrams the link carried and dropped.
    pub link_sent: u64,
    pub link_dropped: u64,
}

impl Report {
    /// Delivered share of what was sent.
    pub fn delivered_fraction(&self) -> f64 {
        self.delivered as f64 / self.sent as f64
    }
}

/// Sends `count` payloads of up to `max_len` bytes, one every `interval`, from `source`
/// through `link` into `sink`, until nothing is left in flight. Time only moves from one
/// event to the next, so the run is exact and reproducible.
pub fn simulate(
    source: &mut impl SourceEnd,
    link: &mut Link,
    sink: &mut impl SinkEnd,
    count: u64,
    interval: Duration,
    max_len: usize,
) -> Report {
    let mut report = Report { sent: count, ..Report::default() };
    let mut sent_at: HashMap<u64, Timestamp> = HashMap::new();
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let (mut next_send, mut sent, mut flushed) = (Timestamp::ZERO, 0u64, false);
    loop {
        let pending_send = (sent < count).then_some(next_send);
        let candidates = [pending_send, source.poll_timeout(), link.next_arrival(), sink.poll_timeout()];
        let Some(now) = candidates.into_iter().flatten().min() else { break };
        if sent < count && next_send <= now {
            source.send(&payload(sent, max_len), now);
            sent_at.insert(sent, now);
            sent += 1;
            next_send = next_send + interval;
        }
        source.handle_timeout(now);
        if sent == count && !flushed {
            source.flush();
            flushed = true;
        }
        while let Some(datagram) = source.poll_transmit() {
            link.send(datagram, now);
        }
        while let Some(datagram) = link.pop_due(now) {
            sink.handle_datagram(&datagram, now);
        }
        sink.handle_timeout(now);
        while let Some(delivery) = sink.poll_delivery() {
            check(&delivery, max_len, now, &sent_at, &mut seen, &mut report);
        }
    }
    report.link_sent = link.sent;
    report.link_dropped = link.dropped;
    report
}

fn check(
    delivery: &Delivery,
    max_len: usize,
    now: Timestamp,
    sent_at: &HashMap<u64, Timestamp>,
    seen: &mut HashMap<u64, u32>,
    report: &mut Report,
) {
    let Some(seq) = delivery.payload.get(..8).map(|b| u64::from_be_bytes(b.try_into().unwrap())) else {
        report.corrupt += 1;
        return;
    };
    if sent_at.get(&seq).is_none() || payload(seq, max_len) != delivery.payload {
        report.corrupt += 1;
        return;
    }
    let times = seen.entry(seq).or_default();
    *times += 1;
    if *times == 1 {
        report.delivered += 1;
        report.worst_latency = report.worst_latency.max(now.saturating_duration_since(sent_at[&seq]));
    } else {
        report.delivered_twice += 1;
    }
}

/// The probability that a source symbol of a (k, k + m) block is lost and not recoverable,
/// with i.i.d. loss `p`: it is lost, and more than m - 1 of the other k + m - 1 are too.
pub fn residual_loss(k: usize, m: usize, p: f64) -> f64 {
    let others = k + m - 1;
    let choose = |n: usize, r: usize| (0..r).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64);
    let at_most =
        (0..m).map(|j| choose(others, j) * p.powi(j as i32) * (1.0 - p).powi((others - j) as i32)).sum::<f64>();
    p * (1.0 - at_most)
}
