//! How many repair symbols a block gets.

use crate::error::ConfigError;

/// The code shape of full blocks, and through it the redundancy of short ones.
///
/// A block closed early by its time bound has k' < k sources and gets
/// m' = max(1, ceil(k' * m / k)) repair symbols: the same overhead ratio, never none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Redundancy {
    /// `k` sources and `n - k` repairs per full block; `1 <= k < n <= 256`.
    Fixed {
        /// Sources per full block.
        k: usize,
        /// Symbols per full block, sources and repairs.
        n: usize,
    },
    /// `k` sources and `ceil(k * ratio)` repairs per full block; `ratio > 0` and the full
    /// block must fit 256 symbols.
    Ratio {
        /// Sources per full block.
        k: usize,
        /// Repair symbols per source symbol, e.g. 0.25.
        ratio: f64,
    },
}

/// Parts per million, so a ratio like 0.3 is exact enough and the arithmetic stays integral
/// (a float `ceil(10 * 0.3)` is 4).
const PPM: u64 = 1_000_000;

/// A validated [`Redundancy`]: repairs = ceil(sources * numerator / denominator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    k: usize,
    numerator: u64,
    denominator: u64,
}

impl Plan {
    pub(crate) fn new(redundancy: Redundancy) -> Result<Plan, ConfigError> {
        let plan = match redundancy {
            Redundancy::Fixed { k, n } => {
                if k == 0 || n <= k || n > fec::MAX_SHARDS {
                    return Err(ConfigError::InvalidShape { k, n });
                }
                Plan { k, numerator: (n - k) as u64, denominator: k as u64 }
            }
            Redundancy::Ratio { k, ratio } => {
                if k == 0 || k >= fec::MAX_SHARDS {
                    return Err(ConfigError::InvalidShape { k, n: k });
                }
                if !(ratio > 0.0 && ratio <= 255.0) {
                    return Err(ConfigError::out_of_range("ratio", "above 0 and at most 255", ratio));
                }
                Plan { k, numerator: (ratio * PPM as f64).round() as u64, denominator: PPM }
            }
        };
        let n = plan.k + plan.repairs_for(plan.k);
        if n > fec::MAX_SHARDS {
            return Err(ConfigError::InvalidShape { k: plan.k, n });
        }
        Ok(plan)
    }

    /// Sources in a full block.
    pub(crate) fn k(&self) -> usize {
        self.k
    }

    /// Repair symbols per source of a full block.
    pub(crate) fn ratio(&self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    /// Repairs for a block of `sources` (1..=k) sources: the full block's ratio, at least 1.
    pub(crate) fn repairs_for(&self, sources: usize) -> usize {
        let exact = (sources as u64 * self.numerator).div_ceil(self.denominator);
        usize::try_from(exact).unwrap_or(usize::MAX).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_blocks_keep_the_ratio_and_at_least_one_repair() {
        let fixed = Plan::new(Redundancy::Fixed { k: 10, n: 13 }).unwrap();
        assert_eq!((fixed.k(), fixed.repairs_for(10), fixed.repairs_for(4), fixed.repairs_for(1)), (10, 3, 2, 1));
        let ratio = Plan::new(Redundancy::Ratio { k: 10, ratio: 0.3 }).unwrap();
        assert_eq!(ratio.repairs_for(10), 3, "0.3 must not round up to 4 through float error");
        assert_eq!(Plan::new(Redundancy::Ratio { k: 8, ratio: 0.25 }).unwrap().repairs_for(3), 1);
    }

    #[test]
    fn impossible_shapes_are_refused() {
        for redundancy in [
            Redundancy::Fixed { k: 0, n: 4 },
            Redundancy::Fixed { k: 4, n: 4 },
            Redundancy::Fixed { k: 200, n: 300 },
            Redundancy::Ratio { k: 0, ratio: 0.5 },
            Redundancy::Ratio { k: usize::MAX, ratio: 0.5 },
            Redundancy::Ratio { k: 200, ratio: 0.5 },
            Redundancy::Ratio { k: 4, ratio: 0.0 },
            Redundancy::Ratio { k: 4, ratio: f64::NAN },
        ] {
            assert!(Plan::new(redundancy).is_err(), "{redundancy:?}");
        }
    }
}
