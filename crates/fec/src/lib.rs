//! Systematic Reed-Solomon erasure coding over GF(2^8), byte-compatible with zfec.
//!
//! The code is the one zfec builds (polynomial 0x11D, generator 2, Vandermonde evaluation
//! points 0, 1, 2, 4, 8, ... made systematic by the inverse of its top k x k block), so shards
//! produced here interoperate with any zfec peer. The byte work runs on the SIMD kernels of
//! `reed-solomon-erasure`; this crate only owns the matrices.
//!
//! No I/O, no clock, no global state except the per-shape matrix caches.
//!
//! ```
//! use fec::ReedSolomon;
//! let rs = ReedSolomon::shared(4, 16).unwrap();
//! let data: Vec<&[u8]> = vec![b"Hell", b"o, W", b"orld", b"!\0\0\0"];
//! let shards = rs.encode(&data).unwrap();
//! assert_eq!(shards[4], [0x82, 0x91, 0xb4, 0xe5]);
//! // Any 4 of the 16 shards give the data back.
//! let picked: Vec<&[u8]> = [15, 1, 9, 12].iter().map(|&i| shards[i].as_slice()).collect();
//! let decoded = rs.decode(&picked, &[15, 1, 9, 12]).unwrap();
//! assert_eq!(decoded.concat(), b"Hello, World!\0\0\0");
//! ```

mod check;
mod codec;
mod error;
mod kernel;
mod kind;
mod lt;
mod matrix;
mod message;
mod xor;

pub use codec::{ReedSolomon, MAX_SHARDS};
pub use error::FecError;
pub use kernel::kernel_name;
pub use kind::CodeKind;
pub use lt::{MirroredLt, MAX_LT_DEGREE, MAX_LT_SHARDS};
pub use message::{decode_message, encode_message, fragment_len};
pub use xor::XorParity;
