//! The stream-mode receiver: rebuilds missing sources and releases payloads in the sender's
//! order within the latency budget (or, unordered, as they come).

use std::mem::size_of;

use crate::block::Block;
use crate::error::ConfigError;
use crate::event::Delivery;
use crate::inbox::{Inbox, Verdict};
use crate::stream::config::ReceiverConfig;
use crate::stream::order::{Order, Place};
use crate::time::Timestamp;
use crate::window::{Dropped, Held, Limits, Lookup, Window};
use crate::wire::unit::Unit;
use crate::wire::v1::{Body, Repair};

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
}

/// A block in flight.
struct Slot {
    id: u32,
    /// When it leaves the window; the deadline of its payloads.
    deadline: Timestamp,
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
            lifetime: Some(config.block_deadline),
        };
        // As many sources as the window can hold blocks of: no honest stream reorders more.
        let horizon = (config.max_blocks as u64).saturating_mul(fec::MAX_SHARDS as u64).min(1 << 30);
        Ok(Receiver {
            window: Window::new(limits),
            inbox: Inbox::default(),
            order: Order::new(horizon),
            departed: Vec::new(),
            scratch: Vec::new(),
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
            _ => {
                self.inbox.stats.ignored += 1;
                return;
            }
        };
        if self.config.ordered && !self.placed(id, &symbol, now) {
            return;
        }
        self.on_symbol(id, symbol, now);
        self.tidy();
    }

    /// The next payload handed to the application: in the sender's order unless
    /// [`ReceiverConfig::ordered`] is off.
    pub fn poll_delivery(&mut self) -> Option<Delivery> {
        self.inbox.pop()
    }

    /// The earliest deadline among the blocks in flight and the payloads held, if any.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        [self.window.next_deadline(), self.order.next_deadline()].into_iter().flatten().min()
    }

    /// Drops the blocks whose deadline is at or before `now`, counting what they lose, and
    /// releases the payloads held until then.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.window.expire(now, &mut departures(&mut self.inbox, &mut self.departed, self.config.ordered));
        self.tidy();
        self.order.expire(now, &mut self.inbox);
    }

    /// Counters.
    pub fn stats(&self) -> &crate::Stats {
        &self.inbox.stats
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
        let deadline = now + self.config.block_deadline;
        let make = || Slot { id, deadline, fec: Block::default() };
        let entry =
            self.window.entry(id, now, make, &mut departures(&mut self.inbox, &mut self.departed, self.config.ordered));
        let slot = match entry {
            Ok(slot) => slot,
            Err(gone) => return self.inbox.gone(gone),
        };
        let verdict = match &symbol {
            Symbol::Source { index, unit } => slot.fec.add_source(*index, unit.as_bytes()),
            Symbol::Repair(repair) => match slot.fec.declare(repair.k, repair.m, repair.symbol.len()) {
                Verdict::Accepted => slot.fec.add_repair(repair.index, repair.symbol),
                refused => refused,
            },
        };
        if !self.inbox.tally(verdict) {
            return;
        }
        self.order.progress(now);
        let mut out = Outlet {
            ordered: self.config.ordered.then(|| self.order.unwrap(id)),
            order: &mut self.order,
            inbox: &mut self.inbox,
            block: id,
            deadline: slot.deadline,
        };
        if let Symbol::Source { index, unit } = symbol {
            out.hand(index, unit.payload(), false);
        }
        for index in slot.fec.recover(&mut self.scratch) {
            match slot.fec.symbol(index).map(Unit::parse) {
                Some(Ok(unit)) => out.hand(index, unit.payload(), true),
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

/// Where the payloads of one block go: to the order, or straight to the application.
struct Outlet<'a> {
    /// The block's first sequence number, unwrapped, when ordered.
    ordered: Option<u64>,
    order: &'a mut Order,
    inbox: &'a mut Inbox,
    block: u32,
    deadline: Timestamp,
}

impl Outlet<'_> {
    fn hand(&mut self, index: u8, payload: &[u8], recovered: bool) {
        let delivery = Delivery { payload: payload.to_vec(), block: self.block, index, recovered };
        match self.ordered {
            Some(first) => self.order.offer(first + u64::from(index), delivery, self.deadline, self.inbox),
            None => self.inbox.deliver(delivery),
        }
    }
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
