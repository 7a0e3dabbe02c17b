//! The erasure codes a socket can choose between, by name.

use std::fmt;
use std::str::FromStr;

use crate::error::FecError;

/// Which code protects a block. Reed-Solomon is the default: it is MDS (any k of the n shards
/// decode), which the XOR and mirrored-LT codes trade away for cheaper XOR-only arithmetic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// [`crate::ReedSolomon`]: recovers any m losses among k + m shards.
    #[default]
    ReedSolomon,
    /// [`crate::XorParity`]: one parity shard per block, recovers one loss in it.
    Xor,
    /// [`crate::MirroredLt`]: paired XOR repair shards, peeled; recovers any single loss
    /// given a pair, more with falling probability.
    MirroredLt,
}

impl CodeKind {
    /// Every kind, default first.
    pub const ALL: [CodeKind; 3] = [CodeKind::ReedSolomon, CodeKind::Xor, CodeKind::MirroredLt];

    /// The short name [`FromStr`] reads and [`fmt::Display`] writes: "rs", "xor" or "lt".
    pub fn name(self) -> &'static str {
        match self {
            CodeKind::ReedSolomon => "rs",
            CodeKind::Xor => "xor",
            CodeKind::MirroredLt => "lt",
        }
    }
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CodeKind {
    type Err = FecError;

    /// Reads a short name ("rs", "xor", "lt") or a long one ("reed-solomon", "mirrored-lt"),
    /// in any case, as a URL query or CLI flag would spell it.
    fn from_str(name: &str) -> Result<Self, FecError> {
        match name.to_ascii_lowercase().as_str() {
            "rs" | "reed-solomon" => Ok(CodeKind::ReedSolomon),
            "xor" => Ok(CodeKind::Xor),
            "lt" | "mirrored-lt" => Ok(CodeKind::MirroredLt),
            _ => Err(FecError::UnknownCode { name: name.to_owned() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in CodeKind::ALL {
            assert_eq!(kind.to_string().parse::<CodeKind>(), Ok(kind));
        }
    }

    #[test]
    fn long_names_and_case_are_accepted() {
        assert_eq!("Reed-Solomon".parse(), Ok(CodeKind::ReedSolomon));
        assert_eq!("mirrored-lt".parse(), Ok(CodeKind::MirroredLt));
        assert_eq!("XOR".parse(), Ok(CodeKind::Xor));
        assert_eq!(CodeKind::default(), CodeKind::ReedSolomon);
    }

    #[test]
    fn unknown_names_are_refused_by_name() {
        for name in ["", "raptorq", "rs ", "l t"] {
            let err = name.parse::<CodeKind>().unwrap_err();
            assert_eq!(err, FecError::UnknownCode { name: name.to_owned() });
            assert!(err.is_range_error());
            assert!(err.to_string().contains("rs, xor, lt"), "{err}");
        }
    }
}
