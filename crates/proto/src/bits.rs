//! A set of symbol indices (0..256), one bit each: which symbols of a block are present or
//! delivered, without a heap allocation per block.

/// Indices 0..256, as a bitmap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bits([u64; 4]);

impl Bits {
    /// Adds `index`; false if it was already there.
    pub(crate) fn insert(&mut self, index: u8) -> bool {
        let (word, bit) = (usize::from(index / 64), 1u64 << (index % 64));
        let fresh = self.0[word] & bit == 0;
        self.0[word] |= bit;
        fresh
    }

    /// Whether `index` is in the set.
    pub(crate) fn contains(&self, index: u8) -> bool {
        self.0[usize::from(index / 64)] & (1u64 << (index % 64)) != 0
    }

    /// How many indices below `limit` are in the set.
    pub(crate) fn count_below(&self, limit: usize) -> usize {
        (0..limit.min(256)).filter(|&i| self.contains(i as u8)).count()
    }
}
