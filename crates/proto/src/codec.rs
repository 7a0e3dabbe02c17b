//! The FEC arithmetic of one block, shared by senders (parity) and receivers (recovery) of
//! every mode and code, so all pad symbols the same way: zeros up to the block's symbol length.
//!
//! One function per operation serves the three codes a stream can pick ([`CodeKind`]):
//! - Reed-Solomon (zfec's matrix): MDS, any k of the k + m symbols give back every source, and
//!   fewer give back none.
//! - Striped XOR: the sources are dealt into g = min(k, m) groups (source i in group i mod g)
//!   and repair j is the XOR of group j mod g, so one loss per group is recoverable. With
//!   m >= k every group is a single source and the repairs are copies of it (repetition).
//! - Mirrored LT (seed 001): `MirroredLt::new(k, m, seed)` with the block id as the seed, so
//!   both ends build the same graph without sending it.
//!
//! XOR and LT are not MDS but can rebuild some sources from fewer than k symbols, so recovery
//! returns whatever the symbols held determine.

use fec::{CodeKind, FecError, MirroredLt, ReedSolomon, XorParity};

/// The code of one block: which one, and the seed mirrored LT derives its graph from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Code {
    kind: CodeKind,
    seed: u64,
}

impl Code {
    /// Frame mode's code: frames carry no code field, so they are Reed-Solomon.
    pub(crate) const REED_SOLOMON: Code = Code { kind: CodeKind::ReedSolomon, seed: 0 };

    /// `kind` protecting stream block `block`: the block id, which both ends know, seeds
    /// mirrored LT, so each block gets its own graph and no erasure pattern defeats them all.
    pub(crate) fn for_block(kind: CodeKind, block: u32) -> Code {
        Code { kind, seed: u64::from(block) }
    }
}

/// Striped XOR's layout for k sources and m repairs.
struct Stripes {
    k: usize,
    m: usize,
    groups: usize,
}

impl Stripes {
    fn new(k: usize, m: usize) -> Self {
        Stripes { k, m, groups: k.min(m).max(1) }
    }

    /// The sources of `group`.
    fn sources(&self, group: usize) -> impl Iterator<Item = usize> {
        (group..self.k).step_by(self.groups)
    }

    /// The repairs (0-based, so index k + j on the wire) that are `group`'s parity.
    fn repairs(&self, group: usize) -> impl Iterator<Item = usize> {
        (group..self.m).step_by(self.groups)
    }
}

/// The shards as `len`-byte symbols: a shard of that length as it is, a shorter one copied
/// into `scratch` and zero-padded (in a stream of equal-sized messages, none are). Shards
/// longer than `len` are the caller's bug; they are cut, never read past.
fn padded<'a>(shards: &[&'a [u8]], len: usize, scratch: &'a mut Vec<u8>) -> Vec<&'a [u8]> {
    let short = shards.iter().filter(|shard| shard.len() < len).count();
    scratch.clear();
    scratch.resize(short * len, 0);
    let mut room: &'a mut [u8] = scratch;
    shards
        .iter()
        .map(|&shard| {
            if shard.len() >= len {
                return &shard[..len];
            }
            let (slot, rest) = std::mem::take(&mut room).split_at_mut(len);
            room = rest;
            slot[..shard.len()].copy_from_slice(shard);
            let slot: &'a [u8] = slot;
            slot
        })
        .collect()
}

/// Writes the `parity.len()` repair symbols of a block whose source units are `units` (one
/// per source, unpadded), each `parity` buffer being the block's symbol length.
pub(crate) fn encode_parity(
    code: Code,
    units: &[&[u8]],
    parity: &mut [&mut [u8]],
    scratch: &mut Vec<u8>,
) -> Result<(), FecError> {
    let (k, m) = (units.len(), parity.len());
    let len = parity.first().map_or(0, |p| p.len());
    let data = padded(units, len, scratch);
    match code.kind {
        CodeKind::ReedSolomon => ReedSolomon::shared(k, k + m)?.encode_parity(&data, parity),
        CodeKind::Xor => {
            let stripes = Stripes::new(k, m);
            for group in 0..stripes.groups {
                let sources: Vec<&[u8]> = stripes.sources(group).map(|i| data[i]).collect();
                let xor = XorParity::new(sources.len())?;
                for j in stripes.repairs(group) {
                    xor.encode_parity(&sources, parity[j])?;
                }
            }
            Ok(())
        }
        CodeKind::MirroredLt => MirroredLt::new(k, m, code.seed)?.encode_repair(&data, parity),
    }
}

/// Rebuilds what it can of the missing sources of a `k`-source, `m`-repair block whose
/// symbols are `len` bytes, from `symbols` (index, bytes; DATA unpadded; distinct indices
/// below k + m, as many as are held). Returns the rebuilt units, padded, with their indices,
/// ascending: for Reed-Solomon every missing source once k symbols are in and none before;
/// for XOR and LT whichever sources the symbols determine, however few they are.
pub(crate) fn recover(
    code: Code,
    k: usize,
    m: usize,
    len: usize,
    symbols: &[(usize, &[u8])],
    scratch: &mut Vec<u8>,
) -> Result<Vec<(usize, Vec<u8>)>, FecError> {
    let indices: Vec<usize> = symbols.iter().map(|&(index, _)| index).collect();
    let shards: Vec<&[u8]> = symbols.iter().map(|&(_, bytes)| bytes).collect();
    // Where each symbol of the block sits in `symbols`, if held.
    let mut held = vec![None; k + m];
    for (position, &index) in indices.iter().enumerate() {
        if let Some(slot) = held.get_mut(index) {
            *slot = Some(position);
        }
    }
    match code.kind {
        CodeKind::ReedSolomon => {
            if symbols.len() < k {
                return Ok(Vec::new());
            }
            let codec = ReedSolomon::shared(k, k + m)?;
            let (indices, shards) = (&indices[..k], &shards[..k]);
            let missing = codec.missing_data(indices)?;
            let mut rebuilt = vec![vec![0u8; len]; missing.len()];
            let mut outputs: Vec<&mut [u8]> = rebuilt.iter_mut().map(Vec::as_mut_slice).collect();
            codec.recover_into(&padded(shards, len, scratch), indices, &mut outputs)?;
            Ok(missing.into_iter().zip(rebuilt).collect())
        }
        CodeKind::Xor => {
            let stripes = Stripes::new(k, m);
            let mut rebuilt = Vec::new();
            for group in 0..stripes.groups {
                let sources: Vec<usize> = stripes.sources(group).collect();
                let mut missing = sources.iter().filter(|&&i| held[i].is_none());
                let (Some(&lost), None) = (missing.next(), missing.next()) else { continue };
                let Some(parity) = stripes.repairs(group).find_map(|j| held[k + j]) else { continue };
                // The group as a single-parity code of its own: its sources 0.., its parity last.
                // Only its symbols are padded: a block tried on every arrival copies little.
                let (mut local, mut at): (Vec<&[u8]>, Vec<usize>) =
                    sources.iter().enumerate().filter_map(|(n, &i)| Some((shards[held[i]?], n))).unzip();
                local.push(shards[parity]);
                at.push(sources.len());
                let mut unit = vec![0u8; len];
                XorParity::new(sources.len())?.recover_into(&padded(&local, len, scratch), &at, &mut unit)?;
                rebuilt.push((lost, unit));
            }
            rebuilt.sort_unstable_by_key(|&(index, _)| index);
            Ok(rebuilt)
        }
        CodeKind::MirroredLt => {
            let lt = MirroredLt::new(k, m, code.seed)?;
            // Peeling on the graph alone is cheap; the bytes are touched only for a gain.
            let known = lt.recoverable(&indices)?;
            if !(0..k).any(|i| known[i] && held[i].is_none()) {
                return Ok(Vec::new());
            }
            let decoded = lt.decode(&padded(&shards, len, scratch), &indices)?;
            let rebuilt = decoded.into_iter().enumerate().filter(|&(i, _)| held[i].is_none());
            Ok(rebuilt.filter_map(|(i, unit)| Some((i, unit?))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes `units` with `code` into `m` repairs of `len` bytes.
    fn repairs(code: Code, units: &[&[u8]], m: usize, len: usize) -> Vec<Vec<u8>> {
        let mut parity = vec![vec![0u8; len]; m];
        let mut outs: Vec<&mut [u8]> = parity.iter_mut().map(Vec::as_mut_slice).collect();
        encode_parity(code, units, &mut outs, &mut Vec::new()).unwrap();
        parity
    }

    /// What `code` rebuilds of `units` (k of them) with the symbols in `kept` held.
    fn rebuild(code: Code, units: &[&[u8]], m: usize, len: usize, kept: &[usize]) -> Vec<(usize, Vec<u8>)> {
        let parity = repairs(code, units, m, len);
        let symbol = |i: usize| if i < units.len() { units[i] } else { &parity[i - units.len()][..] };
        let symbols: Vec<(usize, &[u8])> = kept.iter().map(|&i| (i, symbol(i))).collect();
        recover(code, units.len(), m, len, &symbols, &mut Vec::new()).unwrap()
    }

    fn pad(unit: &[u8], len: usize) -> Vec<u8> {
        let mut padded = unit.to_vec();
        padded.resize(len, 0);
        padded
    }

    #[test]
    fn units_of_unequal_length_survive_any_k_of_n() {
        let units: [&[u8]; 3] = [b"\x00\x01a", b"\x00\x03bcd", b"\x00\x00"];
        let rebuilt = rebuild(Code::REED_SOLOMON, &units, 2, 5, &[1, 3, 4]);
        assert_eq!(rebuilt, [(0, b"\x00\x01a\x00\x00".to_vec()), (2, b"\x00\x00\x00\x00\x00".to_vec())]);
        assert_eq!(rebuild(Code::REED_SOLOMON, &units, 2, 5, &[1, 3]), [], "fewer than k: nothing");
    }

    #[test]
    fn xor_stripes_rebuild_one_loss_per_group_from_fewer_than_k() {
        let units: [&[u8]; 5] = [b"a", b"bb", b"ccc", b"dd", b"e"];
        let xor = Code::for_block(CodeKind::Xor, 0);
        // Two groups: sources {0, 2, 4} with repair 5, {1, 3} with repair 6.
        let parity = repairs(xor, &units, 2, 3);
        assert_eq!(parity[0], [b'a' ^ b'c' ^ b'e', b'c', b'c']);
        assert_eq!(parity[1], [b'b' ^ b'd', b'b' ^ b'd', 0]);
        // 0 and 1 lost, one per group, and 6 symbols of 7 held: both come back.
        assert_eq!(rebuild(xor, &units, 2, 3, &[2, 3, 4, 5, 6]), [(0, pad(b"a", 3)), (1, pad(b"bb", 3))]);
        // Without group 1's parity only group 0 comes back; two losses in a group, neither.
        assert_eq!(rebuild(xor, &units, 2, 3, &[2, 3, 4, 5]), [(0, pad(b"a", 3))]);
        assert_eq!(rebuild(xor, &units, 2, 3, &[1, 3, 4, 5, 6]), []);
    }

    #[test]
    fn xor_with_more_repairs_than_sources_repeats_them() {
        let units: [&[u8]; 2] = [b"ab", b"cd"];
        let xor = Code::for_block(CodeKind::Xor, 0);
        assert_eq!(repairs(xor, &units, 3, 2), [b"ab".to_vec(), b"cd".to_vec(), b"ab".to_vec()]);
        assert_eq!(rebuild(xor, &units, 3, 2, &[4]), [(0, b"ab".to_vec())]);
    }

    #[test]
    fn mirrored_lt_rebuilds_a_single_loss_from_a_pair_and_depends_on_the_block() {
        let units: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 1 + usize::from(i) % 4]).collect();
        let units: Vec<&[u8]> = units.iter().map(Vec::as_slice).collect();
        for lost in 0..10 {
            let kept: Vec<usize> = (0..12).filter(|&i| i != lost).collect();
            let lt = Code::for_block(CodeKind::MirroredLt, 77);
            assert_eq!(rebuild(lt, &units, 2, 4, &kept), [(lost, pad(units[lost], 4))], "lost {lost}");
        }
        let (a, b) = (Code::for_block(CodeKind::MirroredLt, 1), Code::for_block(CodeKind::MirroredLt, 2));
        assert_ne!(repairs(a, &units, 2, 4), repairs(b, &units, 2, 4), "the block id seeds the graph");
    }
}
