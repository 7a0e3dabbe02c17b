//! The frame-mode receiver: whole frames or nothing.

use crate::error::ConfigError;
use crate::event::Delivery;
use crate::frame::assembly::Assembly;
use crate::frame::config::FrameReceiverConfig;
use crate::incoming::{receiver_surface, Incoming};
use crate::time::Timestamp;
use crate::window::Limits;
use crate::wire::v1::Body;

/// Reassembles frames: each is delivered exactly once, whole, as soon as every block has
/// decoded, and never after its deadline. `lost` and `recovered` count frames.
pub struct FrameReceiver {
    config: FrameReceiverConfig,
    incoming: Incoming<Assembly>,
    scratch: Vec<u8>,
}

impl FrameReceiver {
    /// A receiver for `config`, or the field that is out of range.
    pub fn new(config: FrameReceiverConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let limits = Limits {
            blocks: config.max_frames,
            bytes: config.max_buffered_bytes,
            lifetime: Some(config.frame_deadline),
        };
        Ok(FrameReceiver { incoming: Incoming::new(limits), scratch: Vec::new(), config })
    }

    /// Takes one datagram as it came off the network, at `now`.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        self.handle_timeout(now);
        let Some(packet) = self.incoming.inbox.admit_v1(datagram, self.config.connection_id) else { return };
        let Body::Frame(frame) = packet.body else {
            self.incoming.inbox.stats.ignored += 1;
            return;
        };
        // Checked before any state exists, so an oversized claim costs nothing.
        if frame.layout.len as usize > self.config.max_frame_len {
            self.incoming.inbox.stats.malformed += 1;
            return;
        }
        let Some((assembly, inbox)) = self.incoming.entry(frame.frame, now, || Assembly::new(frame.layout)) else {
            return;
        };
        if !inbox.tally(assembly.add(&frame, &mut self.scratch)) {
            return;
        }
        if !assembly.done() {
            return self.incoming.settle(frame.frame);
        }
        let recovered = assembly.recovered;
        match self.incoming.finish(frame.frame).and_then(|done| done.message()) {
            Some(payload) => self.incoming.inbox.deliver(Delivery { payload: payload.into(), block: frame.frame, index: 0, recovered, stream: 0 }),
            None => self.incoming.inbox.stats.corrupt += 1,
        }
    }

    receiver_surface!("frame");

    /// Frames currently held.
    pub fn frames_in_flight(&self) -> usize {
        self.incoming.window().len()
    }
}
