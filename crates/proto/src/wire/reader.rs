//! Bounds-checked big-endian reads: the one place parsers touch raw offsets, so a short
//! datagram becomes a [`WireError::Truncated`] instead of a panic.

use crate::error::WireError;

/// A cursor over a datagram.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, offset: 0 }
    }

    /// The next `len` bytes, named `field` in the error if they are not there.
    pub(crate) fn take(&mut self, field: &'static str, len: usize) -> Result<&'a [u8], WireError> {
        let available = self.bytes.len() - self.offset;
        if len > available {
            return Err(WireError::Truncated { field, offset: self.offset, needed: len, available });
        }
        let taken = &self.bytes[self.offset..self.offset + len];
        self.offset += len;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], WireError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(field, N)?);
        Ok(array)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Everything not yet read.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.offset..];
        self.offset = self.bytes.len();
        rest
    }

    /// Fails if bytes remain: fixed-size packets are exact, so extra bytes mean a forgery or
    /// a version we do not understand.
    pub(crate) fn finish(&self) -> Result<(), WireError> {
        match self.bytes.len() - self.offset {
            0 => Ok(()),
            extra => Err(WireError::TrailingBytes { extra }),
        }
    }
}
