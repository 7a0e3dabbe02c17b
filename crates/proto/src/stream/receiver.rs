//! The stream-mode receiver: rebuilds missing sources, asks for what FEC cannot rebuild, and
//! releases payloads in the sender's order within the latency budget (or, unordered, as they
//! come). It also pings the sender for the round-trip time and reports what the path loses.

use std::mem::size_of;
use std::time::Duration;

use bytes::Bytes;

use crate::block::Block;
use crate::codec::Code;
use crate::error::ConfigError;
use crate::event::Delivery;
use crate::inbox::{Inbox, Verdict};
use crate::outbox::Outbox;
use crate::stream::config::ReceiverConfig;
use crate::stream::loss_meter::LossMeter;
use crate::stream::nack::Nacker;
use crate::stream::order::{Order, Place};
use crate::stream::rtt::{Pings, Rtt};
use crate::stream::timebase::TimeBase;
use crate::time::Timestamp;
use crate::event::Transmit;
use crate::window::{Dropped, Held, Limits, Lookup, Window};
use crate::wire::unit::{Unit, UNIT_PREFIX};
use crate::wire::v1::{Body, Echo, Feedback, Nack, Repair, MAX_NACK_RANGES};

/// How often the receiver pings the sender while the stream flows.
const PING_INTERVAL: Duration = Duration::from_millis(100);
/// How often it reports: often while the path loses packets, so the sender adapts quickly,
/// and seldom while it is clean, where a report changes nothing and only costs bandwidth.
const FEEDBACK_INTERVAL: Duration = Duration::from_millis(50);
const CLEAN_FEEDBACK_INTERVAL: Duration = Duration::from_millis(250);
/// Pings and reports stop after this long without a packet: the stream is over or paused.
const QUIET_AFTER: Duration = Duration::from_secs(2);
/// Each NACK goes out this many times: a NACK comes only after FEC has failed, when the budget
/// leaves room for about one round trip, so losing the one NACK usually loses the data; a
/// copy costs a few bytes, rarely.
const NACK_COPIES: usize = 2;
/// Missing sources tracked for NACK at most.
const NACK_CAPACITY: usize = 2048;

/// What the receiver currently believes about the path.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReceiverState {
    /// Smoothed round-trip time to the sender, once measured.
    pub rtt: Option<Duration>,
    /// Loss before repair, 0..1, since the stream began.
    pub loss: f64,
    /// NACK packets sent.
    pub nacks_sent: u64,
    /// Sources that arrived after being NACKed.
    pub retransmits_received: u64,
}

/// Reassembles a v1 stream: each source payload is delivered at most once, and never after
/// its block's deadline (the latency budget, [`ReceiverConfig::block_deadline`]).
///
/// Ordered (the default), payloads come out in the order they were sent: a payload is
/// released the moment it arrives or is rebuilt if nothing before it is missing, so a stream
/// without loss waits for nothing; otherwise it is held until the gap is filled by FEC, or
/// the gap's block can no longer be completed (it expired or was evicted), or the held
/// payload's own deadline comes, and then the gap is passed over and counted `lost`.
/// Unordered, each payload is delivered the moment it arrives or is rebuilt.
///
/// Untrusted input is counted and dropped, and memory stays bounded by
/// [`ReceiverConfig::max_blocks`] and [`ReceiverConfig::max_buffered_bytes`] (held payloads
/// included).
pub struct Receiver {
    config: ReceiverConfig,
    window: Window<Slot>,
    inbox: Inbox,
    order: Order,
    /// Blocks that left the window unfinished and whose sources the order must pass over:
    /// (block id, sources known).
    departed: Vec<(u32, usize)>,
    scratch: Vec<u8>,
    time_base: TimeBase,
    nacker: Nacker,
    rtt: Rtt,
    pings: Pings,
    meter: LossMeter,
    /// NACK, PING and FEEDBACK for the sender, on its connection id.
    control: Outbox,
    /// When the last packet of the stream arrived, and when to ping and report next.
    heard: Option<Timestamp>,
    next_ping: Timestamp,
    next_feedback: Timestamp,
    /// `missing` as of the last report.
    reported_missing: u32,
}

/// A block in flight.
struct Slot {
    id: u32,
    fec: Block,
}

impl Held for Slot {
    fn bytes(&self) -> usize {
        self.fec.bytes() + size_of::<Slot>() - size_of::<Block>()
    }

    fn lost(&self) -> u64 {
        self.fec.lost()
    }
}

/// A stream symbol, as it came in.
enum Symbol<'a> {
    Source { index: u8, unit: Unit<'a> },
    Repair(Repair<'a>),
}

impl Receiver {
    /// A receiver for `config`, or the field that is out of range.
    pub fn new(config: ReceiverConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let limits = Limits {
            blocks: config.max_blocks,
            bytes: config.max_buffered_bytes,
            // Payloads have deadlines of their own; a block outlives its first one so that
            // the sources sent later in a long block can still be rebuilt or resent.
            lifetime: Some(config.block_deadline * 2),
        };
        // As many sources as the window can hold blocks of: no honest stream reorders more.
        let horizon = (config.max_blocks as u64).saturating_mul(fec::MAX_SHARDS as u64).min(1 << 30);
        Ok(Receiver {
            window: Window::new(limits),
            inbox: Inbox::default(),
            order: Order::new(horizon),
            departed: Vec::new(),
            scratch: Vec::new(),
            time_base: TimeBase::default(),
            nacker: Nacker::new(NACK_CAPACITY),
            rtt: Rtt::default(),
            pings: Pings::default(),
            meter: LossMeter::default(),
            control: Outbox::new(config.connection_id.unwrap_or(0)),
            heard: None,
            next_ping: Timestamp::ZERO,
            next_feedback: Timestamp::ZERO,
            reported_missing: 0,
            config,
        })
    }

    /// Takes one datagram as it came off the network, at `now`.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        self.handle_timeout(now);
        let Some(packet) = self.inbox.admit_v1(datagram, self.config.connection_id) else { return };
        let (id, symbol) = match packet.body {
            Body::Data(data) => (data.block, Symbol::Source { index: data.index, unit: data.unit }),
            Body::Repair(repair) => (repair.block, Symbol::Repair(repair)),
            Body::Pong(echo) => {
                self.meter.arrived(packet.header.packet_number);
                match self.pings.answer(echo.token, now.as_micros()) {
                    Some(sample) => {
                        self.rtt.sample(sample);
                        self.inbox.stats.accepted += 1;
                    }
                    None => self.inbox.stats.ignored += 1,
                }
                return;
            }
            _ => {
                self.inbox.stats.ignored += 1;
                return;
            }
        };
        if self.heard.is_none() {
            self.control.set_connection_id(packet.header.connection_id);
        }
        self.heard = Some(now);
        self.meter.arrived(packet.header.packet_number);
        if self.config.ordered && !self.placed(id, &symbol, now) {
            return;
        }
        self.on_symbol(id, symbol, now);
        self.tidy();
        if let Some(next) = self.order.next().filter(|_| self.config.ordered) {
            self.nacker.forget_before(self.nacker.unwrap(next as u32));
        }
    }

    /// Where the endpoint queues its own packets to this peer (keep-alives, MTU probes).
    pub(crate) fn outbox(&mut self) -> &mut Outbox {
        &mut self.control
    }

    /// The next control packet for the sender (NACK, PING, FEEDBACK).
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.control.pop()
    }

    /// Round-trip time, loss and NACK counters.
    pub fn state(&self) -> ReceiverState {
        ReceiverState {
            rtt: self.rtt.smoothed(),
            loss: self.meter.rate(),
            nacks_sent: self.nacker.nacks_sent,
            retransmits_received: self.nacker.retransmits_received,
        }
    }

    /// The next payload handed to the application: in the sender's order unless
    /// [`ReceiverConfig::ordered`] is off.
    pub fn poll_delivery(&mut self) -> Option<Delivery> {
        self.inbox.pop()
    }

    /// The earliest deadline among the blocks in flight and the payloads held, the next NACK,
    /// ping or report, if any.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let nack = self.nacker.next_due().filter(|_| self.config.nack);
        let chatter = self.talking().then(|| self.next_ping.min(self.next_feedback));
        [self.window.next_deadline(), self.order.next_deadline(), nack, chatter].into_iter().flatten().min()
    }

    /// Drops the blocks whose deadline is at or before `now`, counting what they lose,
    /// releases the payloads held until then, and sends the NACKs, ping and report due.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.window.expire(now, &mut departures(&mut self.inbox, &mut self.departed, self.config.ordered));
        self.tidy();
        self.order.expire(now, &mut self.inbox);
        if self.config.nack {
            let ranges = self.nacker.poll(now, &self.rtt, self.config.block_deadline);
            for ranges in ranges.chunks(MAX_NACK_RANGES) {
                for _ in 0..NACK_COPIES {
                    self.control.send(Body::Nack(Nack { ranges: ranges.to_vec() }));
                }
            }
        }
        if !self.talking() {
            return;
        }
        if self.next_ping <= now {
            let token = self.pings.send(now.as_micros());
            self.control.send(Body::Ping(Echo { token }));
            self.next_ping = now + PING_INTERVAL;
        }
        if self.next_feedback <= now {
            let report = self.report();
            let lossy = report.missing != self.reported_missing;
            self.reported_missing = report.missing;
            self.control.send(Body::Feedback(report));
            self.next_feedback = now + if lossy { FEEDBACK_INTERVAL } else { CLEAN_FEEDBACK_INTERVAL };
        }
    }

    /// Counters.
    pub fn stats(&self) -> &crate::Stats {
        &self.inbox.stats
    }

    /// Whether the stream is still flowing when the next ping or report is due: they go out
    /// only then.
    fn talking(&self) -> bool {
        self.heard.is_some_and(|heard| heard + QUIET_AFTER > self.next_ping.min(self.next_feedback))
    }

    /// The cumulative counters the sender adapts to (wrapping to 32 bits on the wire).
    fn report(&self) -> Feedback {
        let stats = &self.inbox.stats;
        Feedback {
            // Wire values are the low 32 bits.
            highest_seq: self.nacker.highest().map_or(0, |seq| seq as u32),
            received: self.meter.received as u32,
            missing: self.meter.missing as u32,
            bursts: self.meter.bursts as u32,
            recovered: stats.recovered as u32,
            lost: stats.lost as u32,
            rtt_micros: self.rtt.smoothed().map_or(0, |rtt| u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX).max(1)),
        }
    }

    /// Bytes currently held: blocks in flight (symbols and bookkeeping) and payloads waiting
    /// for their turn.
    pub fn buffered_bytes(&self) -> usize {
        self.window.held() + self.order.bytes()
    }

    /// Blocks currently held.
    pub fn blocks_in_flight(&self) -> usize {
        self.window.len()
    }

    /// Whether a symbol of block `id` can still matter to the order. A symbol for a block
    /// in flight or recently gone goes on (the window judges it), except a DATA whose place
    /// was already passed over; one that would open a block the order has moved past, or one
    /// past the horizon, is counted `late` and dropped, unless the stream has been quiet for
    /// a whole budget: then the order starts again at its block (a restarted sender).
    fn placed(&mut self, id: u32, symbol: &Symbol<'_>, now: Timestamp) -> bool {
        let span = match symbol {
            Symbol::Source { index, .. } => u64::from(*index) + 1,
            Symbol::Repair(repair) => u64::from(repair.k),
        };
        let place = self.order.place(id, span, now);
        let late = match (self.window.lookup(id), symbol) {
            (Lookup::Gone, _) => return true,
            (Lookup::Live(slot), Symbol::Source { index, .. }) if place == Place::Behind => {
                slot.fec.symbol(*index).is_none()
            }
            (Lookup::Live(_), _) => return true,
            (Lookup::Unknown, _) if place == Place::Ahead => return true,
            (Lookup::Unknown, _) if self.order.quiet(now, self.config.block_deadline) => {
                self.order.restart(id, now, &mut self.inbox);
                // A restarted sender restarted its clock too.
                self.time_base = TimeBase::default();
                return true;
            }
            (Lookup::Unknown, _) => true,
        };
        if late {
            self.inbox.stats.late += 1;
        } else {
            self.inbox.tally(Verdict::Duplicate);
        }
        false
    }

    /// Files a symbol into its block, hands on the payloads it brings (a DATA's own, and any
    /// it makes rebuildable) and retires a finished block.
    fn on_symbol(&mut self, id: u32, symbol: Symbol<'_>, now: Timestamp) {
        let make = || Slot { id, fec: Block::default() };
        let entry =
            self.window.entry(id, now, make, &mut departures(&mut self.inbox, &mut self.departed, self.config.ordered));
        let slot = match entry {
            Ok(slot) => slot,
            Err(gone) => return self.inbox.gone(gone),
        };
        let verdict = match &symbol {
            Symbol::Source { index, unit } => slot.fec.add_source(*index, unit.as_bytes()),
            Symbol::Repair(repair) => {
                let code = Code::for_block(repair.code, id);
                match slot.fec.declare(repair.k, repair.m, repair.symbol.len(), code) {
                    Verdict::Accepted => slot.fec.add_repair(repair.index, repair.symbol),
                    refused => refused,
                }
            }
        };
        if !self.inbox.tally(verdict) {
            return;
        }
        self.order.progress(now);
        // FEC gets the first chance at a missing source; until its block is known closed, a
        // NACK waits at most this long.
        let hold = self.config.block_deadline / 2;
        match &symbol {
            Symbol::Source { index, .. } => self.nacker.arrived(id, *index, now, hold),
            Symbol::Repair(repair) => self.nacker.repaired(id, repair.k, now, hold),
        }
        let mut out = Outlet {
            ordered: self.config.ordered.then(|| self.order.unwrap(id)),
            order: &mut self.order,
            inbox: &mut self.inbox,
            block: id,
            now,
            latency: self.config.block_deadline,
        };
        if let Symbol::Source { index, unit } = symbol {
            let sent = self.time_base.observe(unit.sent_at(), now);
            out.hand(index, payload_of(&slot.fec, index, &unit), false, self.time_base.local(sent));
        }
        for index in slot.fec.recover(&mut self.scratch) {
            self.nacker.recovered(id.wrapping_add(u32::from(index)));
            match slot.fec.symbol(index).map(Unit::parse) {
                Some(Ok(unit)) => {
                    let sent = self.time_base.unwrap(unit.sent_at());
                    out.hand(index, payload_of(&slot.fec, index, &unit), true, self.time_base.local(sent));
                }
                // Symbols that decode to a bad unit were forged or corrupted: nothing to deliver.
                _ => out.inbox.stats.corrupt += 1,
            }
        }
        if slot.fec.complete() {
            self.window.finish(id);
        } else {
            self.window.settle(id, &mut departures(&mut self.inbox, &mut self.departed, self.config.ordered));
        }
    }

    /// Passes the order over the blocks that left unfinished, then releases held payloads
    /// until blocks and payloads together fit the byte budget.
    fn tidy(&mut self) {
        for (id, sources) in self.departed.drain(..) {
            let end = self.order.unwrap(id) + sources as u64;
            self.order.release_through(end, &mut self.inbox);
        }
        let room = self.config.max_buffered_bytes.saturating_sub(self.window.held());
        self.order.shed(room, &mut self.inbox);
    }
}

/// Where the payloads of one block go: to the order, or straight to the application; never
/// anywhere after their deadline.
struct Outlet<'a> {
    /// The block's first sequence number, unwrapped, when ordered.
    ordered: Option<u64>,
    order: &'a mut Order,
    inbox: &'a mut Inbox,
    block: u32,
    now: Timestamp,
    latency: Duration,
}

impl Outlet<'_> {
    /// Hands on a payload sent at `sent` (local time, path delay included).
    fn hand(&mut self, index: u8, payload: Bytes, recovered: bool, sent: Timestamp) {
        let deadline = sent + self.latency;
        let delivery = if deadline < self.now {
            self.inbox.stats.overdue += 1;
            None
        } else {
            Some(Delivery { payload, block: self.block, index, recovered, stream: 0 })
        };
        match (self.ordered, delivery) {
            (Some(first), delivery) => {
                let deadline = deadline.max(self.now);
                self.order.offer(first + u64::from(index), delivery, deadline, self.inbox)
            }
            (None, Some(delivery)) => self.inbox.deliver(delivery),
            (None, None) => {}
        }
    }
}

/// The payload of `unit`, held in `block` as symbol `index`: a view of the stored symbol, so
/// delivering it copies nothing.
fn payload_of(block: &Block, index: u8, unit: &Unit<'_>) -> Bytes {
    let stored = block.shared_symbol(index).expect("a source handed on is held by its block");
    stored.slice(UNIT_PREFIX..UNIT_PREFIX + unit.payload().len())
}

/// What to do with a block leaving the window unfinished: count it, and when ordered, note
/// it so the order passes over its missing sources (which the order then counts as lost).
fn departures<'a>(
    inbox: &'a mut Inbox,
    departed: &'a mut Vec<(u32, usize)>,
    ordered: bool,
) -> impl FnMut(Slot, Dropped) + 'a {
    move |slot, why| {
        if ordered {
            inbox.dropped(why, 0);
            departed.push((slot.id, slot.fec.known_sources()));
        } else {
            inbox.dropped(why, slot.lost());
        }
    }
}
