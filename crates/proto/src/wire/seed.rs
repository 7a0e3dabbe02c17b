//! Seed 000's wire format, exactly: a 9-byte header packed as Python's `struct` `>IBBBH`
//! (batch_id u32, idx u8, k u8, n u8, orig_len u16, big-endian) followed by one zfec fragment.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           batch_id                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      idx      |       k       |       n       | orig_len (hi) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | orig_len (lo) |  fragment: ceil(orig_len / k) bytes ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::error::WireError;
use crate::wire::reader::Reader;

/// Bytes in the seed header.
pub const SEED_HEADER_LEN: usize = 9;

/// The fields of a seed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeedHeader {
    /// Which message the fragment belongs to.
    pub batch_id: u32,
    /// The fragment's index among the n (`0..k` are the padded message itself).
    pub index: u8,
    /// Fragments needed to decode.
    pub k: u8,
    /// Fragments sent.
    pub n: u8,
    /// The message length before padding to a multiple of k.
    pub orig_len: u16,
}

impl SeedHeader {
    /// The fragment length this header implies: the message padded to a multiple of k, over k.
    pub fn fragment_len(&self) -> usize {
        fec::fragment_len(usize::from(self.orig_len), usize::from(self.k.max(1)))
    }
}

/// One seed datagram: a header and the fragment it describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedPacket<'a> {
    /// The header.
    pub header: SeedHeader,
    /// The zfec fragment.
    pub fragment: &'a [u8],
}

impl<'a> SeedPacket<'a> {
    /// Parses a datagram, rejecting impossible shapes (k = 0, k > n), an index not below n,
    /// and a fragment whose length is not `ceil(orig_len / k)`.
    pub fn parse(datagram: &'a [u8]) -> Result<Self, WireError> {
        let mut reader = Reader::new(datagram);
        let header = SeedHeader {
            batch_id: reader.u32("batch_id")?,
            index: reader.u8("idx")?,
            k: reader.u8("k")?,
            n: reader.u8("n")?,
            orig_len: reader.u16("orig_len")?,
        };
        let (k, n, index) = (usize::from(header.k), usize::from(header.n), usize::from(header.index));
        if k == 0 || k > n {
            return Err(WireError::InvalidShape { k, n });
        }
        if index >= n {
            return Err(WireError::IndexOutOfRange { index, start: 0, end: n });
        }
        let fragment = reader.rest();
        if fragment.len() != header.fragment_len() {
            return Err(WireError::LengthMismatch {
                field: "fragment (ceil(orig_len / k))",
                declared: header.fragment_len(),
                actual: fragment.len(),
            });
        }
        Ok(SeedPacket { header, fragment })
    }

    /// Appends the datagram to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let h = &self.header;
        out.reserve(SEED_HEADER_LEN + self.fragment.len());
        out.extend_from_slice(&h.batch_id.to_be_bytes());
        out.extend_from_slice(&[h.index, h.k, h.n]);
        out.extend_from_slice(&h.orig_len.to_be_bytes());
        out.extend_from_slice(self.fragment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's example: "Hello, World!" with k=4, n=16, fragment 4 (the first parity).
    #[test]
    fn seed_example_fragment_layout() {
        let packet = SeedPacket {
            header: SeedHeader { batch_id: 7, index: 4, k: 4, n: 16, orig_len: 13 },
            fragment: &[0x82, 0x91, 0xb4, 0xe5],
        };
        let mut bytes = Vec::new();
        packet.encode(&mut bytes);
        assert_eq!(bytes, [0, 0, 0, 7, 4, 4, 16, 0, 13, 0x82, 0x91, 0xb4, 0xe5]);
        assert_eq!(SeedPacket::parse(&bytes), Ok(packet));
    }

    #[test]
    fn impossible_headers_are_typed_errors() {
        let parse =
            |header: [u8; 9], fragment: &[u8]| SeedPacket::parse(&[&header[..], fragment].concat()).map(|p| p.header);
        assert!(matches!(parse([0; 9], &[]), Err(WireError::InvalidShape { k: 0, n: 0 })));
        assert!(matches!(parse([0, 0, 0, 0, 0, 5, 4, 0, 1], &[]), Err(WireError::InvalidShape { k: 5, n: 4 })));
        assert!(matches!(parse([0, 0, 0, 0, 4, 2, 4, 0, 1], &[]), Err(WireError::IndexOutOfRange { index: 4, .. })));
        assert!(matches!(parse([0, 0, 0, 0, 1, 2, 4, 0, 5], &[1, 2]), Err(WireError::LengthMismatch { .. })));
        assert!(parse([0, 0, 0, 0, 1, 2, 4, 0, 5], &[1, 2, 3]).is_ok());
        assert!(matches!(SeedPacket::parse(&[0; 8]), Err(WireError::Truncated { field: "orig_len", .. })));
    }
}
