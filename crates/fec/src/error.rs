use thiserror::Error;

/// Why an encode or decode was refused. Each variant names the argument at fault so the
/// bindings can turn it into a precise `RangeError`/`TypeError`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FecError {
    /// `k` or `n` outside `1 <= k <= n <= 256`.
    #[error("k and n must satisfy 1 <= k <= n <= 256 (got k={k}, n={n})")]
    InvalidShape { k: usize, n: usize },
    /// The wrong number of shards (or output buffers) was given.
    #[error("{argument} must hold {expected} entries (got {got})")]
    Count { argument: &'static str, expected: String, got: usize },
    /// A shard (or output buffer) differs in length from the first one.
    #[error("{argument}[{index}] is {got} bytes but {argument}[0] is {expected}; shards must have equal length")]
    Length { argument: &'static str, index: usize, expected: usize, got: usize },
    /// A shard index is not below `n`.
    #[error("indices[{position}] = {index} is out of range: shard indices are 0..{n}")]
    IndexOutOfRange { position: usize, index: usize, n: usize },
    /// The same shard index appears twice.
    #[error("indices[{position}] = {index} repeats an earlier index; each shard may be given once")]
    DuplicateIndex { position: usize, index: usize },
    /// A message too large for the seed header's 16-bit length field.
    #[error("message is {got} bytes; the seed format carries at most {max}")]
    MessageTooLong { got: usize, max: usize },
    /// `orig_len` claims more bytes than the fragments hold.
    #[error("orig_len {orig_len} exceeds the {available} bytes the fragments hold")]
    OriginalLength { orig_len: usize, available: usize },
    /// The XOR or mirrored-LT code was asked for a shape it does not support.
    #[error("{code} needs 1 <= k <= {max_k} data shards and m <= {max_m} repair shards (got k={k}, m={m})")]
    CodeShape { code: &'static str, k: usize, m: usize, max_k: usize, max_m: usize },
    /// A code name that [`crate::CodeKind`] does not know.
    #[error("unknown code {name:?}; expected one of: rs, xor, lt")]
    UnknownCode { name: String },
}

impl FecError {
    /// True when the error is about a value out of its allowed range (a `RangeError` in JS);
    /// false when the argument has the wrong shape (a `TypeError`).
    pub fn is_range_error(&self) -> bool {
        !matches!(self, FecError::Count { .. } | FecError::Length { .. })
    }
}
