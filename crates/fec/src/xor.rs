//! Single XOR parity: one parity shard, the byte-wise XOR of k data shards, so whichever one
//! shard of the k + 1 is lost is the XOR of the other k.
//!
//! Seed 001 sends this for small frames: it is the cheapest code there is, but a second loss in
//! the same block is fatal. To spend m parity shards on one frame, stripe it into m blocks
//! (data shard i in block i % m) so that one loss per block is recoverable.
//!
//! ```
//! use fec::XorParity;
//! let xor = XorParity::new(3).unwrap();
//! let shards = xor.encode(&[b"ab", b"cd", b"ef"]).unwrap();
//! assert_eq!(shards[3], [b'a' ^ b'c' ^ b'e', b'b' ^ b'd' ^ b'f']);
//! // Data shard 1 is lost: the other data shards and the parity give it back.
//! let got: Vec<&[u8]> = [0, 2, 3].iter().map(|&i| shards[i].as_slice()).collect();
//! assert_eq!(xor.decode(&got, &[0, 2, 3]).unwrap()[1], b"cd");
//! ```

use crate::check;
use crate::codec::MAX_SHARDS;
use crate::error::FecError;

/// The single-parity code for k data shards (indices `0..k`); the parity shard is index `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XorParity {
    k: usize,
}

impl XorParity {
    /// Builds the code for `1 <= k <= 255`: the same 256-shard ceiling as Reed-Solomon, since
    /// past a small block the chance of two losses in it makes a single parity shard futile.
    pub fn new(k: usize) -> Result<Self, FecError> {
        if k == 0 || k >= MAX_SHARDS {
            return Err(FecError::CodeShape { code: "xor", k, m: 1, max_k: MAX_SHARDS - 1, max_m: 1 });
        }
        Ok(XorParity { k })
    }

    /// Number of data shards.
    pub fn data_shards(&self) -> usize {
        self.k
    }

    /// Number of shards in all: the data and the one parity shard.
    pub fn total_shards(&self) -> usize {
        self.k + 1
    }

    /// Writes the parity of `data` (k shards of equal length) into `parity`.
    pub fn encode_parity(&self, data: &[&[u8]], parity: &mut [u8]) -> Result<(), FecError> {
        let len = check::shard_len("shards", data, self.k..=self.k)?;
        check::lengths("parity", [parity.len()], len)?;
        xor_of(parity, data.iter().copied());
        Ok(())
    }

    /// Encodes k data shards into all k + 1 shards (copies of the data, then the parity).
    pub fn encode(&self, data: &[&[u8]]) -> Result<Vec<Vec<u8>>, FecError> {
        let len = check::shard_len("shards", data, self.k..=self.k)?;
        let mut parity = vec![0u8; len];
        self.encode_parity(data, &mut parity)?;
        Ok(data.iter().map(|s| s.to_vec()).chain([parity]).collect())
    }

    /// Rebuilds the data shard absent from `indices`, if one is, into `out` and returns its
    /// index. `shards` are the shards with those `indices`: k or k + 1 of them, in any order.
    /// `out` is left alone when no data shard is missing.
    pub fn recover_into(&self, shards: &[&[u8]], indices: &[usize], out: &mut [u8]) -> Result<Option<usize>, FecError> {
        let len = check::shard_len("shards", shards, self.k..=self.k + 1)?;
        check::count("indices", indices.len(), shards.len())?;
        let at = check::positions(indices, self.total_shards())?;
        let Some(missing) = at[..self.k].iter().position(Option::is_none) else {
            return Ok(None);
        };
        check::lengths("out", [out.len()], len)?;
        // Exactly k distinct shards are present, so the XOR of all of them is the missing one.
        xor_of(out, shards.iter().copied());
        Ok(Some(missing))
    }

    /// Decodes the k data shards, in order, from any k (or all k + 1) shards and their indices.
    pub fn decode(&self, shards: &[&[u8]], indices: &[usize]) -> Result<Vec<Vec<u8>>, FecError> {
        let len = check::shard_len("shards", shards, self.k..=self.k + 1)?;
        let mut rebuilt = vec![0u8; len];
        let missing = self.recover_into(shards, indices, &mut rebuilt)?;
        let mut rebuilt = Some(rebuilt);
        Ok((0..self.k)
            .map(|d| match indices.iter().position(|&i| i == d) {
                Some(pos) => shards[pos].to_vec(),
                None => {
                    debug_assert_eq!(missing, Some(d));
                    rebuilt.take().expect("one data shard at most is missing")
                }
            })
            .collect())
    }
}

/// `out = XOR of inputs` (zeros for none). All slices must have `out`'s length.
pub(crate) fn xor_of<'a>(out: &mut [u8], inputs: impl IntoIterator<Item = &'a [u8]>) {
    let mut inputs = inputs.into_iter();
    match inputs.next() {
        Some(first) => out.copy_from_slice(first),
        None => out.fill(0),
    }
    for input in inputs {
        xor_into(out, input);
    }
}

/// `dst ^= src`. A word at a time: optimised builds vectorise either form, but unoptimised ones
/// (which run the property tests) take an eighth of the steps of a byte loop.
pub(crate) fn xor_into(dst: &mut [u8], src: &[u8]) {
    debug_assert_eq!(dst.len(), src.len());
    let mut words = dst.chunks_exact_mut(8);
    let mut from = src.chunks_exact(8);
    for (d, s) in (&mut words).zip(&mut from) {
        let x = u64::from_ne_bytes(d.try_into().unwrap()) ^ u64::from_ne_bytes(s.try_into().unwrap());
        d.copy_from_slice(&x.to_ne_bytes());
    }
    for (d, s) in words.into_remainder().iter_mut().zip(from.remainder()) {
        *d ^= s;
    }
}
