//! Authenticated encryption of v1 packets (seed 002's per-packet encryption, with well-kept
//! crates rather than home-made crypto).
//!
//! - [`handshake`]: a Noise handshake (`snow`): X25519, authenticated by a pre-shared key
//!   derived from a passphrase (`NNpsk0`), by a pinned server key (`NK`), or both (`NKpsk0`).
//!   Two messages, HELLO and WELCOME; it gives one AES-256-GCM key per direction.
//! - [`cipher`]: the per-direction key, re-derived every 2^32 packets so a nonce never repeats.
//! - [`replay`]: the receive side's sliding window over packet numbers.
//! - [`session`]: seals and opens whole v1 datagrams. The nonce is the packet's own identity
//!   (connection id, packet number, which half of the peer sent it), so every packet opens on
//!   its own, a lost packet never breaks the next, and a retransmission (same number, same
//!   bytes) is the same ciphertext.
//!
//! Modes ([`EncryptMode`]): `All` encrypts every body; `Control` encrypts control packets and
//! only authenticates media (DATA, REPAIR, FRAME: readable, but not forgeable), seed 002's mode
//! for public broadcasts.

mod cipher;
mod config;
pub mod handshake;
mod replay;
mod session;

pub use config::{generate_keypair, passphrase_key, EncryptMode, KeyPair, SecurityConfig, MAX_PASSPHRASE, MIN_PASSPHRASE};
pub use handshake::{HandshakeError, Initiator, Keys, Suite};
pub use session::{OpenError, Session, Space};

/// Bytes the authentication tag adds to a sealed packet.
pub const TAG_LEN: usize = 16;
/// Header flag: the packet is sealed (its tag follows the body).
pub const SEALED_FLAG: u8 = 0x80;
/// Header flag: the packet comes from the receiving half of its peer (its NACKs, FEEDBACK and
/// acknowledgements), whose packet numbers count apart from the sending half's.
pub const RECEIVER_SPACE_FLAG: u8 = 0x40;
