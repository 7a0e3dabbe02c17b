//! Frame mode: a message larger than one datagram (a video frame, 1 MiB and more) is cut into
//! equal symbols grouped into FEC blocks (see [`Frame`](crate::wire::v1::Frame) for the
//! layout), and delivered whole once every block decodes, or not at all.

mod assembly;
mod config;
mod receiver;
mod sender;

pub use config::{FrameReceiverConfig, FrameSenderConfig};
pub use receiver::FrameReceiver;
pub use sender::FrameSender;
