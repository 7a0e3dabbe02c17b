//! The seed-format sender: one message in, n datagrams out.

use std::collections::VecDeque;

use crate::error::{ConfigError, SendError};
use crate::event::Transmit;
use crate::wire::seed::{SeedHeader, SeedPacket};

/// The largest message: the header's `orig_len` is 16 bits.
const MAX_MESSAGE: usize = u16::MAX as usize;

/// Encodes each message as one batch of n fragments, numbering batches from 0.
pub struct SeedSender {
    k: u8,
    n: u8,
    next_batch: u32,
    transmits: VecDeque<Transmit>,
}

impl SeedSender {
    /// A sender with `1 <= k <= n <= 255` (n is a byte in the header).
    pub fn new(k: usize, n: usize) -> Result<Self, ConfigError> {
        match (u8::try_from(k), u8::try_from(n)) {
            (Ok(k8), Ok(n8)) if k8 >= 1 && k8 <= n8 => {
                Ok(SeedSender { k: k8, n: n8, next_batch: 0, transmits: VecDeque::new() })
            }
            _ => Err(ConfigError::InvalidShape { k, n }),
        }
    }

    /// Starts batch numbering at `batch_id` (a receiver remembers recent ids, so a restarted
    /// sender should not reuse them).
    pub fn with_first_batch(mut self, batch_id: u32) -> Self {
        self.next_batch = batch_id;
        self
    }

    /// Queues the n datagrams of `message`, at most 65,535 bytes.
    pub fn send(&mut self, message: &[u8]) -> Result<(), SendError> {
        let orig_len =
            u16::try_from(message.len()).map_err(|_| SendError::TooLarge { got: message.len(), max: MAX_MESSAGE })?;
        let fragments = fec::encode_message(message, usize::from(self.k), usize::from(self.n))
            .expect("new() checked the shape and the length fits 16 bits");
        for (index, fragment) in fragments.iter().enumerate() {
            let header = SeedHeader { batch_id: self.next_batch, index: index as u8, k: self.k, n: self.n, orig_len };
            let mut datagram = Vec::new();
            SeedPacket { header, fragment }.encode(&mut datagram);
            self.transmits.push_back(Transmit::new(datagram));
        }
        self.next_batch = self.next_batch.wrapping_add(1);
        Ok(())
    }

    /// The next datagram to send, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }
}
