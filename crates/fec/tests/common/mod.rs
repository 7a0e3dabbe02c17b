//! Test data shared by the code tests.

/// k deterministic shards of `len` bytes; `salt` varies the content between cases.
pub fn data(k: usize, len: usize, salt: u64) -> Vec<Vec<u8>> {
    (0..k)
        .map(|i| (0..len).map(|b| (salt.wrapping_mul(31 + i as u64).wrapping_add(b as u64 * 7919) >> 11) as u8).collect())
        .collect()
}

/// Borrowed views of owned shards, as the codecs take them.
pub fn refs(shards: &[Vec<u8>]) -> Vec<&[u8]> {
    shards.iter().map(Vec::as_slice).collect()
}
