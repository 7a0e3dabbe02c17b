//! Stream mode: every application datagram is one source symbol. The sender emits each at
//! once (a systematic code adds no delay when nothing is lost) and groups them into blocks;
//! when a block closes, at k sources or at its time bound, it emits the block's repair
//! symbols. The receiver delivers sources as they arrive and rebuilds missing ones as soon as
//! any k of a block's k + m symbols are in.

mod config;
mod receiver;
pub(crate) mod redundancy;
mod sender;

pub use config::{ReceiverConfig, SenderConfig, MAX_PAYLOAD};
pub use receiver::Receiver;
pub use redundancy::Redundancy;
pub use sender::{Sender, SenderStats};
