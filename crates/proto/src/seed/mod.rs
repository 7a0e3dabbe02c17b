//! Seed 000's scheme: each message is one batch, padded to a multiple of k, split into k
//! fragments and sent as n zfec-encoded datagrams with the `>IBBBH` header
//! ([`wire::seed`](crate::wire::seed)). Interoperates with a Python zfec peer built from
//! the seed. No NACK, no encryption, one message per batch.

mod receiver;
mod sender;

pub use receiver::{SeedReceiver, SeedReceiverConfig};
pub use sender::SeedSender;
