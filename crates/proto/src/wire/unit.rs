//! The FEC-protected form of a source datagram:
//! `[len u16][send time u32][payload][zero padding]`.
//!
//! Symbols of one block must be equally long, but datagrams are not. Carrying the true length
//! inside the protected bytes means a symbol rebuilt from repair data says how much of itself
//! is payload, so a recovered datagram comes back exact. The send time (the sender's clock in
//! microseconds, wrapping at 2^32) is protected for the same reason: a rebuilt datagram keeps
//! its own deadline at the receiver. On the wire a DATA packet carries its unit without
//! padding; the padding up to the block's symbol length is implicit zeros.

use bytes::BufMut;

use crate::error::WireError;
use crate::wire::reader::Reader;

/// Bytes before the payload: length and send time.
pub const UNIT_PREFIX: usize = 6;

/// The largest payload a unit can describe.
pub const MAX_UNIT_PAYLOAD: usize = u16::MAX as usize;

/// A validated unit, borrowed from a datagram or a recovery buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit<'a> {
    bytes: &'a [u8],
    len: usize,
}

impl<'a> Unit<'a> {
    /// Parses a unit that may carry zero padding after its payload (a rebuilt symbol).
    /// Non-zero padding means the symbols it was rebuilt from were inconsistent.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        let mut reader = Reader::new(bytes);
        let len = usize::from(reader.u16("unit length")?);
        reader.u32("send time")?;
        let body = reader.rest();
        if len > body.len() {
            return Err(WireError::LengthMismatch { field: "unit length", declared: len, actual: body.len() });
        }
        if body[len..].iter().any(|&b| b != 0) {
            return Err(WireError::NonZeroPadding { len });
        }
        Ok(Unit { bytes, len })
    }

    /// Parses a unit with no padding, as a DATA packet carries it.
    pub fn parse_exact(bytes: &'a [u8]) -> Result<Self, WireError> {
        let unit = Unit::parse(bytes)?;
        if unit.bytes.len() != UNIT_PREFIX + unit.len {
            return Err(WireError::LengthMismatch {
                field: "unit length",
                declared: unit.len,
                actual: unit.bytes.len() - UNIT_PREFIX,
            });
        }
        Ok(unit)
    }

    /// When the sender sent it: its clock in microseconds, truncated to 32 bits.
    pub fn sent_at(&self) -> u32 {
        u32::from_be_bytes(self.bytes[2..UNIT_PREFIX].try_into().expect("parsed units hold their prefix"))
    }

    /// The datagram as the sender passed it.
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[UNIT_PREFIX..UNIT_PREFIX + self.len]
    }

    /// The whole unit, prefix and any padding included: what the code protects.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// An unpadded unit a sender framed from a payload, owning its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedUnit(Vec<u8>);

impl OwnedUnit {
    /// Frames `payload` sent at `sent_at` (microseconds, truncated); `None` if it is longer
    /// than [`MAX_UNIT_PAYLOAD`].
    pub fn frame(payload: &[u8], sent_at: u32) -> Option<Self> {
        Self::frame_parts(&[payload], sent_at)
    }

    /// As [`Self::frame`], with the payload given in pieces (e.g. a stream header and the
    /// application's bytes), so it is copied once, straight into the unit.
    pub fn frame_parts(parts: &[&[u8]], sent_at: u32) -> Option<Self> {
        let mut unit = Vec::with_capacity(UNIT_PREFIX + parts.iter().map(|part| part.len()).sum::<usize>());
        frame_into(&mut unit, parts, sent_at)?;
        Some(OwnedUnit(unit))
    }

    /// The unit, to put in a DATA packet.
    pub fn as_unit(&self) -> Unit<'_> {
        Unit { bytes: &self.0, len: self.0.len() - UNIT_PREFIX }
    }

    /// The unit's bytes, prefix included: the source symbol before padding.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Appends the unit framing `parts` (joined) sent at `sent_at` to `out`; `None`, with `out`
/// untouched, if they are longer than [`MAX_UNIT_PAYLOAD`]. A sender frames straight into its
/// DATA datagram this way, copying the application's bytes once.
pub fn frame_into(out: &mut impl BufMut, parts: &[&[u8]], sent_at: u32) -> Option<()> {
    let len = payload_len(parts)?;
    out.put_u16(len);
    out.put_u32(sent_at);
    for part in parts {
        out.put_slice(part);
    }
    Some(())
}

/// The length of the payload `parts` make together, if a unit can carry it.
pub fn payload_len(parts: &[&[u8]]) -> Option<u16> {
    u16::try_from(parts.iter().map(|part| part.len()).sum::<usize>()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_then_parse_round_trips_and_padding_is_checked() {
        let owned = OwnedUnit::frame(b"abc", 0x0102_0304).unwrap();
        let framed = owned.as_bytes();
        assert_eq!(framed, [0, 3, 1, 2, 3, 4, b'a', b'b', b'c']);
        assert_eq!(owned.as_unit().sent_at(), 0x0102_0304);
        assert_eq!(Unit::parse_exact(framed), Ok(owned.as_unit()));
        let mut padded = framed.to_vec();
        padded.extend_from_slice(&[0, 0]);
        assert_eq!(Unit::parse(&padded).unwrap().payload(), b"abc");
        assert!(matches!(Unit::parse_exact(&padded), Err(WireError::LengthMismatch { .. })));
        padded[10] = 1;
        assert_eq!(Unit::parse(&padded), Err(WireError::NonZeroPadding { len: 3 }));
        assert!(matches!(Unit::parse(&[0, 9, 0, 0, 0, 0, 1]), Err(WireError::LengthMismatch { .. })));
        assert!(matches!(Unit::parse(&[0, 0, 0]), Err(WireError::Truncated { .. })));
        assert!(OwnedUnit::frame(&vec![0; MAX_UNIT_PAYLOAD + 1], 0).is_none());
        assert_eq!(OwnedUnit::frame(b"", 0).unwrap().as_unit().payload(), b"");
    }
}
