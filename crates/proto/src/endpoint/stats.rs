//! The endpoint's counters, summed over its peers present and departed.

use crate::stats::Stats;

use super::SecurityStats;

/// Counters over every peer, present and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Messages accepted by [`Endpoint::send`].
    pub sent: u64,
    /// Messages [`Endpoint::send`] refused (too large for the format).
    pub refused: u64,
    /// Repair symbols (v1) or parity fragments (seed) sent.
    pub repairs_sent: u64,
    /// Blocks (v1) or messages (seed) closed.
    pub blocks: u64,
    /// Datagrams emitted, and their bytes.
    pub datagrams_sent: u64,
    /// Bytes emitted, headers included.
    pub bytes_sent: u64,
    /// Everything the receivers counted, summed.
    pub receive: Stats,
    /// Peers tracked now.
    pub peers: usize,
    /// Peers dropped to stay within `max_peers`.
    pub evicted_peers: u64,
    /// DATA packets sent again because a peer NACKed them.
    pub retransmitted: u64,
    /// NACKed sources not sent again because retransmissions had used their budget (half the
    /// bytes sent originally): a NACK storm.
    pub retransmits_limited: u64,
    /// NACK packets received.
    pub nacks_received: u64,
    /// NACK packets sent.
    pub nacks_sent: u64,
    /// Sources that arrived after we NACKed them.
    pub retransmits_received: u64,
    /// Datagrams the pacer dropped because its queue held more than a second at its rate.
    pub pacer_drops: u64,
    /// Keep-alive PINGs sent.
    pub keep_alives_sent: u64,
    /// Path MTU probes sent.
    pub mtu_probes_sent: u64,
    /// Peers forgotten after their idle timeout.
    pub idle_timeouts: u64,
    /// Delivered payloads dropped because their stream header was cut short or named a stream
    /// not configured here.
    pub stream_malformed: u64,
    /// The pacing rate now, bits per second (0: unpaced): the cap, or the bandwidth estimate.
    pub pace_rate: u64,
    /// Handshakes and what authentication refused (secure endpoints).
    pub security: SecurityStats,
}

impl std::ops::AddAssign<&EndpointStats> for EndpointStats {
    /// Adds a peer's counters to a total. `peers`, `evicted_peers`, `pacer_drops`, `pace_rate`
    /// and the handshake counters are the endpoint's own, not summed.
    fn add_assign(&mut self, other: &EndpointStats) {
        self.sent += other.sent;
        self.refused += other.refused;
        self.repairs_sent += other.repairs_sent;
        self.blocks += other.blocks;
        self.datagrams_sent += other.datagrams_sent;
        self.bytes_sent += other.bytes_sent;
        self.receive += &other.receive;
        self.retransmitted += other.retransmitted;
        self.retransmits_limited += other.retransmits_limited;
        self.nacks_received += other.nacks_received;
        self.nacks_sent += other.nacks_sent;
        self.retransmits_received += other.retransmits_received;
        self.keep_alives_sent += other.keep_alives_sent;
        self.mtu_probes_sent += other.mtu_probes_sent;
        self.stream_malformed += other.stream_malformed;
        self.security.held_dropped += other.security.held_dropped;
    }
}
