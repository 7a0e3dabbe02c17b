//! Seed 001's "mirrored LT" code: a Luby transform rigged for small blocks and low loss.
//!
//! - Systematic: the k data symbols go out first, as they are (degree 1), so a loss-free block
//!   decodes with no work and no wait.
//! - Each repair symbol is the XOR of a fixed number of data symbols, about k/2 (ceil and floor
//!   alternating for odd k), at most 64, instead of LT's random degree distribution, which
//!   only behaves for thousands of symbols.
//! - Repair symbols come in pairs covering complementary sets, so one pair recovers any single
//!   lost data symbol, and two with probability about 1/2.
//!
//! Which data symbols a repair symbol covers follows from (k, its index, seed) alone (see
//! `graph.rs`); the receiver peels: a repair symbol with one unknown data symbol left yields it.
//! Unlike Reed-Solomon, recovery can be partial, so [`MirroredLt::decode`] reports, per data
//! symbol, whether it came back.
//!
//! ```
//! use fec::MirroredLt;
//! let lt = MirroredLt::new(4, 2, 7).unwrap();
//! let data: [&[u8]; 4] = [b"ab", b"cd", b"ef", b"gh"];
//! let shards = lt.encode(&data).unwrap();
//! // Data shard 2 is lost: the pair of repair shards (4 and 5) covers every data shard.
//! let indices = [0, 1, 3, 4, 5];
//! let got: Vec<&[u8]> = indices.iter().map(|&i| shards[i].as_slice()).collect();
//! let decoded = lt.decode(&got, &indices).unwrap();
//! assert_eq!(decoded[2].as_deref(), Some(&b"ef"[..]));
//! ```

mod graph;
mod peel;

use crate::check;
use crate::error::FecError;
use crate::xor::xor_of;

use graph::Graph;
pub use graph::MAX_LT_DEGREE;

/// The most shards (data and repair) in one block: seed 001's header numbers a frame's
/// sub-packets in 14 bits. Also bounds the graph a peer's k and m can make us build (about
/// 8 MiB at worst).
pub const MAX_LT_SHARDS: usize = 1 << 14;

/// The mirrored LT code for one (k, m, seed): data shards `0..k`, repair shards `k..k + m`.
pub struct MirroredLt {
    k: usize,
    m: usize,
    seed: u64,
    graph: Graph,
}

impl std::fmt::Debug for MirroredLt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MirroredLt").field("k", &self.k).field("m", &self.m).field("seed", &self.seed).finish()
    }
}

impl MirroredLt {
    /// Builds the code for `k >= 1` data shards and `m` repair shards, `k + m <= MAX_LT_SHARDS`.
    /// Sender and receiver must use the same `seed`; varying it per block (seed 001 uses the
    /// frame's timestamp) keeps one unlucky erasure pattern from defeating every block.
    pub fn new(k: usize, m: usize, seed: u64) -> Result<Self, FecError> {
        if k == 0 || k > MAX_LT_SHARDS || m > MAX_LT_SHARDS - k {
            return Err(FecError::CodeShape {
                code: "mirrored LT",
                k,
                m,
                max_k: MAX_LT_SHARDS,
                max_m: MAX_LT_SHARDS.saturating_sub(k),
            });
        }
        Ok(MirroredLt { k, m, seed, graph: Graph::new(k, m, seed) })
    }

    /// Number of data shards.
    pub fn data_shards(&self) -> usize {
        self.k
    }

    /// Number of repair shards.
    pub fn repair_shards(&self) -> usize {
        self.m
    }

    /// Number of shards in all, data and repair.
    pub fn total_shards(&self) -> usize {
        self.k + self.m
    }

    /// The seed the covered sets derive from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The data shards whose XOR is repair shard `k + repair`, in the order its shuffle dealt
    /// them (sort them for display; the XOR does not care).
    ///
    /// # Panics
    /// If `repair >= m`.
    pub fn covered(&self, repair: usize) -> &[u32] {
        assert!(repair < self.m, "repair shard {repair} of {}", self.m);
        self.graph.covers(repair)
    }

    /// Writes the m repair shards of `data` (k shards of equal length) into `repair`.
    pub fn encode_repair(&self, data: &[&[u8]], repair: &mut [&mut [u8]]) -> Result<(), FecError> {
        let len = check::shard_len("shards", data, self.k..=self.k)?;
        check::count("repair", repair.len(), self.m)?;
        check::lengths("repair", repair.iter().map(|r| r.len()), len)?;
        for (j, out) in repair.iter_mut().enumerate() {
            xor_of(out, self.graph.covers(j).iter().map(|&i| data[i as usize]));
        }
        Ok(())
    }

    /// Encodes k data shards into all k + m shards (copies of the data first, then repair).
    pub fn encode(&self, data: &[&[u8]]) -> Result<Vec<Vec<u8>>, FecError> {
        let len = check::shard_len("shards", data, self.k..=self.k)?;
        let mut repair = vec![vec![0u8; len]; self.m];
        let mut outputs: Vec<&mut [u8]> = repair.iter_mut().map(Vec::as_mut_slice).collect();
        self.encode_repair(data, &mut outputs)?;
        Ok(data.iter().map(|s| s.to_vec()).chain(repair).collect())
    }

    /// Which data shards [`Self::decode`] would give back from the shards with these indices,
    /// worked out on the graph alone (no bytes): cheap enough to ask on every arrival.
    pub fn recoverable(&self, indices: &[usize]) -> Result<Vec<bool>, FecError> {
        Ok(self.plan(indices)?.known)
    }

    /// Peels the received `shards` (any subset, any order; `indices` says which each one is)
    /// and returns one entry per data shard: its bytes if received or rebuilt, `None` if the
    /// shards received do not determine it by peeling.
    pub fn decode(&self, shards: &[&[u8]], indices: &[usize]) -> Result<Vec<Option<Vec<u8>>>, FecError> {
        check::shard_len("shards", shards, 0..=self.total_shards())?;
        check::count("indices", indices.len(), shards.len())?;
        let at = check::positions(indices, self.total_shards())?;
        let plan = self.plan_from(&at);
        let mut data: Vec<Option<Vec<u8>>> = at[..self.k].iter().map(|p| p.map(|p| shards[p].to_vec())).collect();
        for &(j, i) in &plan.steps {
            let repair = shards[at[self.k + j].expect("a step uses a received repair shard")];
            let others = self.graph.covers(j).iter().map(|&o| o as usize).filter(|&o| o != i);
            let mut rebuilt = vec![0u8; repair.len()];
            xor_of(
                &mut rebuilt,
                std::iter::once(repair).chain(others.map(|o| data[o].as_deref().expect("known before this step"))),
            );
            data[i] = Some(rebuilt);
        }
        Ok(data)
    }

    fn plan(&self, indices: &[usize]) -> Result<peel::Plan, FecError> {
        Ok(self.plan_from(&check::positions(indices, self.total_shards())?))
    }

    fn plan_from(&self, at: &[Option<usize>]) -> peel::Plan {
        let received: Vec<bool> = at.iter().map(Option::is_some).collect();
        peel::plan(&self.graph, received[..self.k].to_vec(), &received[self.k..])
    }
}
