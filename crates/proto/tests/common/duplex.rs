//! A stream sender and receiver joined by a lossy path in both directions, so the receiver's
//! NACKs, pings and reports reach the sender and its retransmissions come back: the FEC + NACK
//! hybrid on a virtual clock.

use std::collections::HashMap;
use std::time::Duration;

use proto::stream::{Receiver, Sender};
use proto::wire::v1::{Body, Packet};
use proto::Timestamp;

use super::Link;

/// Payload `seq`: exactly `len` bytes (at least 8), the number first, then bytes derived from
/// it, like the fixed-size datagrams of an MPEG-TS stream.
pub fn fixed_payload(seq: u64, len: usize) -> Vec<u8> {
    let mut bytes = seq.to_be_bytes().to_vec();
    bytes.extend((8..len).map(|i| (seq as usize).wrapping_mul(31).wrapping_add(i) as u8));
    bytes
}

/// What a duplex run saw.
#[derive(Debug, Default)]
pub struct DuplexReport {
    pub sent: u64,
    pub delivered: u64,
    /// Deliveries that were not byte-identical to a payload sent, or came twice.
    pub wrong: u64,
    /// Deliveries later than their deadline (send time + path delay + budget).
    pub past_deadline: u64,
    /// Payload bytes sent, and bytes that crossed the path both ways (headers included).
    pub payload_bytes: u64,
    pub wire_bytes: u64,
    /// Send-to-delivery times of every delivery, sorted.
    pub latencies: Vec<Duration>,
}

impl DuplexReport {
    pub fn delivered_fraction(&self) -> f64 {
        self.delivered as f64 / self.sent as f64
    }

    pub fn overhead(&self) -> f64 {
        self.wire_bytes as f64 / self.payload_bytes as f64
    }

    pub fn percentile(&self, p: f64) -> Duration {
        self.latencies[((self.latencies.len() - 1) as f64 * p).round() as usize]
    }
}

/// Sends `count` payloads of `len` bytes every `interval` through `forward`, with
/// the receiver's control packets going back through `back`; `budget` and `delay` (the
/// forward path's fixed delay) give each payload's deadline.
#[allow(clippy::too_many_arguments)]
pub fn simulate_duplex(
    tx: &mut Sender,
    forward: &mut Link,
    back: &mut Link,
    rx: &mut Receiver,
    count: u64,
    interval: Duration,
    len: usize,
    budget: Duration,
    delay: Duration,
) -> DuplexReport {
    let mut report = DuplexReport { sent: count, ..DuplexReport::default() };
    let mut sent_at: HashMap<u64, Timestamp> = HashMap::new();
    let mut delivered = std::collections::HashSet::new();
    let (mut next_send, mut sent) = (Timestamp::ZERO, 0u64);
    let end = Timestamp::ZERO + interval * count as u32 + budget * 3;
    loop {
        let pending = (sent < count).then_some(next_send);
        let candidates =
            [pending, tx.poll_timeout(), rx.poll_timeout(), forward.next_arrival(), back.next_arrival()];
        let Some(now) = candidates.into_iter().flatten().min() else { break };
        if now > end {
            break;
        }
        if sent < count && next_send <= now {
            let bytes = fixed_payload(sent, len);
            report.payload_bytes += bytes.len() as u64;
            tx.send(&bytes, now).unwrap();
            sent_at.insert(sent, now);
            sent += 1;
            next_send = next_send + interval;
        }
        tx.handle_timeout(now);
        if sent == count {
            tx.flush();
        }
        while let Some(t) = tx.poll_transmit() {
            report.wire_bytes += t.datagram.len() as u64;
            forward.send(t.datagram.into(), now);
        }
        while let Some(datagram) = forward.pop_due(now) {
            rx.handle_datagram(&datagram, now);
        }
        if rx.poll_timeout().is_some_and(|t| t <= now) {
            rx.handle_timeout(now);
        }
        while let Some(t) = rx.poll_transmit() {
            report.wire_bytes += t.datagram.len() as u64;
            back.send(t.datagram.into(), now);
        }
        while let Some(datagram) = back.pop_due(now) {
            assert!(Packet::parse(&datagram).is_ok_and(|p| !matches!(p.body, Body::Data(_) | Body::Repair(_))));
            tx.handle_datagram(&datagram, now);
        }
        while let Some(delivery) = rx.poll_delivery() {
            let seq = u64::from_be_bytes(delivery.payload[..8].try_into().unwrap());
            let Some(&at) = sent_at.get(&seq) else {
                report.wrong += 1;
                continue;
            };
            if fixed_payload(seq, len) != delivery.payload || !delivered.insert(seq) {
                report.wrong += 1;
                continue;
            }
            report.delivered += 1;
            report.past_deadline += u64::from(now > at + delay + budget);
            report.latencies.push(now.saturating_duration_since(at));
        }
        // Stop once everything is sent and the stream has settled.
        if sent == count && rx.poll_delivery().is_none() && now > Timestamp::ZERO + interval * count as u32 + budget * 2 {
            break;
        }
    }
    report.latencies.sort();
    report
}
