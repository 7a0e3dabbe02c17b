//! The receive-side bookkeeping both receivers share: the delivery queue and the counters,
//! so a datagram's fate is tallied the same way whichever format it came in.

use std::collections::VecDeque;

use crate::error::WireError;
use crate::event::Delivery;
use crate::stats::Stats;
use crate::window::{Dropped, Gone};
use crate::wire::v1::Packet;

/// What a block made of one arriving symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// New and consistent: stored.
    Accepted,
    /// Already held or delivered.
    Duplicate,
    /// Contradicts what the block already declared (shape, length, index range).
    Conflict,
    /// For a part already complete: not needed.
    Redundant,
}

/// Counters and payloads waiting for `poll_delivery`.
#[derive(Default)]
pub(crate) struct Inbox {
    pub(crate) stats: Stats,
    deliveries: VecDeque<Delivery>,
}

impl Inbox {
    /// Counts a datagram on arrival and parses it with `parse`; a parse error is counted
    /// malformed and yields `None`.
    pub(crate) fn admit<'d, P>(
        &mut self,
        datagram: &'d [u8],
        parse: impl FnOnce(&'d [u8]) -> Result<P, WireError>,
    ) -> Option<P> {
        self.stats.received += 1;
        self.stats.bytes_received += datagram.len() as u64;
        let parsed = parse(datagram).ok();
        self.stats.malformed += u64::from(parsed.is_none());
        parsed
    }

    /// Counts a block's verdict; true when the symbol was accepted.
    pub(crate) fn tally(&mut self, verdict: Verdict) -> bool {
        match verdict {
            Verdict::Accepted => {
                self.stats.accepted += 1;
                return true;
            }
            Verdict::Duplicate => self.stats.duplicate += 1,
            Verdict::Conflict => self.stats.malformed += 1,
            Verdict::Redundant => self.stats.redundant += 1,
        }
        false
    }

    /// [`Self::admit`] for v1, also counting a packet for another connection than `connection`
    /// (if one is set) as foreign and dropping it.
    pub(crate) fn admit_v1<'d>(&mut self, datagram: &'d [u8], connection: Option<u32>) -> Option<Packet<'d>> {
        let packet = self.admit(datagram, Packet::parse)?;
        if connection.is_some_and(|id| id != packet.header.connection_id) {
            self.stats.foreign += 1;
            return None;
        }
        Some(packet)
    }

    /// Counts a datagram for a block no longer in the window.
    pub(crate) fn gone(&mut self, gone: Gone) {
        match gone {
            Gone::Finished => self.stats.redundant += 1,
            Gone::Dropped => self.stats.late += 1,
        }
    }

    /// Queues a payload for the application.
    pub(crate) fn deliver(&mut self, delivery: Delivery) {
        self.stats.delivered += 1;
        self.stats.bytes_delivered += delivery.payload.len() as u64;
        self.stats.recovered += u64::from(delivery.recovered);
        self.deliveries.push_back(delivery);
    }

    /// Counts a block leaving the window unfinished, with `lost` payloads never delivered.
    pub(crate) fn dropped(&mut self, why: Dropped, lost: u64) {
        match why {
            Dropped::Expired => self.stats.expired_blocks += 1,
            Dropped::Evicted => self.stats.evicted_blocks += 1,
        }
        self.stats.lost += lost;
    }

    /// The next payload, oldest first.
    pub(crate) fn pop(&mut self) -> Option<Delivery> {
        self.deliveries.pop_front()
    }
}
