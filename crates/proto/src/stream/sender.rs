//! The stream-mode sender: sources out at once, repairs at block close, retransmissions on
//! NACK, and the block shape adapted to the receiver's reports.

use std::time::Duration;

use bytes::Bytes;

use crate::codec::Code;
use crate::error::{ConfigError, SendError};
use crate::event::Transmit;
use crate::outbox::Outbox;
use super::bandwidth_feed::BandwidthFeed;
use crate::stream::adapt::Adapter;
use crate::stream::config::SenderConfig;
use crate::stream::redundancy::{Plan, Redundancy};
use crate::stream::retransmit::{History, RetransmitBudget};
use crate::time::Timestamp;
use crate::wire::unit::MAX_UNIT_PAYLOAD;
use crate::wire::v1::{Body, Echo, Feedback, Nack, Packet, Repair, DATA_UNIT_AT};

/// Each retransmission goes out this many times, byte for byte: it is the last chance of a
/// source FEC could not rebuild, usually with no time for another round trip, and it is rare.
const RETRANSMIT_COPIES: usize = 2;

/// What a sender has emitted and heard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// Payloads accepted by `send`, each one DATA packet.
    pub sent: u64,
    /// REPAIR packets emitted.
    pub repairs: u64,
    /// Blocks closed.
    pub blocks: u64,
    /// Blocks closed by the time bound before reaching k sources.
    pub short_blocks: u64,
    /// Bytes in all datagrams emitted, headers included.
    pub bytes: u64,
    /// Sources sent again on a NACK, byte for byte (each as two identical datagrams).
    pub retransmitted: u64,
    /// NACK packets received.
    pub nacks_received: u64,
    /// Sources a NACK asked for that were too old to make their deadline (or just resent).
    pub retransmits_refused: u64,
    /// Sources a NACK asked for beyond the retransmission budget (half the bytes sent
    /// originally): a NACK storm, or NACKs forged with the peer's address.
    pub retransmits_limited: u64,
    /// Bytes of retransmitted datagrams.
    pub retransmitted_bytes: u64,
    /// Receiver reports received.
    pub feedback_received: u64,
    /// Control packets for this connection that did not parse, or were for another one.
    pub control_malformed: u64,
}

/// The sender's current shape and what it believes about the path.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SenderState {
    /// Repair symbols per source for full blocks.
    pub ratio: f64,
    /// Sources per full block.
    pub k: usize,
    /// How long a block stays open at most.
    pub block_time: Duration,
    /// Loss rate the receiver's reports show, before repair (0..1).
    pub loss: f64,
    /// Mean loss burst length, in packets.
    pub burst: f64,
    /// The receiver's smoothed round-trip time, once reported.
    pub rtt: Option<Duration>,
}

/// The block being filled.
struct OpenBlock {
    opened_at: Timestamp,
    /// Each source's unit: a view into its DATA datagram as queued, so it is not copied.
    units: Vec<Bytes>,
}

/// Turns payloads into DATA packets immediately and REPAIR packets at each block's close.
///
/// Drive it with [`send`](Self::send), hand it the control packets that come back
/// ([`handle_datagram`](Self::handle_datagram): NACK, FEEDBACK, PING), drain
/// [`poll_transmit`](Self::poll_transmit) after every call, and call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout) so a
/// block closes at its time bound.
pub struct Sender {
    config: SenderConfig,
    plan: Plan,
    /// The configured k: the largest block adaptation may choose.
    max_k: usize,
    block_time: Duration,
    next_block: u32,
    open: Option<OpenBlock>,
    outbox: Outbox,
    history: Option<History>,
    /// What NACKs may make us send again.
    budget: RetransmitBudget,
    adapter: Option<Adapter>,
    /// Sources sent as of the last receiver report.
    reported_sent: Option<u64>,
    bandwidth: Option<BandwidthFeed>,
    stats: SenderStats,
}

impl Sender {
    /// A sender for `config`, or the field that is out of range.
    pub fn new(config: SenderConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let plan = Plan::new(config.redundancy)?;
        Ok(Sender {
            max_k: plan.k(),
            plan,
            block_time: config.block_time,
            next_block: config.first_block,
            open: None,
            outbox: Outbox::new(config.connection_id),
            history: config.nack.then(|| History::new(config.history_bytes)),
            budget: RetransmitBudget::new(),
            adapter: config.adapt.map(Adapter::new),
            reported_sent: None,
            bandwidth: config.bandwidth.map(BandwidthFeed::new),
            stats: SenderStats::default(),
            config,
        })
    }

    /// Queues `payload` as the next source symbol and its DATA packet at once. Closes an
    /// overdue block first, and the current one if this fills it.
    pub fn send(&mut self, payload: &[u8], now: Timestamp) -> Result<(), SendError> {
        self.send_parts(&[payload], now)
    }

    /// As [`Self::send`], with the payload in pieces that are joined as they are copied into
    /// the source symbol (the endpoint's stream header, then the application's bytes).
    pub fn send_parts(&mut self, parts: &[&[u8]], now: Timestamp) -> Result<(), SendError> {
        let got: usize = parts.iter().map(|part| part.len()).sum();
        let max = self.config.max_payload.min(MAX_UNIT_PAYLOAD);
        if got > max {
            return Err(SendError::TooLarge { got, max: self.config.max_payload });
        }
        self.handle_timeout(now);
        let block = self.open.get_or_insert_with(|| OpenBlock { opened_at: now, units: Vec::new() });
        let index = block.units.len();
        // The send time travels truncated to 32 bits; the receiver unwraps it.
        let queued = self
            .outbox
            .queue_data(self.next_block, index as u8, parts, now.as_micros() as u32)
            .expect("payload length checked against the unit's bound");
        block.units.push(queued.slice(DATA_UNIT_AT..));
        if let Some(history) = &mut self.history {
            history.keep(self.next_block.wrapping_add(index as u32), now, queued.clone());
        }
        let full = block.units.len() >= self.plan.k();
        self.stats.sent += 1;
        if full {
            self.close_block();
        }
        Ok(())
    }

    /// Takes a datagram the receiver sent back: a NACK is answered with retransmissions, a
    /// FEEDBACK adapts the block shape, a PING is answered with a PONG. Anything else, or a
    /// packet for another connection, is counted and dropped.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        let packet = match Packet::parse(datagram) {
            Ok(packet) if packet.header.connection_id == self.config.connection_id => packet,
            _ => {
                self.stats.control_malformed += 1;
                return;
            }
        };
        match packet.body {
            Body::Nack(nack) => self.retransmit(&nack, now),
            Body::Feedback(feedback) => self.adapt(feedback, now),
            Body::Ping(echo) => self.outbox.send(Body::Pong(Echo { token: echo.token })),
            _ => self.stats.control_malformed += 1,
        }
    }

    /// The path's estimated bandwidth, bits per second, if estimating.
    pub fn bandwidth_estimate(&self) -> Option<u64> {
        self.bandwidth.as_ref().map(BandwidthFeed::estimate_bps)
    }

    /// The smoothed bandwidth estimate, when it moved enough to tell the application.
    pub fn poll_bandwidth_change(&mut self) -> Option<u64> {
        self.bandwidth.as_mut()?.poll_change()
    }

    /// The largest payload [`Self::send`] accepts.
    pub fn max_payload(&self) -> usize {
        self.config.max_payload
    }

    /// Where the endpoint queues its own packets to this peer (keep-alives, MTU probes), so they
    /// are numbered in the connection's one packet-number space.
    pub(crate) fn outbox(&mut self) -> &mut Outbox {
        &mut self.outbox
    }

    /// The next datagram to send, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop()
    }

    /// When the open block reaches its time bound, if a block is open.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.open.as_ref().map(|block| block.opened_at + self.block_time)
    }

    /// Closes the open block if its time bound is at or before `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.poll_timeout().is_some_and(|deadline| deadline <= now) {
            self.close_block();
        }
        if let Some(history) = &mut self.history {
            history.expire(now, self.config.latency);
        }
    }

    /// Closes the open block now, whatever its size: at the end of a stream, or before a
    /// pause the caller knows about.
    pub fn flush(&mut self) {
        self.close_block();
    }

    /// Counters.
    pub fn stats(&self) -> SenderStats {
        SenderStats { bytes: self.outbox.bytes, ..self.stats }
    }

    /// The current block shape and path estimates.
    pub fn state(&self) -> SenderState {
        let (loss, burst, rtt) = self.adapter.as_ref().map_or((0.0, 1.0, None), Adapter::estimates);
        SenderState { ratio: self.plan.ratio(), k: self.plan.k(), block_time: self.block_time, loss, burst, rtt }
    }

    /// Resends, byte for byte, the sources a NACK names that can still make their deadline.
    fn retransmit(&mut self, nack: &Nack, now: Timestamp) {
        self.stats.nacks_received += 1;
        let Some(history) = &mut self.history else { return };
        // A NACK repeated within half a round trip is the same loss asked for twice.
        let spacing = self.adapter.as_ref().and_then(|a| a.estimates().2).map_or(Duration::from_millis(5), |rtt| rtt / 2);
        for range in &nack.ranges {
            for offset in 0..range.count {
                let seq = range.block.wrapping_add(u32::from(range.first) + u32::from(offset));
                match history.resend(seq, now, self.config.latency, spacing) {
                    Some(datagram) => {
                        let cost = RETRANSMIT_COPIES * datagram.len();
                        let original = self.outbox.bytes - self.stats.retransmitted_bytes;
                        if !self.budget.spend(cost, original) {
                            self.stats.retransmits_limited += 1;
                            continue;
                        }
                        for _ in 0..RETRANSMIT_COPIES {
                            self.outbox.queue_verbatim(datagram.clone());
                        }
                        self.stats.retransmitted += 1;
                        self.stats.retransmitted_bytes += cost as u64;
                    }
                    None => self.stats.retransmits_refused += 1,
                }
            }
        }
    }

    /// Folds a receiver report into the estimates and re-plans the blocks to come.
    fn adapt(&mut self, feedback: Feedback, now: Timestamp) {
        self.stats.feedback_received += 1;
        if let Some(bandwidth) = &mut self.bandwidth {
            bandwidth.report(&feedback, self.outbox.packets(), self.outbox.bytes, now);
        }
        let Some(adapter) = &mut self.adapter else { return };
        let idle = self.reported_sent == Some(self.stats.sent);
        self.reported_sent = Some(self.stats.sent);
        if idle {
            // Nothing sent since the last report: the stream paused or ended, and its blocks
            // should stay as they were rather than shrink with a rate falling to zero.
            return;
        }
        adapter.report(feedback, self.stats.sent, now);
        let Some(setting) = adapter.setting(self.config.latency, self.max_k, self.config.nack) else { return };
        if let Ok(plan) = Plan::new(Redundancy::Fixed { k: setting.k, n: setting.k + setting.m }) {
            self.plan = plan;
            self.block_time = setting.block_time;
        }
    }

    /// Emits the open block's repair symbols and starts numbering the next block.
    fn close_block(&mut self) {
        let Some(block) = self.open.take() else { return };
        let k = block.units.len();
        let m = repairs_for_code(self.config.code, k, self.plan.repairs_for(k));
        let symbol_len = block.units.iter().map(Bytes::len).max().unwrap_or(0);
        let units: Vec<&[u8]> = block.units.iter().map(|unit| &unit[..]).collect();
        let (id, code) = (self.next_block, self.config.code);
        let bodies = (k..k + m).map(|index| {
            Body::Repair(Repair { block: id, index: index as u8, k: k as u8, m: m as u8, code, symbol: &[] })
        });
        for datagram in self.outbox.encode_parity(Code::for_block(code, id), &units, symbol_len, bodies) {
            self.outbox.queue_repair(datagram);
        }
        self.stats.repairs += m as u64;
        self.stats.blocks += 1;
        self.stats.short_blocks += u64::from(k < self.plan.k());
        // The next block is numbered by its first source: block id + index numbers every source.
        self.next_block = self.next_block.wrapping_add(k as u32);
    }
}

/// Mirrored LT's repairs come in complementary pairs (seed 001): an odd count would leave the
/// last one without its mirror, covering about half the block, so LT rounds up to even (within
/// GF(2^8)'s 256 symbols). The other codes take the plan's count as it is.
fn repairs_for_code(code: fec::CodeKind, k: usize, m: usize) -> usize {
    match code {
        fec::CodeKind::MirroredLt if m % 2 == 1 && k + m < fec::MAX_SHARDS => m + 1,
        _ => m,
    }
}
