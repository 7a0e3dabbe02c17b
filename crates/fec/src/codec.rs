//! The Reed-Solomon codec for one (k, n) shape, with its cached decode matrices.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};

use lru::LruCache;

use crate::check;
use crate::error::FecError;
use crate::kernel::linear_combine;
use crate::matrix::{zfec_parity_rows, Matrix};

/// The largest `n`: GF(2^8) has 256 evaluation points.
pub const MAX_SHARDS: usize = 256;

/// Shapes kept by [`ReedSolomon::shared`]. Bounded because shapes can come off the network.
const SHAPE_CACHE: usize = 64;
/// Erasure patterns whose decode matrices each codec keeps.
const PATTERN_CACHE: usize = 256;

/// A set of shard indices, one bit per index.
type ShardSet = [u64; MAX_SHARDS / 64];

/// How to rebuild the missing data shards from one particular set of k received shards.
struct Recovery {
    /// The k shard indices used, ascending; the columns of `coefficients`.
    used: Vec<usize>,
    /// `missing.len() x k`: row r rebuilds the r-th missing data shard (ascending order).
    coefficients: Vec<u8>,
}

/// A systematic Reed-Solomon code with `k` data shards and `n - k` parity shards, using
/// zfec's encoding matrix. Shards `0..k` are the data itself; `k..n` are parity.
///
/// Safe to share between threads; decode matrices are cached per erasure pattern.
pub struct ReedSolomon {
    k: usize,
    n: usize,
    /// `(n - k) x k`, row j produces parity shard `k + j`.
    parity: Matrix,
    recoveries: Mutex<LruCache<ShardSet, Arc<Recovery>>>,
}

impl std::fmt::Debug for ReedSolomon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReedSolomon").field("k", &self.k).field("n", &self.n).finish()
    }
}

impl ReedSolomon {
    /// Builds the code for `1 <= k <= n <= 256`.
    pub fn new(k: usize, n: usize) -> Result<Self, FecError> {
        if k == 0 || k > n || n > MAX_SHARDS {
            return Err(FecError::InvalidShape { k, n });
        }
        Ok(ReedSolomon {
            k,
            n,
            parity: zfec_parity_rows(k, n),
            recoveries: Mutex::new(LruCache::new(NonZeroUsize::new(PATTERN_CACHE).unwrap())),
        })
    }

    /// The process-wide codec for a shape, built once and then reused (a bounded cache).
    pub fn shared(k: usize, n: usize) -> Result<Arc<Self>, FecError> {
        // Each thread remembers the last shape it asked for, so a run of calls with one shape
        // (the usual case) takes no lock.
        thread_local! {
            static LAST: std::cell::RefCell<Option<Arc<ReedSolomon>>> = const { std::cell::RefCell::new(None) };
        }
        LAST.with_borrow_mut(|last| match last {
            Some(codec) if codec.k == k && codec.n == n => Ok(codec.clone()),
            _ => {
                let codec = Self::shared_locked(k, n)?;
                *last = Some(codec.clone());
                Ok(codec)
            }
        })
    }

    fn shared_locked(k: usize, n: usize) -> Result<Arc<Self>, FecError> {
        /// Codecs by (k, n), least recently used evicted first.
        type Shapes = Mutex<LruCache<(usize, usize), Arc<ReedSolomon>>>;
        static SHAPES: OnceLock<Shapes> = OnceLock::new();
        let shapes = SHAPES.get_or_init(|| Mutex::new(LruCache::new(NonZeroUsize::new(SHAPE_CACHE).unwrap())));
        if let Some(codec) = shapes.lock().unwrap().get(&(k, n)) {
            return Ok(codec.clone());
        }
        let codec = Arc::new(ReedSolomon::new(k, n)?);
        shapes.lock().unwrap().put((k, n), codec.clone());
        Ok(codec)
    }

    /// Number of data shards.
    pub fn data_shards(&self) -> usize {
        self.k
    }

    /// Number of shards in all, data and parity.
    pub fn total_shards(&self) -> usize {
        self.n
    }

    /// Number of parity shards, `n - k`.
    pub fn parity_shards(&self) -> usize {
        self.n - self.k
    }

    /// The coefficients that produce parity shard `k + j` from the k data shards.
    pub fn parity_row(&self, j: usize) -> &[u8] {
        self.parity.row(j)
    }

    /// Writes the `n - k` parity shards of `data` (k shards of equal length) into `parity`.
    pub fn encode_parity(&self, data: &[&[u8]], parity: &mut [&mut [u8]]) -> Result<(), FecError> {
        let len = check::shard_len("shards", data, self.k..=self.k)?;
        check::count("parity", parity.len(), self.parity_shards())?;
        check::lengths("parity", parity.iter().map(|p| p.len()), len)?;
        linear_combine(&self.parity.data, data, parity);
        Ok(())
    }

    /// Encodes k data shards into all n shards (copies of the data first, then parity).
    pub fn encode(&self, data: &[&[u8]]) -> Result<Vec<Vec<u8>>, FecError> {
        let len = check::shard_len("shards", data, self.k..=self.k)?;
        let mut parity = vec![vec![0u8; len]; self.parity_shards()];
        let mut outputs: Vec<&mut [u8]> = parity.iter_mut().map(Vec::as_mut_slice).collect();
        self.encode_parity(data, &mut outputs)?;
        Ok(data.iter().map(|s| s.to_vec()).chain(parity).collect())
    }

    /// The data shard indices absent from `indices`, ascending: what [`Self::recover_into`]
    /// rebuilds, in the order it expects its outputs. Validates `indices`.
    pub fn missing_data(&self, indices: &[usize]) -> Result<Vec<usize>, FecError> {
        let present = self.index_set(indices)?;
        Ok((0..self.k).filter(|&i| !contains(&present, i)).collect())
    }

    /// Rebuilds the missing data shards (see [`Self::missing_data`]) from `shards`, the shards
    /// with the given `indices` (at least k, in any order), into `out`.
    pub fn recover_into(&self, shards: &[&[u8]], indices: &[usize], out: &mut [&mut [u8]]) -> Result<(), FecError> {
        let len = check::shard_len("shards", shards, self.k..=self.n)?;
        check::count("indices", indices.len(), shards.len())?;
        let present = self.index_set(indices)?;
        let missing = (0..self.k).filter(|&i| !contains(&present, i)).count();
        check::count("out", out.len(), missing)?;
        check::lengths("out", out.iter().map(|b| b.len()), len)?;
        if missing == 0 {
            return Ok(());
        }
        let recovery = self.recovery_for(&present);
        let mut position = [0usize; MAX_SHARDS];
        for (pos, &index) in indices.iter().enumerate() {
            position[index] = pos;
        }
        let inputs: Vec<&[u8]> = recovery.used.iter().map(|&index| shards[position[index]]).collect();
        linear_combine(&recovery.coefficients, &inputs, out);
        Ok(())
    }

    /// Decodes the k data shards, in order, from any k (or more) shards and their indices.
    pub fn decode(&self, shards: &[&[u8]], indices: &[usize]) -> Result<Vec<Vec<u8>>, FecError> {
        let len = check::shard_len("shards", shards, self.k..=self.n)?;
        check::count("indices", indices.len(), shards.len())?;
        let missing = self.missing_data(indices)?;
        let mut rebuilt = vec![vec![0u8; len]; missing.len()];
        let mut outputs: Vec<&mut [u8]> = rebuilt.iter_mut().map(Vec::as_mut_slice).collect();
        self.recover_into(shards, indices, &mut outputs)?;
        let mut rebuilt = rebuilt.into_iter();
        Ok((0..self.k)
            .map(|d| match indices.iter().position(|&i| i == d) {
                Some(pos) => shards[pos].to_vec(),
                None => rebuilt.next().expect("one rebuilt shard per missing index"),
            })
            .collect())
    }

    /// The decode matrix [`Self::recover_into`] applies for these indices: a row per missing
    /// data shard, a column per shard used (ascending index; all data shards present, then the
    /// lowest parity shards). Exposed to compare against other codecs on the same matrix.
    pub fn recovery_coefficients(&self, indices: &[usize]) -> Result<Vec<u8>, FecError> {
        let present = self.index_set(indices)?;
        if indices.len() < self.k {
            return Err(FecError::Count { argument: "indices", expected: format!("{} to {}", self.k, self.n), got: indices.len() });
        }
        Ok(self.recovery_for(&present).coefficients.clone())
    }

    fn index_set(&self, indices: &[usize]) -> Result<ShardSet, FecError> {
        let mut set = [0u64; MAX_SHARDS / 64];
        for (position, &index) in indices.iter().enumerate() {
            if index >= self.n {
                return Err(FecError::IndexOutOfRange { position, index, n: self.n });
            }
            if contains(&set, index) {
                return Err(FecError::DuplicateIndex { position, index });
            }
            set[index / 64] |= 1 << (index % 64);
        }
        Ok(set)
    }

    /// The decode matrix for the shards present, cached per pattern. Uses every data shard
    /// present and the lowest parity shards, so equal patterns share one cache entry.
    fn recovery_for(&self, present: &ShardSet) -> Arc<Recovery> {
        let data_present = (0..self.k).filter(|&i| contains(present, i));
        let parity_present = (self.k..self.n).filter(|&i| contains(present, i));
        let missing = self.k - data_present.clone().count();
        let used: Vec<usize> = data_present.chain(parity_present.take(missing)).collect();
        let mut key = [0u64; MAX_SHARDS / 64];
        for &i in &used {
            key[i / 64] |= 1 << (i % 64);
        }
        if let Some(hit) = self.recoveries.lock().unwrap().get(&key) {
            return hit.clone();
        }
        // Only the missing rows of the k x k inverse are needed, and the data shards present
        // are identity rows: so solve the e x e system of the parity rows used over the e
        // missing columns (A) instead of inverting k x k. With D the data present and s the
        // parity shards used, A d_missing = s + B d_present (B: those rows over D; GF(2^8)
        // adds and subtracts alike), so the rebuilding rows are [A^-1 B | A^-1], in `used`'s
        // order: e^3 + e^2 (k - e) products instead of k^3.
        let missing_rows: Vec<usize> = (0..self.k).filter(|&i| !contains(&key, i)).collect();
        let (data_used, parity_used) = used.split_at(self.k - missing_rows.len());
        let over = |columns: &[usize]| Matrix {
            rows: parity_used.len(),
            cols: columns.len(),
            data: parity_used.iter().flat_map(|&q| columns.iter().map(move |&c| self.parity.row(q - self.k)[c])).collect(),
        };
        let solve = over(&missing_rows).inverse().expect("every square submatrix of an MDS code's parity rows is invertible");
        let from_data = solve.multiply(&over(data_used));
        let coefficients = (0..missing_rows.len()).flat_map(|r| from_data.row(r).iter().chain(solve.row(r)).copied()).collect();
        let recovery = Arc::new(Recovery { used, coefficients });
        self.recoveries.lock().unwrap().put(key, recovery.clone());
        recovery
    }
}

fn contains(set: &ShardSet, index: usize) -> bool {
    set[index / 64] & (1 << (index % 64)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rebuilding rows the long way: the rows of the inverse of the k x k matrix of the
    /// shards used that belong to the missing data shards.
    fn by_full_inverse(codec: &ReedSolomon, used: &[usize]) -> Vec<u8> {
        let row = |i: usize| if i < codec.k { (0..codec.k).map(|c| u8::from(c == i)).collect() } else { codec.parity.row(i - codec.k).to_vec() };
        let rows = Matrix { rows: codec.k, cols: codec.k, data: used.iter().flat_map(|&i| row(i)).collect() };
        let missing: Vec<usize> = (0..codec.k).filter(|i| !used.contains(i)).collect();
        rows.inverse().expect("MDS").select_rows(&missing).data
    }

    #[test]
    fn the_reduced_solve_gives_the_rows_of_the_full_inverse() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for (k, n) in [(1, 3), (4, 16), (10, 14), (16, 20), (20, 25), (32, 64)] {
            let codec = ReedSolomon::new(k, n).unwrap();
            for _ in 0..200 {
                // A random set of at least k distinct shards.
                let mut indices: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    indices.swap(i, (seed % (i as u64 + 1)) as usize);
                }
                indices.truncate(k + (seed as usize >> 8) % (n - k + 1));
                let recovery = codec.recovery_for(&codec.index_set(&indices).unwrap());
                assert_eq!(recovery.coefficients, by_full_inverse(&codec, &recovery.used), "k {k} n {n} used {:?}", recovery.used);
            }
        }
    }
}
