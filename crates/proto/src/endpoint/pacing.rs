//! The endpoint's pacing service: the rate it paces to (a cap, or the peers' bandwidth
//! estimates within it), which backlogged peer's queued message goes next, and shedding what
//! a second at the rate cannot send. Only a paced endpoint queues messages: an unpaced one
//! turns each into datagrams as it is sent.

use std::net::SocketAddr;

use crate::time::Timestamp;

use super::pacer::Pacer;
use super::peer::Peer;
use super::{Endpoint, EndpointConfig, Format};

impl Endpoint {
    /// Paces to the sum of the peers' bandwidth estimates, within the configured cap.
    pub(super) fn follow_estimates(&mut self) {
        let Some(pacer) = &mut self.pacer else { return };
        let estimates = self.peers.iter().filter_map(|(_, peer)| peer.bandwidth_estimate());
        let Some(sum) = estimates.reduce(u64::saturating_add) else { return };
        let rate = if self.pace_cap > 0 { sum.min(self.pace_cap) } else { sum };
        if rate != pacer.rate() {
            pacer.set_rate(rate);
        }
    }

    /// The pacing rate now, bits per second (0: unpaced).
    pub fn pace_rate(&self) -> u64 {
        self.pacer.as_ref().map_or(0, Pacer::rate)
    }

    /// The queued message the pacer should take next: of the backlogged peers, the one whose
    /// next message is most important (the least recently served first among equals).
    pub(super) fn next_backlogged(&mut self) -> Option<(usize, SocketAddr, usize)> {
        let peers = &self.peers;
        self.backlogged.retain(|address| peers.peek(address).is_some_and(|peer| peer.queued_next().is_some()));
        self.backlogged
            .iter()
            .enumerate()
            .filter_map(|(i, address)| peers.peek(address).and_then(Peer::queued_next).map(|(priority, len)| (priority, i, *address, len)))
            .min_by_key(|&(priority, i, _, _)| (priority, i))
            .map(|(_, i, address, len)| (i, address, len))
    }

    /// Paced, with nothing else to send: the most important queued message becomes datagrams,
    /// if the pacer would let one go now (so a message waiting for the pacer can still expire).
    pub(super) fn send_backlogged(&mut self, now: Timestamp) -> Option<()> {
        self.pacer.as_ref()?;
        let (i, address, len) = self.next_backlogged()?;
        if self.pacer.as_ref()?.ready_at(len + v1_data_overhead()) > now {
            return None;
        }
        // Served: to the back of the line among peers of equal priority.
        self.backlogged.remove(i);
        let peer = self.peers.get_mut(&address)?;
        peer.send_queued(now);
        peer.drain(address, now, &mut self.outgoing, &mut self.delivered);
        if peer.queued_next().is_some() {
            self.backlogged.push(address);
        }
        Some(())
    }

    /// Drops the newest datagrams while the pacer's queue holds more than it can send in a
    /// second: input above the pacing rate must not grow memory or latency without bound.
    pub(super) fn shed_unpaceable(&mut self) {
        let Some(pacer) = &mut self.pacer else { return };
        while self.outgoing.len() > 1 && pacer.over_budget(self.outgoing.bytes()) {
            self.outgoing.pop_back();
            pacer.dropped += 1;
        }
    }
}

/// The pacer's rate at the start: the cap, or the estimator's starting point when estimating
/// (within the cap); `None` when neither paces.
pub(super) fn initial_pace(config: &EndpointConfig) -> Option<u64> {
    let estimating = match &config.format {
        Format::V1 { sender, .. } => sender.bandwidth.map(|b| b.start_bps),
        Format::Seed { .. } => None,
    };
    match (config.pace_bits_per_second, estimating) {
        (0, start) => start,
        (cap, Some(start)) => Some(start.min(cap)),
        (cap, None) => Some(cap),
    }
}

/// What a DATA packet adds to its payload, for the pacer's estimate of a queued message.
pub(super) fn v1_data_overhead() -> usize {
    crate::wire::v1::DATA_OVERHEAD
}
