//! Blocks in flight on a receiver: a capped, expiring, byte-budgeted map from block id to
//! reassembly state, remembering recently gone ids so their stragglers are recognised.
//!
//! Every receiver (seed batches, stream blocks, frames) keeps its state here, so the memory
//! bounds and the expiry rule are written once. Ids come off the network, so nothing here
//! trusts them: a flood of fresh ids evicts the oldest blocks instead of growing the map.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::time::Timestamp;

/// Block ids hashed with foldhash (randomly seeded per process): SipHash, std's default, showed
/// in a busy receiver's profile, one lookup per datagram. Ids come off the network, but the map
/// is capped, so even chosen collisions cost a bounded probe.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Reassembly state that can say what it holds.
pub(crate) trait Held {
    /// Bytes held, approximately: symbol bytes plus bookkeeping.
    fn bytes(&self) -> usize;

    /// Payloads that would never be delivered if the block were dropped now.
    fn lost(&self) -> u64;
}

/// Why an id is no longer in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gone {
    /// The block finished: its stragglers are redundant.
    Finished,
    /// The block expired or was evicted: its stragglers are late.
    Dropped,
}

/// Why a block left the window without finishing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// Its deadline passed.
    Expired,
    /// A cap (blocks or bytes) made room.
    Evicted,
}

/// What a window knows of a block id.
pub(crate) enum Lookup<'a, B> {
    /// In flight.
    Live(&'a B),
    /// Left recently.
    Gone,
    /// Never seen, or forgotten.
    Unknown,
}

/// The bounds of a window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Blocks in flight at most (at least one is always allowed).
    pub(crate) blocks: usize,
    /// Bytes held at most, across blocks.
    pub(crate) bytes: usize,
    /// How long a block may live after its first symbol.
    pub(crate) lifetime: Option<Duration>,
}

struct Live<B> {
    /// Insertion order, the key into `order`.
    seq: u64,
    deadline: Option<Timestamp>,
    /// What `block` held when last weighed.
    bytes: usize,
    block: B,
}

/// The blocks in flight, oldest first.
pub(crate) struct Window<B> {
    live: HashMap<u32, Live<B>>,
    /// seq -> id. Deadlines are arrival + a constant, so oldest-first is also
    /// earliest-deadline-first: expiry and eviction both pop the front.
    order: BTreeMap<u64, u32>,
    next_seq: u64,
    /// Recently gone ids, FIFO, so memory stays bounded however many go.
    gone: HashMap<u32, Gone>,
    gone_order: VecDeque<u32>,
    limits: Limits,
    held: usize,
}

/// How many gone ids to remember per block slot: stragglers trail their block by far less
/// than this many newer blocks.
const GONE_PER_SLOT: usize = 4;

impl<B: Held> Window<B> {
    pub(crate) fn new(limits: Limits) -> Self {
        Window {
            live: HashMap::default(),
            order: BTreeMap::new(),
            next_seq: 0,
            gone: HashMap::default(),
            gone_order: VecDeque::new(),
            limits: Limits { blocks: limits.blocks.max(1), ..limits },
            held: 0,
        }
    }

    /// Blocks in flight.
    pub(crate) fn len(&self) -> usize {
        self.live.len()
    }

    /// Bytes held across blocks, as of the last [`Self::settle`].
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// The state of block `id`, created with `make` if it is new, or why it is gone if it
    /// left recently. Creating a block past the cap evicts the oldest, handing it to `dropped`.
    /// Call [`Self::settle`] after changing the block.
    pub(crate) fn entry(
        &mut self,
        id: u32,
        now: Timestamp,
        make: impl FnOnce() -> B,
        dropped: &mut impl FnMut(B, Dropped),
    ) -> Result<&mut B, Gone> {
        if let Some(&gone) = self.gone.get(&id) {
            return Err(gone);
        }
        if !self.live.contains_key(&id) {
            while self.live.len() >= self.limits.blocks {
                let Some(block) = self.pop_oldest() else { break };
                dropped(block, Dropped::Evicted);
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            self.order.insert(seq, id);
            let deadline = self.limits.lifetime.map(|lifetime| now + lifetime);
            self.live.insert(id, Live { seq, deadline, bytes: 0, block: make() });
        }
        Ok(&mut self.live.get_mut(&id).expect("inserted above if absent").block)
    }

    /// What the window knows of block `id`, without creating it.
    pub(crate) fn lookup(&self, id: u32) -> Lookup<'_, B> {
        if self.gone.contains_key(&id) {
            return Lookup::Gone;
        }
        self.live.get(&id).map_or(Lookup::Unknown, |live| Lookup::Live(&live.block))
    }

    /// Re-weighs block `id` after a change, then evicts the oldest blocks while over the byte
    /// budget (possibly `id` itself).
    pub(crate) fn settle(&mut self, id: u32, dropped: &mut impl FnMut(B, Dropped)) {
        if let Some(live) = self.live.get_mut(&id) {
            let bytes = live.block.bytes();
            self.held = self.held - live.bytes + bytes;
            live.bytes = bytes;
        }
        while self.held > self.limits.bytes {
            let Some(block) = self.pop_oldest() else { break };
            dropped(block, Dropped::Evicted);
        }
    }

    /// Removes block `id` as done; later datagrams for it are redundant.
    pub(crate) fn finish(&mut self, id: u32) -> Option<B> {
        let live = self.live.remove(&id)?;
        self.order.remove(&live.seq);
        self.held -= live.bytes;
        self.remember(id, Gone::Finished);
        Some(live.block)
    }

    /// Drops every block whose deadline is at or before `now`.
    pub(crate) fn expire(&mut self, now: Timestamp, dropped: &mut impl FnMut(B, Dropped)) {
        while self.next_deadline().is_some_and(|deadline| deadline <= now) {
            let Some(block) = self.pop_oldest() else { break };
            dropped(block, Dropped::Expired);
        }
    }

    /// The earliest deadline among the blocks in flight.
    pub(crate) fn next_deadline(&self) -> Option<Timestamp> {
        let (_, id) = self.order.first_key_value()?;
        self.live.get(id)?.deadline
    }

    fn pop_oldest(&mut self) -> Option<B> {
        let (_, id) = self.order.pop_first()?;
        let live = self.live.remove(&id)?;
        self.held -= live.bytes;
        self.remember(id, Gone::Dropped);
        Some(live.block)
    }

    fn remember(&mut self, id: u32, gone: Gone) {
        if self.gone.insert(id, gone).is_none() {
            self.gone_order.push_back(id);
        }
        while self.gone_order.len() > self.limits.blocks * GONE_PER_SLOT {
            if let Some(old) = self.gone_order.pop_front() {
                self.gone.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Held for u32 {
        fn bytes(&self) -> usize {
            *self as usize
        }

        fn lost(&self) -> u64 {
            0
        }
    }

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_micros(ms * 1000)
    }

    fn window(blocks: usize, bytes: usize, lifetime: Option<Duration>) -> Window<u32> {
        Window::new(Limits { blocks, bytes, lifetime })
    }

    #[test]
    fn cap_evicts_oldest_and_gone_ids_say_why() {
        let mut window = window(2, usize::MAX, None);
        let mut dropped = Vec::new();
        let mut sink = |b, why| dropped.push((b, why));
        for id in 0..3 {
            *window.entry(id, at(0), || id, &mut sink).unwrap() += 100;
        }
        assert_eq!(dropped, [(100, Dropped::Evicted)]);
        assert_eq!(window.len(), 2);
        assert_eq!(window.entry(0, at(0), || 0, &mut |_, _| panic!()), Err(Gone::Dropped));
        assert_eq!(window.finish(2), Some(102));
        assert_eq!(window.entry(2, at(0), || 2, &mut |_, _| panic!()), Err(Gone::Finished));
    }

    #[test]
    fn byte_budget_evicts_oldest_and_tracks_what_is_held() {
        let mut window = window(8, 100, None);
        let mut evicted = Vec::new();
        for id in 0..4 {
            *window.entry(id, at(0), || 0, &mut |_, _| panic!()).unwrap() = 40;
            window.settle(id, &mut |b, why| evicted.push((b, why)));
            assert!(window.held() <= 100);
        }
        assert_eq!(evicted, [(40, Dropped::Evicted), (40, Dropped::Evicted)]);
        assert_eq!((window.len(), window.held()), (2, 80));
        window.finish(3);
        assert_eq!(window.held(), 40);
    }

    #[test]
    fn expiry_follows_arrival_order() {
        let mut window = window(8, usize::MAX, Some(Duration::from_millis(10)));
        for (id, ms) in [(7, 0), (3, 4), (9, 8)] {
            window.entry(id, at(ms), || id, &mut |_, _| panic!()).unwrap();
        }
        assert_eq!(window.next_deadline(), Some(at(10)));
        let mut expired = Vec::new();
        window.expire(at(14), &mut |b, why| expired.push((b, why)));
        assert_eq!(expired, [(7, Dropped::Expired), (3, Dropped::Expired)]);
        assert_eq!(window.next_deadline(), Some(at(18)));
    }

    #[test]
    fn gone_memory_is_bounded() {
        let mut window = window(1, usize::MAX, None);
        for id in 0..1000 {
            window.entry(id, at(0), || 0, &mut |_, _| {}).unwrap();
            window.finish(id);
        }
        assert!(window.gone.len() <= GONE_PER_SLOT);
        assert_eq!(window.gone.len(), window.gone_order.len());
    }
}
