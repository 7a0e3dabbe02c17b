//! Stream mode: every application datagram is one source symbol. The sender emits each at
//! once (a systematic code adds no delay when nothing is lost) and groups them into blocks;
//! when a block closes, at k sources or at its time bound, it emits the block's repair
//! symbols. Blocks are numbered by their first source, so block id + index is every source's
//! stream sequence number. The repairs are Reed-Solomon unless [`SenderConfig::code`] picks
//! striped XOR or mirrored LT; the receiver rebuilds missing sources as soon as the symbols in
//! determine them (any k of a block's k + m with Reed-Solomon), and releases payloads in
//! sequence order: at once when
//! nothing before them is missing, otherwise when the gap is filled or given up (its block
//! expired or was evicted, or the waiting payload reached its deadline). Unordered, it
//! delivers each payload as it arrives.
//!
//! What FEC cannot rebuild the receiver NACKs while a retransmission can still make the
//! deadline (`nack.rs`); the sender resends the original bytes (`retransmit.rs`). The receiver
//! pings for the round-trip time (`rtt.rs`) and reports loss, bursts and RTT back, and the
//! sender sizes its blocks and repairs from the reports (`adapt.rs`, [`AdaptBounds`]).

mod adapt;
mod bandwidth;
mod bandwidth_feed;
mod config;
mod loss_meter;
mod nack;
mod order;
mod receiver;
pub(crate) mod redundancy;
mod retransmit;
mod rtt;
mod sender;
mod timebase;

pub use adapt::AdaptBounds;
pub use fec::CodeKind;
pub use bandwidth::{BandwidthConfig, BandwidthEstimator, Report as BandwidthReport};
pub use config::{ReceiverConfig, SenderConfig, MAX_PAYLOAD};
pub use receiver::{Receiver, ReceiverState};
pub use redundancy::Redundancy;
pub use sender::{Sender, SenderState, SenderStats};
