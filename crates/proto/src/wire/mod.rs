//! The wire formats. Parsers here are total: any byte string gives a packet or a
//! [`WireError`](crate::WireError), never a panic, so the engines can feed them whatever the
//! network delivers.
//!
//! - [`seed`]: seed 000's format, byte for byte (a Python zfec peer reads and writes it).
//! - [`v1`]: the native format, documented with byte diagrams in `docs/PROTOCOL.md`.
//! - [`unit`]: the FEC-protected form of a source datagram, shared by v1's DATA and REPAIR.

mod reader;

pub mod seed;
pub mod unit;
pub mod v1;
