//! One FEC block on the receiving side: the symbols in so far and which sources are known.
//! Stream mode and frame mode both keep their blocks as these.
//!
//! The shape (k, m, symbol length, code) is fixed by the first packet that declares it: a
//! stream block's first REPAIR (its DATA leaves the sender before the block closes, so it cannot
//! say), any symbol of a frame. A later symbol contradicting it is a conflict and is dropped,
//! never allowed into a decode.

use bytes::{Bytes, BytesMut};

use crate::arena;
use crate::bits::Bits;
use crate::codec::{self, Code};
use crate::inbox::Verdict;
use crate::window::Held;

/// A block's declared shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    k: u8,
    m: u8,
    symbol_len: usize,
    code: Code,
}

/// Reassembly state of one block.
#[derive(Default)]
pub(crate) struct Block {
    shape: Option<Shape>,
    /// Symbol bytes by index (sources possibly shorter than the symbol length, the rest being
    /// implicit zero padding), grown on demand. Rebuilt sources are stored here too. Shared, so
    /// a source's payload goes on to delivery as a view of it rather than a copy.
    symbols: Vec<Option<Bytes>>,
    present: Bits,
    /// Source indices received or rebuilt.
    sources: Bits,
    /// Sources the block is known to have even before its shape: highest source index + 1.
    sources_seen: usize,
    /// Where received symbols are copied, several to a buffer: a symbol then costs a copy and a
    /// reference count, not two allocations (its own buffer, and the shared handle `Bytes`
    /// makes when its payload is split off for delivery). Each buffer holds twice the symbols
    /// of the last (1, 2, 4, ... up to [`ARENA_MAX_SYMBOLS`]), so a block that gets one symbol
    /// holds one symbol's bytes.
    arena: BytesMut,
    /// Symbols the next arena buffer is sized for.
    arena_symbols: usize,
    /// Bytes held in `symbols` and arena buffers, whole buffers counted: a buffer lives as
    /// long as any symbol in it, and all of them are this block's.
    bytes: usize,
}

/// The most symbols one arena buffer is sized for.
const ARENA_MAX_SYMBOLS: usize = 16;

impl Held for Block {
    fn bytes(&self) -> usize {
        std::mem::size_of::<Block>() + self.symbols.capacity() * std::mem::size_of::<Option<Bytes>>() + self.bytes
    }

    /// Sources known to exist but neither received nor rebuilt.
    fn lost(&self) -> u64 {
        let known = self.known_sources();
        (known - self.sources.count_below(known)) as u64
    }
}

impl Block {
    /// Sources the block is known to have: its declared k once a REPAIR has said, else the
    /// highest source index seen + 1.
    pub(crate) fn known_sources(&self) -> usize {
        self.shape.map_or(self.sources_seen, |shape| usize::from(shape.k))
    }

    /// Fixes the shape, or checks a symbol's declared shape against it.
    pub(crate) fn declare(&mut self, k: u8, m: u8, symbol_len: usize, code: Code) -> Verdict {
        let declared = Shape { k, m, symbol_len, code };
        match self.shape {
            Some(shape) if shape != declared => Verdict::Conflict,
            Some(_) => Verdict::Accepted,
            None => {
                // Before a shape, every symbol held is a source.
                let longest = self.symbols.iter().flatten().map(|source| source.len()).max();
                if self.sources_seen > usize::from(k) || longest > Some(symbol_len) {
                    return Verdict::Conflict;
                }
                self.shape = Some(declared);
                Verdict::Accepted
            }
        }
    }

    /// Takes a source symbol (unpadded or padded). `Accepted` means it is new.
    pub(crate) fn add_source(&mut self, index: u8, bytes: &[u8]) -> Verdict {
        if let Some(shape) = self.shape {
            if index >= shape.k || bytes.len() > shape.symbol_len {
                return Verdict::Conflict;
            }
        }
        let verdict = self.store(index, bytes);
        if verdict == Verdict::Accepted {
            self.sources.insert(index);
            self.sources_seen = self.sources_seen.max(usize::from(index) + 1);
        }
        verdict
    }

    /// Takes a repair symbol of a block whose shape is declared.
    pub(crate) fn add_repair(&mut self, index: u8, bytes: &[u8]) -> Verdict {
        let Some(shape) = self.shape else { return Verdict::Conflict };
        let repairs = usize::from(shape.k)..usize::from(shape.k) + usize::from(shape.m);
        if !repairs.contains(&usize::from(index)) || bytes.len() != shape.symbol_len {
            return Verdict::Conflict;
        }
        self.store(index, bytes)
    }

    /// Rebuilds what the symbols held determine of the missing sources, keeps it, and returns
    /// the indices rebuilt, ascending (empty if nothing could or needed to be rebuilt). Call it
    /// on every symbol accepted: Reed-Solomon rebuilds everything once any k symbols are in,
    /// XOR and LT rebuild sources one by one from fewer.
    pub(crate) fn recover(&mut self, scratch: &mut Vec<u8>) -> Vec<u8> {
        let Some(shape) = self.shape else { return Vec::new() };
        if self.complete() {
            return Vec::new();
        }
        let (k, m) = (usize::from(shape.k), usize::from(shape.m));
        let symbols: Vec<(usize, &[u8])> =
            self.symbols.iter().enumerate().filter_map(|(index, bytes)| Some((index, bytes.as_deref()?))).collect();
        // Every stored symbol was checked against the shape, so the codec cannot refuse it.
        let rebuilt = codec::recover(shape.code, k, m, shape.symbol_len, &symbols, scratch).unwrap_or_default();
        rebuilt
            .into_iter()
            .map(|(index, unit)| {
                let index = index as u8;
                if self.present.insert(index) {
                    self.bytes += unit.len();
                    self.keep(index, unit.into());
                }
                self.sources.insert(index);
                index
            })
            .collect()
    }

    /// The bytes of symbol `index`, if held or rebuilt.
    pub(crate) fn symbol(&self, index: u8) -> Option<&[u8]> {
        self.symbols.get(usize::from(index))?.as_deref()
    }

    /// Symbol `index` as held, to take views of without copying.
    pub(crate) fn shared_symbol(&self, index: u8) -> Option<&Bytes> {
        self.symbols.get(usize::from(index))?.as_ref()
    }

    /// True once every source is received or rebuilt: nothing more can come of this block.
    pub(crate) fn complete(&self) -> bool {
        self.shape.is_some_and(|shape| self.sources.count_below(usize::from(shape.k)) == usize::from(shape.k))
    }

    /// Copies `bytes` in as symbol `index`, unless it is held already (a duplicate costs no copy).
    fn store(&mut self, index: u8, bytes: &[u8]) -> Verdict {
        if !self.present.insert(index) {
            return Verdict::Duplicate;
        }
        let symbol = self.copy_in(bytes);
        self.keep(index, symbol);
        Verdict::Accepted
    }

    /// `bytes` copied into the arena, as a symbol of its own.
    fn copy_in(&mut self, bytes: &[u8]) -> Bytes {
        if self.arena.capacity() < bytes.len() {
            let room = bytes.len() * self.arena_symbols.max(1);
            self.arena_symbols = (2 * self.arena_symbols).clamp(1, ARENA_MAX_SYMBOLS);
            self.arena = BytesMut::with_capacity(room);
            self.bytes += room;
        }
        self.arena.extend_from_slice(bytes);
        arena::take_written(&mut self.arena)
    }

    /// Puts `symbol` in its slot.
    fn keep(&mut self, index: u8, symbol: Bytes) {
        let slot = usize::from(index);
        if self.symbols.len() <= slot {
            self.symbols.resize(slot + 1, None);
        }
        self.symbols[slot] = Some(symbol);
    }
}
