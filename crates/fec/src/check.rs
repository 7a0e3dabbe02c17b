//! Argument checks for the XOR and mirrored-LT codes. They raise the same errors, naming the
//! same arguments, as the Reed-Solomon codec, so the bindings map all codes' misuse alike.

use std::ops::RangeInclusive;

use crate::error::FecError;

/// Refuses `got` entries where exactly `expected` are needed.
pub(crate) fn count(argument: &'static str, got: usize, expected: usize) -> Result<(), FecError> {
    if got != expected {
        return Err(FecError::Count { argument, expected: expected.to_string(), got });
    }
    Ok(())
}

/// Checks that `shards` holds an allowed number of entries, all of one length, and returns that
/// length (0 when `allowed` lets no shard through, as nothing then needs a length).
pub(crate) fn shard_len(
    argument: &'static str,
    shards: &[&[u8]],
    allowed: RangeInclusive<usize>,
) -> Result<usize, FecError> {
    if !allowed.contains(&shards.len()) {
        let expected = if allowed.start() == allowed.end() {
            allowed.start().to_string()
        } else {
            format!("{} to {}", allowed.start(), allowed.end())
        };
        return Err(FecError::Count { argument, expected, got: shards.len() });
    }
    let len = shards.first().map_or(0, |s| s.len());
    lengths(argument, shards.iter().map(|s| s.len()), len)?;
    Ok(len)
}

/// Refuses the first of `got` (one length per buffer) that differs from `expected`.
pub(crate) fn lengths(
    argument: &'static str,
    got: impl IntoIterator<Item = usize>,
    expected: usize,
) -> Result<(), FecError> {
    match got.into_iter().enumerate().find(|&(_, len)| len != expected) {
        Some((index, got)) => Err(FecError::Length { argument, index, expected, got }),
        None => Ok(()),
    }
}

/// For each shard index `0..n`, where it sits in `indices` (if given). Refuses indices out of
/// range or repeated, which would otherwise make a decoder trust the wrong bytes.
pub(crate) fn positions(indices: &[usize], n: usize) -> Result<Vec<Option<usize>>, FecError> {
    let mut at = vec![None; n];
    for (position, &index) in indices.iter().enumerate() {
        let slot = at.get_mut(index).ok_or(FecError::IndexOutOfRange { position, index, n })?;
        if slot.is_some() {
            return Err(FecError::DuplicateIndex { position, index });
        }
        *slot = Some(position);
    }
    Ok(at)
}
