//! Seed 000's message framing: pad to a multiple of k, split into k fragments, encode to n.

use crate::codec::ReedSolomon;
use crate::error::FecError;

/// The seed header carries the original length in 16 bits.
const MAX_MESSAGE: usize = u16::MAX as usize;

/// Length of each of the k fragments of a `message_len`-byte message.
pub fn fragment_len(message_len: usize, k: usize) -> usize {
    message_len.div_ceil(k)
}

/// Pads `message` with zero bytes to a multiple of k, splits it into k fragments and returns
/// all n encoded fragments, as seed 000 does before sending.
pub fn encode_message(message: &[u8], k: usize, n: usize) -> Result<Vec<Vec<u8>>, FecError> {
    let codec = ReedSolomon::shared(k, n)?;
    if message.len() > MAX_MESSAGE {
        return Err(FecError::MessageTooLong { got: message.len(), max: MAX_MESSAGE });
    }
    let len = fragment_len(message.len(), k);
    let mut padded = message.to_vec();
    padded.resize(len * k, 0);
    let data: Vec<&[u8]> = if len == 0 { vec![&[][..]; k] } else { padded.chunks(len).collect() };
    codec.encode(&data)
}

/// Decodes any k fragments (with their indices), joins them and strips the padding.
pub fn decode_message(
    fragments: &[&[u8]],
    indices: &[usize],
    k: usize,
    n: usize,
    orig_len: usize,
) -> Result<Vec<u8>, FecError> {
    let codec = ReedSolomon::shared(k, n)?;
    let mut joined = codec.decode(fragments, indices)?.concat();
    if orig_len > joined.len() {
        return Err(FecError::OriginalLength { orig_len, available: joined.len() });
    }
    joined.truncate(orig_len);
    Ok(joined)
}
