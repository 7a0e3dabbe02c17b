//! HELLO and WELCOME: the two handshake messages (see `crate::secure::handshake`). The header's
//! connection id is the initiator's handshake id and its packet number the attempt; the body is
//! the Noise message (a HELLO's opens with the suite byte).

use crate::error::WireError;
use crate::secure::handshake::MAX_MESSAGE_LEN;
use crate::wire::reader::Reader;

/// A handshake message, borrowed from its datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handshake<'a> {
    /// The Noise message, 1 to 128 bytes.
    pub message: &'a [u8],
}

impl<'a> Handshake<'a> {
    pub(crate) fn parse(reader: &mut Reader<'a>) -> Result<Self, WireError> {
        let message = reader.rest();
        if message.is_empty() || message.len() > MAX_MESSAGE_LEN {
            return Err(WireError::LengthMismatch { field: "handshake message", declared: MAX_MESSAGE_LEN, actual: message.len() });
        }
        Ok(Handshake { message })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.message);
    }
}
