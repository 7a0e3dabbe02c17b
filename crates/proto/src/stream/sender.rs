//! The stream-mode sender: sources out at once, repairs at block close.

use crate::error::{ConfigError, SendError};
use crate::event::Transmit;
use crate::outbox::Outbox;
use crate::stream::config::SenderConfig;
use crate::stream::redundancy::Plan;
use crate::time::Timestamp;
use crate::wire::unit::OwnedUnit;
use crate::wire::v1::{Body, Data, Repair};

/// What a sender has emitted.
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
}

/// The block being filled.
struct OpenBlock {
    opened_at: Timestamp,
    units: Vec<OwnedUnit>,
}

/// Turns payloads into DATA packets immediately and REPAIR packets at each block's close.
///
/// Drive it with [`send`](Self::send), drain [`poll_transmit`](Self::poll_transmit) after
/// every call, and call [`handle_timeout`](Self::handle_timeout) at
/// [`poll_timeout`](Self::poll_timeout) so a block closes at its time bound.
pub struct Sender {
    config: SenderConfig,
    plan: Plan,
    next_block: u32,
    open: Option<OpenBlock>,
    outbox: Outbox,
    stats: SenderStats,
}

impl Sender {
    /// A sender for `config`, or the field that is out of range.
    pub fn new(config: SenderConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Sender {
            plan: Plan::new(config.redundancy)?,
            next_block: config.first_block,
            open: None,
            outbox: Outbox::new(config.connection_id),
            stats: SenderStats::default(),
            config,
        })
    }

    /// Queues `payload` as the next source symbol and its DATA packet at once. Closes an
    /// overdue block first, and the current one if this fills it.
    pub fn send(&mut self, payload: &[u8], now: Timestamp) -> Result<(), SendError> {
        let too_large = SendError::TooLarge { got: payload.len(), max: self.config.max_payload };
        if payload.len() > self.config.max_payload {
            return Err(too_large);
        }
        let unit = OwnedUnit::frame(payload).ok_or(too_large)?;
        self.handle_timeout(now);
        let block = self.open.get_or_insert_with(|| OpenBlock { opened_at: now, units: Vec::new() });
        let data = Data { block: self.next_block, index: block.units.len() as u8, unit: unit.as_unit() };
        let datagram = self.outbox.encode(Body::Data(data));
        block.units.push(unit);
        let full = block.units.len() >= self.plan.k();
        self.outbox.queue(datagram);
        self.stats.sent += 1;
        if full {
            self.close_block();
        }
        Ok(())
    }

    /// The next datagram to send, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop()
    }

    /// When the open block reaches its time bound, if a block is open.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.open.as_ref().map(|block| block.opened_at + self.config.block_time)
    }

    /// Closes the open block if its time bound is at or before `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.poll_timeout().is_some_and(|deadline| deadline <= now) {
            self.close_block();
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

    /// Emits the open block's repair symbols and starts numbering the next block.
    fn close_block(&mut self) {
        let Some(block) = self.open.take() else { return };
        let (k, m) = (block.units.len(), self.plan.repairs_for(block.units.len()));
        let symbol_len = block.units.iter().map(|u| u.as_bytes().len()).max().unwrap_or(0);
        let units: Vec<&[u8]> = block.units.iter().map(OwnedUnit::as_bytes).collect();
        let id = self.next_block;
        let bodies = (k..k + m)
            .map(|index| Body::Repair(Repair { block: id, index: index as u8, k: k as u8, m: m as u8, symbol: &[] }));
        for datagram in self.outbox.encode_parity(&units, symbol_len, bodies) {
            self.outbox.queue(datagram);
        }
        self.stats.repairs += m as u64;
        self.stats.blocks += 1;
        self.stats.short_blocks += u64::from(k < self.plan.k());
        // The next block is numbered by its first source: block id + index numbers every source.
        self.next_block = self.next_block.wrapping_add(k as u32);
    }
}
