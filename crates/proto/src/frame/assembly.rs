//! One frame being reassembled: its blocks, each decoded independently, and the message
//! put together once the last one completes.

use std::collections::HashMap;

use crate::block::Block;
use crate::codec::Code;
use crate::inbox::Verdict;
use crate::window::Held;
use crate::wire::v1::{Frame, FrameLayout};

/// Reassembly state of one frame.
pub(crate) struct Assembly {
    layout: FrameLayout,
    /// Blocks that have received a symbol, by block number; created lazily so a forged
    /// layout with 65,536 blocks costs nothing until its symbols arrive.
    blocks: HashMap<u16, Block>,
    complete: u64,
    /// Whether any block needed its repair symbols.
    pub(crate) recovered: bool,
}

impl Held for Assembly {
    fn bytes(&self) -> usize {
        std::mem::size_of::<Assembly>() + self.blocks.values().map(Held::bytes).sum::<usize>()
    }

    /// A frame is delivered whole or not at all: dropping it loses the one message.
    fn lost(&self) -> u64 {
        1
    }
}

impl Assembly {
    pub(crate) fn new(layout: FrameLayout) -> Self {
        Assembly { layout, blocks: HashMap::new(), complete: 0, recovered: false }
    }

    /// Files one symbol, decoding its block if it now can.
    pub(crate) fn add(&mut self, frame: &Frame<'_>, scratch: &mut Vec<u8>) -> Verdict {
        if frame.layout != self.layout {
            return Verdict::Conflict;
        }
        let k = frame.k() as u8;
        let block = self.blocks.entry(frame.block).or_default();
        if block.complete() {
            return Verdict::Redundant;
        }
        let verdict = match block.declare(k, frame.m, frame.symbol.len(), Code::REED_SOLOMON) {
            Verdict::Accepted if frame.index < k => block.add_source(frame.index, frame.symbol),
            Verdict::Accepted => block.add_repair(frame.index, frame.symbol),
            refused => refused,
        };
        if verdict == Verdict::Accepted {
            self.recovered |= !block.recover(scratch).is_empty();
            self.complete += u64::from(block.complete());
        }
        verdict
    }

    /// True once every block has all its sources.
    pub(crate) fn done(&self) -> bool {
        self.complete == self.layout.blocks()
    }

    /// The message: every block's sources in order, cut to the frame length.
    pub(crate) fn message(&self) -> Option<Vec<u8>> {
        let mut message = Vec::with_capacity(self.layout.sources() as usize * usize::from(self.layout.symbol_size));
        for block in 0..self.layout.blocks() {
            let held = self.blocks.get(&(block as u16))?;
            for index in 0..self.layout.block_sources(block) {
                message.extend_from_slice(held.symbol(index as u8)?);
            }
        }
        message.truncate(self.layout.len as usize);
        Some(message)
    }
}
