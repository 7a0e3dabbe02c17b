//! The frame-mode sender: one message in, its source and repair symbols out, interleaved.

use crate::codec::Code;
use crate::error::{ConfigError, SendError};
use crate::event::Transmit;
use crate::frame::config::FrameSenderConfig;
use crate::outbox::Outbox;
use crate::stream::redundancy::Plan;
use crate::stream::SenderStats;
use crate::wire::v1::{Body, Frame, FrameLayout, MAX_FRAME_BLOCKS};

/// Cuts each message into symbols and blocks and queues its datagrams.
///
/// The datagrams of a frame go out round-robin across its blocks (symbol 0 of every block,
/// then symbol 1, ...), so a loss burst is spread over many blocks instead of sinking one.
pub struct FrameSender {
    config: FrameSenderConfig,
    plan: Plan,
    next_frame: u32,
    outbox: Outbox,
    stats: SenderStats,
}

impl FrameSender {
    /// A sender for `config`, or the field that is out of range.
    pub fn new(config: FrameSenderConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(FrameSender {
            plan: Plan::new(config.redundancy)?,
            next_frame: config.first_frame,
            outbox: Outbox::new(config.connection_id),
            stats: SenderStats::default(),
            config,
        })
    }

    /// The largest message: 65,536 blocks' worth, at most 4 GiB - 1.
    pub fn max_frame_len(&self) -> usize {
        let blocks_worth = MAX_FRAME_BLOCKS as usize * self.plan.k() * self.config.symbol_size;
        blocks_worth.min(u32::MAX as usize)
    }

    /// Queues every datagram of `message` as the next frame.
    pub fn send(&mut self, message: &[u8]) -> Result<(), SendError> {
        let too_large = SendError::TooLarge { got: message.len(), max: self.max_frame_len() };
        let len = u32::try_from(message.len()).map_err(|_| too_large.clone())?;
        let layout =
            FrameLayout { len, symbol_size: self.config.symbol_size as u16, max_block_sources: self.plan.k() as u8 };
        layout.validate().map_err(|_| too_large)?;
        let mut blocks: Vec<_> =
            (0..layout.blocks()).map(|block| self.block(message, layout, block).into_iter()).collect();
        let mut queued = true;
        while queued {
            queued = false;
            for datagram in blocks.iter_mut().filter_map(Iterator::next) {
                self.outbox.queue(datagram);
                queued = true;
            }
        }
        self.next_frame = self.next_frame.wrapping_add(1);
        self.stats.sent += 1;
        Ok(())
    }

    /// The next datagram to send, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop()
    }

    /// Counters: `sent` counts frames, `blocks` their blocks, `repairs` repair symbols.
    pub fn stats(&self) -> SenderStats {
        SenderStats { bytes: self.outbox.bytes, ..self.stats }
    }

    /// The datagrams of one block of a frame: its sources, then its repairs.
    fn block(&mut self, message: &[u8], layout: FrameLayout, block: u64) -> Vec<Vec<u8>> {
        let size = usize::from(layout.symbol_size);
        let k = layout.block_sources(block);
        let m = self.plan.repairs_for(k);
        let start = layout.first_source(block) as usize * size;
        // Each source is its slice of the message; the last may be short or empty, and the
        // codec and the wire both pad it with zeros to the symbol size.
        let sources: Vec<&[u8]> = (0..k)
            .map(|i| message.get(start + i * size..).map_or(&[][..], |rest| &rest[..rest.len().min(size)]))
            .collect();
        let frame = self.next_frame;
        let body = |index: usize| {
            let (block, index, m) = (block as u16, index as u8, m as u8);
            Body::Frame(Frame { frame, layout, block, index, m, symbol: &[] })
        };
        let mut datagrams: Vec<Vec<u8>> = sources
            .iter()
            .enumerate()
            .map(|(i, source)| self.outbox.encode_with_symbol(body(i), source, size))
            .collect();
        datagrams.extend(self.outbox.encode_parity(Code::REED_SOLOMON, &sources, size, (k..k + m).map(body)));
        self.stats.blocks += 1;
        self.stats.repairs += m as u64;
        datagrams
    }
}
