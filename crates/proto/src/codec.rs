//! The FEC arithmetic of one block, shared by senders (parity) and receivers (recovery) of
//! every mode, so all pad symbols the same way: zeros up to the block's symbol length.

use fec::{FecError, ReedSolomon};

/// Copies each shard into `scratch` zero-padded to `len` bytes and returns the padded shards.
/// Shards longer than `len` are the caller's bug; they are cut, never read past.
fn padded<'s>(shards: &[&[u8]], len: usize, scratch: &'s mut Vec<u8>) -> Vec<&'s [u8]> {
    scratch.clear();
    scratch.resize(shards.len() * len, 0);
    for (slot, shard) in scratch.chunks_mut(len.max(1)).zip(shards) {
        let used = shard.len().min(len);
        slot[..used].copy_from_slice(&shard[..used]);
    }
    scratch.chunks(len.max(1)).take(shards.len()).collect()
}

/// Writes the `parity.len()` repair symbols of a block whose source units are `units` (one
/// per source, unpadded), each `parity` buffer being the block's symbol length.
pub(crate) fn encode_parity(units: &[&[u8]], parity: &mut [&mut [u8]], scratch: &mut Vec<u8>) -> Result<(), FecError> {
    let len = parity.first().map_or(0, |p| p.len());
    let codec = ReedSolomon::shared(units.len(), units.len() + parity.len())?;
    codec.encode_parity(&padded(units, len, scratch), parity)
}

/// Rebuilds the missing source units of a `k`-source, `m`-repair block whose symbols are
/// `len` bytes, from `symbols` (index, bytes): at least k of them, DATA unpadded. Returns
/// the rebuilt units, padded, with their indices, ascending.
pub(crate) fn recover(
    k: usize,
    m: usize,
    len: usize,
    symbols: &[(usize, &[u8])],
    scratch: &mut Vec<u8>,
) -> Result<Vec<(usize, Vec<u8>)>, FecError> {
    let codec = ReedSolomon::shared(k, k + m)?;
    let chosen = &symbols[..symbols.len().min(k)];
    let indices: Vec<usize> = chosen.iter().map(|&(index, _)| index).collect();
    let shards: Vec<&[u8]> = chosen.iter().map(|&(_, bytes)| bytes).collect();
    let missing = codec.missing_data(&indices)?;
    let mut rebuilt = vec![vec![0u8; len]; missing.len()];
    let mut outputs: Vec<&mut [u8]> = rebuilt.iter_mut().map(Vec::as_mut_slice).collect();
    codec.recover_into(&padded(&shards, len, scratch), &indices, &mut outputs)?;
    Ok(missing.into_iter().zip(rebuilt).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_unequal_length_survive_any_k_of_n() {
        let units: [&[u8]; 3] = [b"\x00\x01a", b"\x00\x03bcd", b"\x00\x00"];
        let len = 5;
        let mut parity = vec![vec![0u8; len]; 2];
        let mut outs: Vec<&mut [u8]> = parity.iter_mut().map(Vec::as_mut_slice).collect();
        let mut scratch = Vec::new();
        encode_parity(&units, &mut outs, &mut scratch).unwrap();
        let symbols = [(1, units[1]), (3, &parity[0][..]), (4, &parity[1][..])];
        let rebuilt = recover(3, 2, len, &symbols, &mut scratch).unwrap();
        assert_eq!(rebuilt, [(0, b"\x00\x01a\x00\x00".to_vec()), (2, b"\x00\x00\x00\x00\x00".to_vec())]);
    }
}
