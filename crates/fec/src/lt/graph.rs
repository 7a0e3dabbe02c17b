//! Which data symbols each repair symbol of the mirrored LT code covers.
//!
//! The sets are a pure function of (k, repair index, seed), so sender and receiver derive them
//! instead of sending them: everything in this file is part of the wire format.
//!
//! Repair symbols come in pairs (2p, 2p + 1). A pair draws a pseudo-random window of data
//! symbols and splits it: the even symbol covers the first ceil(w/2) of the window, the odd one
//! the other floor(w/2). For k <= 128 the window is all k data symbols, so the two sets are
//! complements, of degree about k/2 (seed 001's "mirror selection"), and each pair draws a
//! fresh shuffle. Past that, a pair's degree would exceed the clamp of 64, so each shuffle
//! (a "round") is cut into ceil(k/128) near-equal windows, one per pair: every data symbol is
//! then covered once per round, and a pair still mirrors its window.

/// The most data symbols one repair symbol covers (seed 001's clamp).
pub const MAX_LT_DEGREE: usize = 64;

/// The data symbols one pair splits between its two repair symbols.
const WINDOW: usize = 2 * MAX_LT_DEGREE;

/// All repair symbols' sets for one (k, m, seed), and the reverse map the peeler walks.
pub(crate) struct Graph {
    /// Repair symbol j covers `covers[offsets[j]..offsets[j + 1]]`, in the order dealt.
    covers: Vec<u32>,
    offsets: Vec<usize>,
    /// Data symbol i is covered by repair symbols `covered_by[by_offsets[i]..by_offsets[i + 1]]`.
    covered_by: Vec<u32>,
    by_offsets: Vec<usize>,
}

impl Graph {
    /// The sets of repair symbols `0..m`. Callers bound k and m (and so the memory).
    pub(crate) fn new(k: usize, m: usize, seed: u64) -> Self {
        let mut covers = Vec::new();
        let mut offsets = vec![0];
        let mut shuffle: Option<(usize, Vec<u32>)> = None;
        for j in 0..m {
            let round = round_of(k, j);
            if shuffle.as_ref().is_none_or(|(r, _)| *r != round) {
                shuffle = Some((round, shuffled(k, seed, round)));
            }
            let (_, order) = shuffle.as_ref().expect("drawn above");
            covers.extend_from_slice(select(order, j));
            offsets.push(covers.len());
        }
        // Counting sort of the edges by data symbol: the reverse map in two passes, no per-node Vec.
        let mut by_offsets = vec![0usize; k + 1];
        for &i in &covers {
            by_offsets[i as usize + 1] += 1;
        }
        for i in 0..k {
            by_offsets[i + 1] += by_offsets[i];
        }
        let mut fill = by_offsets.clone();
        let mut covered_by = vec![0u32; covers.len()];
        for j in 0..m {
            for &i in &covers[offsets[j]..offsets[j + 1]] {
                covered_by[fill[i as usize]] = j as u32;
                fill[i as usize] += 1;
            }
        }
        Graph { covers, offsets, covered_by, by_offsets }
    }

    /// The data symbols repair symbol `j` covers, in the order its shuffle dealt them.
    pub(crate) fn covers(&self, j: usize) -> &[u32] {
        &self.covers[self.offsets[j]..self.offsets[j + 1]]
    }

    /// The repair symbols that cover data symbol `i`, ascending.
    pub(crate) fn covered_by(&self, i: usize) -> &[u32] {
        &self.covered_by[self.by_offsets[i]..self.by_offsets[i + 1]]
    }
}

/// How many pairs one shuffle of the k data symbols serves.
fn windows(k: usize) -> usize {
    k.div_ceil(WINDOW)
}

fn round_of(k: usize, j: usize) -> usize {
    j / 2 / windows(k)
}

/// Repair symbol `j`'s part of its round's shuffle `order`.
fn select(order: &[u32], j: usize) -> &[u32] {
    let k = order.len();
    let count = windows(k);
    let window = j / 2 % count;
    // Near-equal windows (sizes differ by one at most), so degrees stay alike across pairs.
    let (start, end) = (window * k / count, (window + 1) * k / count);
    let half = start + (end - start).div_ceil(2);
    match (j % 2, end - start) {
        (0, _) => &order[start..half],
        // A one-symbol window (k = 1) has no complement: both symbols copy it.
        (_, 1) => &order[start..end],
        _ => &order[half..end],
    }
}

/// The data symbols `0..k` in the order shuffle `round` deals them.
fn shuffled(k: usize, seed: u64, round: usize) -> Vec<u32> {
    let mut rng = SplitMix64(mix(mix(seed ^ mix(k as u64)) ^ round as u64));
    let mut order: Vec<u32> = (0..k as u32).collect();
    for i in (1..k).rev() {
        // Multiply-shift maps 64 random bits onto 0..=i; its bias (i / 2^64) is immaterial.
        let pick = ((u128::from(rng.next()) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, pick);
    }
    order
}

/// SplitMix64 (Steele, Lea and Flood): tiny, portable and specified to the bit, which is what a
/// generator both ends must replay needs; `rand`'s generators promise no stable output.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
}

/// SplitMix64's output function, also used to fold k and the round into the seed.
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
