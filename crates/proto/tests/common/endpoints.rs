//! The simulator's view of the engines: one trait for senders, one for receivers, so the
//! same driver runs stream mode and the seed format.

use proto::frame::{FrameReceiver, FrameSender};
use proto::seed::{SeedReceiver, SeedSender};
use proto::stream::{Receiver, Sender};
use proto::{Delivery, Timestamp};

/// The sending engine.
pub trait SourceEnd {
    fn send(&mut self, payload: &[u8], now: Timestamp);
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;
    fn poll_timeout(&self) -> Option<Timestamp>;
    fn handle_timeout(&mut self, now: Timestamp);
    /// Called once after the last payload.
    fn flush(&mut self);
}

/// The receiving engine.
pub trait SinkEnd {
    fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp);
    fn poll_delivery(&mut self) -> Option<Delivery>;
    fn poll_timeout(&self) -> Option<Timestamp>;
    fn handle_timeout(&mut self, now: Timestamp);
}

impl SourceEnd for Sender {
    fn send(&mut self, payload: &[u8], now: Timestamp) {
        Sender::send(self, payload, now).expect("test payloads fit");
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        Sender::poll_transmit(self).map(|t| t.datagram.into())
    }
    fn poll_timeout(&self) -> Option<Timestamp> {
        Sender::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Timestamp) {
        Sender::handle_timeout(self, now)
    }
    fn flush(&mut self) {
        Sender::flush(self)
    }
}

/// Senders that need no clock: every datagram is queued by `send`.
macro_rules! untimed_source_end {
    ($sender:ty) => {
        impl SourceEnd for $sender {
            fn send(&mut self, payload: &[u8], _now: Timestamp) {
                <$sender>::send(self, payload).expect("test payloads fit");
            }
            fn poll_transmit(&mut self) -> Option<Vec<u8>> {
                <$sender>::poll_transmit(self).map(|t| t.datagram.into())
            }
            fn poll_timeout(&self) -> Option<Timestamp> {
                None
            }
            fn handle_timeout(&mut self, _now: Timestamp) {}
            fn flush(&mut self) {}
        }
    };
}

untimed_source_end!(SeedSender);
untimed_source_end!(FrameSender);

/// All receivers have the same inherent surface; one macro maps it onto the trait.
macro_rules! sink_end {
    ($receiver:ty) => {
        impl SinkEnd for $receiver {
            fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
                <$receiver>::handle_datagram(self, datagram, now)
            }
            fn poll_delivery(&mut self) -> Option<Delivery> {
                <$receiver>::poll_delivery(self)
            }
            fn poll_timeout(&self) -> Option<Timestamp> {
                <$receiver>::poll_timeout(self)
            }
            fn handle_timeout(&mut self, now: Timestamp) {
                <$receiver>::handle_timeout(self, now)
            }
        }
    };
}

sink_end!(Receiver);
sink_end!(SeedReceiver);
sink_end!(FrameReceiver);
