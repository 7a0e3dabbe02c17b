//! The stream-mode receiver: delivers sources on arrival, rebuilds the missing ones.

use crate::block::Block;
use crate::error::ConfigError;
use crate::event::Delivery;
use crate::inbox::Verdict;
use crate::incoming::{receiver_surface, Incoming};
use crate::stream::config::ReceiverConfig;
use crate::time::Timestamp;
use crate::window::Limits;
use crate::wire::unit::Unit;
use crate::wire::v1::Body;

/// Reassembles a v1 stream: each source payload is delivered exactly once, the moment it
/// arrives or the moment its block can be decoded, and never after the block's deadline.
///
/// Untrusted input is counted and dropped, and memory stays bounded by
/// [`ReceiverConfig::max_blocks`] and [`ReceiverConfig::max_buffered_bytes`].
pub struct Receiver {
    config: ReceiverConfig,
    incoming: Incoming<Block>,
    scratch: Vec<u8>,
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
        Ok(Receiver { incoming: Incoming::new(limits), scratch: Vec::new(), config })
    }

    /// Takes one datagram as it came off the network, at `now`.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        self.handle_timeout(now);
        let Some(packet) = self.incoming.inbox.admit_v1(datagram, self.config.connection_id) else { return };
        match packet.body {
            Body::Data(data) => {
                let source = Some((data.index, data.unit.payload()));
                self.on_symbol(data.block, now, |block| block.add_source(data.index, data.unit.as_bytes()), source);
            }
            Body::Repair(repair) => {
                let add = |block: &mut Block| match block.declare(repair.k, repair.m, repair.symbol.len()) {
                    Verdict::Accepted => block.add_repair(repair.index, repair.symbol),
                    refused => refused,
                };
                self.on_symbol(repair.block, now, add, None)
            }
            _ => self.incoming.inbox.stats.ignored += 1,
        }
    }

    receiver_surface!("payload");

    /// Blocks currently held.
    pub fn blocks_in_flight(&self) -> usize {
        self.incoming.window().len()
    }

    /// Files a symbol into its block with `add`, delivers what it brings (`source`, the
    /// payload of a DATA, and any sources it makes rebuildable) and retires a finished block.
    fn on_symbol(
        &mut self,
        id: u32,
        now: Timestamp,
        add: impl FnOnce(&mut Block) -> Verdict,
        source: Option<(u8, &[u8])>,
    ) {
        let Some((block, inbox)) = self.incoming.entry(id, now, Block::default) else { return };
        if !inbox.tally(add(block)) {
            return;
        }
        if let Some((index, payload)) = source {
            inbox.deliver(Delivery { payload: payload.to_vec(), block: id, index, recovered: false });
        }
        for index in block.recover(&mut self.scratch) {
            match block.symbol(index).map(Unit::parse) {
                Some(Ok(unit)) => {
                    inbox.deliver(Delivery { payload: unit.payload().to_vec(), block: id, index, recovered: true })
                }
                // Symbols that decode to a bad unit were forged or corrupted: nothing to deliver.
                _ => inbox.stats.corrupt += 1,
            }
        }
        if block.complete() {
            self.incoming.finish(id);
        } else {
            self.incoming.settle(id);
        }
    }
}
