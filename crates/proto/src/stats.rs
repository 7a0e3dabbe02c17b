//! Receive-side counters, shared by every receiver so the JS `stats()` has one shape.

/// What a receiver has seen. Every datagram handed in is counted in `received` and in exactly
/// one of `accepted`, `duplicate`, `malformed`, `foreign`, `redundant`, `late`, `ignored`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams handed to `handle_datagram`.
    pub received: u64,
    /// Bytes in those datagrams, headers included.
    pub bytes_received: u64,
    /// Datagrams whose symbol was new and consistent, and was stored in its block.
    pub accepted: u64,
    /// Payloads handed out by `poll_delivery` (queued for it).
    pub delivered: u64,
    /// Bytes in those payloads.
    pub bytes_delivered: u64,
    /// Of `delivered`, the payloads rebuilt from repair symbols.
    pub recovered: u64,
    /// Datagrams carrying a symbol already held or already delivered.
    pub duplicate: u64,
    /// Datagrams that failed to parse or contradicted what their block had already declared.
    pub malformed: u64,
    /// Rebuilt sources that decoded to an invalid unit (bad length or non-zero padding): the
    /// block held forged or corrupted symbols. Counts payloads, not datagrams.
    pub corrupt: u64,
    /// Well-formed datagrams for another connection id.
    pub foreign: u64,
    /// Datagrams for a block already complete: repair symbols it turned out not to need (or
    /// fragments of a seed batch already decoded).
    pub redundant: u64,
    /// Datagrams that came too late to be of use: for a block already expired or evicted,
    /// or (ordered stream mode) carrying a payload whose place in the order was already
    /// passed over, or too far from it to be placed at all.
    pub late: u64,
    /// Well-formed control datagrams this receiver has no use for.
    pub ignored: u64,
    /// Blocks dropped at their deadline before they were known complete (a block whose
    /// repair symbols were all lost cannot be known complete, even with every source in).
    pub expired_blocks: u64,
    /// Blocks dropped early to stay within the blocks-in-flight or memory cap.
    pub evicted_blocks: u64,
    /// Payloads that arrived or were rebuilt after their deadline: dropped, not delivered,
    /// and not counted `lost`.
    pub overdue: u64,
    /// Source payloads known to have been sent but never delivered. Ordered stream mode counts
    /// every sequence number the release point passes over without a payload, whole lost
    /// blocks included; otherwise they are counted when their block is dropped (expired or
    /// evicted), and blocks of which nothing arrived are invisible here.
    pub lost: u64,
}

impl Stats {
    /// The sum of the exclusive fates of a datagram; always equals `received`.
    pub fn accounted(&self) -> u64 {
        self.accepted + self.duplicate + self.malformed + self.foreign + self.redundant + self.late + self.ignored
    }
}

impl std::ops::AddAssign<&Stats> for Stats {
    /// Adds another receiver's counters, for totals over many peers.
    fn add_assign(&mut self, other: &Stats) {
        // Destructured, so a new counter cannot be forgotten here.
        let Stats {
            received, bytes_received, accepted, delivered, bytes_delivered, recovered, duplicate, malformed, corrupt,
            foreign, redundant, late, ignored, expired_blocks, evicted_blocks, overdue, lost,
        } = *other;
        self.received += received;
        self.bytes_received += bytes_received;
        self.accepted += accepted;
        self.delivered += delivered;
        self.bytes_delivered += bytes_delivered;
        self.recovered += recovered;
        self.duplicate += duplicate;
        self.malformed += malformed;
        self.corrupt += corrupt;
        self.foreign += foreign;
        self.redundant += redundant;
        self.late += late;
        self.ignored += ignored;
        self.expired_blocks += expired_blocks;
        self.evicted_blocks += evicted_blocks;
        self.overdue += overdue;
        self.lost += lost;
    }
}
