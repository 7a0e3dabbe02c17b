//! The typed errors of the crate: bad bytes off the network, bad configuration, bad sends.

use thiserror::Error;

/// Why a datagram was rejected by a parser. Parsing is total: every byte string yields a
/// packet or one of these, never a panic.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than the field being read needs.
    #[error("truncated: {field} needs {needed} bytes at offset {offset}, {available} remain")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// The first byte is not a v1 packet's magic.
    #[error("bad magic byte {got:#04x}")]
    BadMagic {
        /// The byte found.
        got: u8,
    },
    /// The magic matches but the version is one this build does not speak.
    #[error("unsupported protocol version {got}")]
    UnsupportedVersion {
        /// The version found.
        got: u8,
    },
    /// An unknown packet type.
    #[error("unknown packet type {got:#04x}")]
    UnknownType {
        /// The type byte found.
        got: u8,
    },
    /// A code shape outside `1 <= k <= n <= 256` (`n` is `k + m` in v1).
    #[error("impossible code shape k={k}, n={n}: need 1 <= k <= n <= 256")]
    InvalidShape {
        /// Source symbols (fragments) declared.
        k: usize,
        /// Symbols in all declared.
        n: usize,
    },
    /// A symbol index outside the range its packet type allows.
    #[error("symbol index {index} outside {start}..{end}")]
    IndexOutOfRange {
        /// The index found.
        index: usize,
        /// The first allowed index.
        start: usize,
        /// One past the last allowed index.
        end: usize,
    },
    /// A length field disagrees with the bytes actually present.
    #[error("{field} says {declared} bytes but {actual} are present")]
    LengthMismatch {
        /// The length field.
        field: &'static str,
        /// What it says.
        declared: usize,
        /// What is there.
        actual: usize,
    },
    /// Bytes that should be zero padding are not.
    #[error("padding after a {len}-byte payload is not all zero")]
    NonZeroPadding {
        /// The payload length the unit declares.
        len: usize,
    },
    /// Bytes left over after a fixed-size packet.
    #[error("{extra} unexpected bytes after the packet")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// A field holding a value its packet type forbids.
    #[error("{field} = {value} is not allowed")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u64,
    },
}

/// A configuration value out of range, named after the field at fault.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConfigError {
    /// A code shape outside `1 <= k <= n <= 256`.
    #[error("k and n must satisfy 1 <= k <= n <= 256 (got k={k}, n={n})")]
    InvalidShape {
        /// Source symbols per block.
        k: usize,
        /// Symbols per block in all.
        n: usize,
    },
    /// Another numeric field out of its range.
    #[error("{field} must be {allowed} (got {got})")]
    OutOfRange {
        /// The field at fault.
        field: &'static str,
        /// What it accepts.
        allowed: &'static str,
        /// What it was given.
        got: String,
    },
}

impl ConfigError {
    /// An error for `field`, which must be `allowed` but is `got`.
    pub(crate) fn out_of_range(field: &'static str, allowed: &'static str, got: impl std::fmt::Display) -> Self {
        ConfigError::OutOfRange { field, allowed, got: got.to_string() }
    }
}

/// Why a payload was refused by a sender.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The payload does not fit the format's length field or the configured maximum.
    #[error("payload is {got} bytes; at most {max} fit")]
    TooLarge {
        /// The payload's length.
        got: usize,
        /// The largest accepted.
        max: usize,
    },
    /// No stream with this id was configured.
    #[error("stream {stream} is not configured")]
    UnknownStream {
        /// The id given.
        stream: u8,
    },
    /// A reliable stream already holds as many unacknowledged bytes as it may.
    #[error("reliable stream {stream} is full: {held} bytes wait for acknowledgement")]
    StreamFull {
        /// The stream.
        stream: u8,
        /// Bytes waiting.
        held: usize,
    },
    /// A secure endpoint cannot start a handshake: it holds neither a passphrase nor the
    /// peer's public key (a server with only its private key answers, it does not call).
    #[error("cannot contact a peer securely: {what} is missing")]
    CannotAuthenticate {
        /// What this end lacks.
        what: &'static str,
    },
}
