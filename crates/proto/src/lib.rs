//! The sans-IO protocol engine of perfect-socket.
//!
//! Everything here is a state machine fed with bytes and a caller-supplied [`Timestamp`]:
//! no sockets, no clock reads, no threads. The I/O layer (the N-API engine, or a test's
//! virtual network) moves datagrams in with `handle_datagram`, moves them out with
//! `poll_transmit`, collects payloads with `poll_delivery`, and wakes the machine at
//! `poll_timeout` with `handle_timeout`. The same inputs always give the same outputs, which
//! is what lets the tests run whole lossy sessions on a virtual clock.
//!
//! - [`wire`]: the two wire formats, `seed` (seed 000's `>IBBBH` header) and `v1` (ours).
//! - [`seed`]: seed 000's message-per-batch sender and receiver.
//! - [`stream`]: stream mode, each datagram a source symbol of a Reed-Solomon block, released
//!   in the sender's order within a latency budget; NACK repair of what FEC cannot rebuild, and
//!   block shapes adapted to the receiver's reports.
//! - [`endpoint`]: many peers on one socket, and the pacer on what it sends.
//! - [`frame`]: frame mode, a message larger than a datagram delivered whole or not at all.
//!
//! ```
//! use std::time::Duration;
//! use proto::stream::{Receiver, ReceiverConfig, Redundancy, Sender, SenderConfig};
//! use proto::Timestamp;
//!
//! let mut sender = Sender::new(SenderConfig {
//!     redundancy: Redundancy::Fixed { k: 2, n: 3 },
//!     ..SenderConfig::default()
//! }).unwrap();
//! let mut receiver = Receiver::new(ReceiverConfig::default()).unwrap();
//! let now = Timestamp::from_micros(0);
//! sender.send(b"hello", now).unwrap();
//! sender.send(b"world!", now).unwrap();
//! // Lose the first datagram (the DATA for "hello"): "world!" waits for it, the REPAIR
//! // brings it back, and both come out in the order they were sent.
//! let _lost = sender.poll_transmit().unwrap();
//! let world = sender.poll_transmit().unwrap();
//! receiver.handle_datagram(&world.datagram, now + Duration::from_millis(1));
//! assert!(receiver.poll_delivery().is_none());
//! while let Some(t) = sender.poll_transmit() {
//!     receiver.handle_datagram(&t.datagram, now + Duration::from_millis(1));
//! }
//! let got: Vec<Vec<u8>> = std::iter::from_fn(|| receiver.poll_delivery()).map(|d| d.payload.into()).collect();
//! assert_eq!(got, [b"hello".to_vec(), b"world!".to_vec()]);
//! assert_eq!(receiver.stats().recovered, 1);
//! ```

#![warn(missing_docs)]

pub mod arena;
mod bits;
mod block;
mod codec;
mod error;
mod event;
mod inbox;
mod incoming;
mod outbox;
mod seq;
pub mod secure;
mod stats;
mod time;
mod window;

pub mod frame;
pub mod endpoint;
pub mod seed;
pub mod stream;
pub mod wire;

pub use error::{ConfigError, SendError, WireError};
pub use event::{Delivery, Transmit};
pub use stats::Stats;
pub use time::Timestamp;
