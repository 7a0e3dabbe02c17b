//! Counters the I/O thread publishes and `stats()` reads.

use std::sync::{Arc, Mutex};

use napi_derive::napi;
use proto::endpoint::{EndpointStats, PathState, StreamStats};

use super::udp::UdpCounters;

/// Everything `stats()` reports: the protocol's counters and the I/O layer's.
#[napi(object)]
#[derive(Clone, Default)]
pub struct EngineStats {
    /// Messages accepted for sending (each one source symbol / seed message).
    pub sent: f64,
    /// Repair symbols sent.
    pub repairs_sent: f64,
    /// Blocks (v1) or messages (seed) closed.
    pub blocks: f64,
    /// Datagrams received from the socket.
    pub received: f64,
    /// Messages delivered to JavaScript.
    pub delivered: f64,
    /// Of `delivered`, rebuilt from repair symbols.
    pub recovered: f64,
    /// Source symbols known sent but never delivered (their block expired).
    pub lost: f64,
    /// Datagrams for blocks already expired, and messages that arrived or were rebuilt after
    /// their deadline: dropped, never delivered late.
    pub late: f64,
    /// Source symbols sent again because the receiver NACKed them.
    pub retransmitted: f64,
    /// NACKed source symbols not sent again: retransmissions may add at most half the bytes
    /// sent originally (a NACK storm cannot make the socket an amplifier).
    pub retransmits_limited: f64,
    /// Source symbols that arrived after we NACKed them.
    pub retransmits_received: f64,
    /// NACK packets sent and received.
    pub nacks_sent: f64,
    pub nacks_received: f64,
    /// Smoothed round-trip time to the most recently active peer, ms (0 until measured).
    pub rtt_ms: f64,
    /// Repair symbols per source symbol we currently send with.
    pub redundancy: f64,
    /// Sources per full block we currently send, and how long a block stays open, ms.
    pub block_sources: f64,
    pub block_time_ms: f64,
    /// Loss before repair on the path, 0..1: measured when receiving, reported when sending.
    pub loss_rate: f64,
    /// Datagrams the pacer dropped because more was sent than `rate` carries in a second.
    pub pacer_drops: f64,
    /// Datagrams that failed to parse or contradicted their block.
    pub malformed: f64,
    /// Datagrams carrying a symbol already held.
    pub duplicate: f64,
    /// Repair symbols that arrived after their block was complete.
    pub redundant: f64,
    /// Blocks dropped early to stay within caps.
    pub evicted_blocks: f64,
    /// Peers tracked now, and dropped to stay within `maxPeers`.
    pub peers: f64,
    pub evicted_peers: f64,
    /// Bytes of datagrams sent and received, headers included.
    pub bytes_sent: f64,
    pub bytes_received: f64,
    /// Datagrams written to the socket, and the system calls that wrote them (GSO batches
    /// many equal-sized datagrams into one).
    pub datagrams_sent: f64,
    pub send_syscalls: f64,
    /// Datagrams read, and the system calls that read them (recvmmsg and GRO batch).
    pub datagrams_received: f64,
    pub recv_syscalls: f64,
    /// Send failures other than a full socket buffer (counted, never thrown).
    pub send_errors: f64,
    /// Datagrams dropped because the socket stayed full past the send queue's bound.
    pub send_queue_drops: f64,
    /// Datagrams the kernel dropped at the socket because its receive buffer was full: this
    /// side did not keep up (Linux; read every 50 ms; 0 elsewhere).
    pub receive_buffer_drops: f64,
    /// Batches handed to JavaScript, and batches dropped because its queue was full.
    pub batches: f64,
    pub dropped_batches: f64,
    pub dropped_messages: f64,
    /// Messages JavaScript passed that the protocol refused (e.g. too large).
    pub refused: f64,
    /// Whether the kernel does UDP segmentation offload on this socket.
    pub gso: bool,
    /// A relay's plain side (the bridge): datagrams and bytes read there, and written there.
    pub bridge_datagrams_in: f64,
    pub bridge_bytes_in: f64,
    pub bridge_datagrams_out: f64,
    pub bridge_bytes_out: f64,
    /// The bridge's failed sends (e.g. nothing listening at the forward address), datagrams
    /// dropped because its send queue stayed full, and datagrams the kernel dropped at its
    /// socket, its receive buffer full.
    pub bridge_send_errors: f64,
    pub bridge_send_queue_drops: f64,
    pub bridge_receive_buffer_drops: f64,
    /// Keep-alive PINGs sent, path MTU probes sent, and peers forgotten after their idle
    /// timeout.
    pub keep_alives_sent: f64,
    pub mtu_probes_sent: f64,
    pub idle_timeouts: f64,
    /// The largest UDP payload confirmed to cross the path to the most recently active peer
    /// (1200 until a search finishes; 0 when probing is off).
    pub path_mtu: f64,
    /// The pacing rate now, bits/s (0: unpaced): `rateBps`, or the bandwidth estimate.
    pub pace_rate_bps: f64,
    /// Payloads dropped for a stream header cut short or naming an unconfigured stream.
    pub stream_malformed: f64,
    /// Per-stream counters, one entry per configured stream.
    pub streams: Vec<EngineStreamStats>,
    /// Encryption (with `encrypt` other than 'none'): handshakes completed; datagrams that did
    /// not authenticate (wrong key, altered bytes, no session, sent in the clear); authentic
    /// packets refused as replays; HELLOs refused by the handshake rate limit; WELCOMEs withheld
    /// by the anti-amplification limit; datagrams dropped while a handshake was pending.
    pub handshakes: f64,
    pub auth_failed: f64,
    pub replayed: f64,
    pub handshakes_limited: f64,
    pub amplification_limited: f64,
    pub handshake_held_drops: f64,
}

/// One stream's counters.
#[napi(object)]
#[derive(Clone, Default)]
pub struct EngineStreamStats {
    pub id: u32,
    /// Messages sent on the stream.
    pub sent: f64,
    /// Deadline-bound messages dropped at the sender after waiting `maxDelayMs` for the pacer.
    pub expired: f64,
    /// Reliable messages sent again (unacknowledged within the RTO).
    pub resent: f64,
    /// Messages delivered.
    pub delivered: f64,
    /// Reliable messages that arrived again after delivery.
    pub duplicates: f64,
}

/// I/O-layer counters, kept by the I/O thread beside the endpoint's and the sockets'.
#[derive(Clone, Copy, Default)]
pub(super) struct IoCounters {
    pub batches: u64,
    pub dropped_batches: u64,
    pub dropped_messages: u64,
    pub refused: u64,
    pub gso: bool,
}

#[derive(Clone, Default)]
pub(super) struct SharedStats(Arc<Mutex<EngineStats>>);

impl SharedStats {
    pub fn publish(
        &self,
        endpoint: &EndpointStats,
        path: &PathState,
        io: &IoCounters,
        socket: &UdpCounters,
        bridge: Option<&UdpCounters>,
        streams: &[(u8, StreamStats)],
    ) {
        let bridge = bridge.copied().unwrap_or_default();
        let r = &endpoint.receive;
        let stats = EngineStats {
            sent: endpoint.sent as f64,
            repairs_sent: endpoint.repairs_sent as f64,
            blocks: endpoint.blocks as f64,
            received: r.received as f64,
            delivered: r.delivered as f64,
            recovered: r.recovered as f64,
            lost: r.lost as f64,
            late: (r.late + r.overdue) as f64,
            retransmitted: endpoint.retransmitted as f64,
            retransmits_limited: endpoint.retransmits_limited as f64,
            retransmits_received: endpoint.retransmits_received as f64,
            nacks_sent: endpoint.nacks_sent as f64,
            nacks_received: endpoint.nacks_received as f64,
            rtt_ms: path.rtt_micros as f64 / 1e3,
            redundancy: path.redundancy_ppm as f64 / 1e6,
            block_sources: path.block_sources as f64,
            block_time_ms: path.block_time_micros as f64 / 1e3,
            loss_rate: path.loss_ppm as f64 / 1e6,
            pacer_drops: endpoint.pacer_drops as f64,
            malformed: (r.malformed + r.corrupt + r.foreign) as f64,
            duplicate: r.duplicate as f64,
            redundant: r.redundant as f64,
            evicted_blocks: r.evicted_blocks as f64,
            peers: endpoint.peers as f64,
            evicted_peers: endpoint.evicted_peers as f64,
            bytes_sent: endpoint.bytes_sent as f64,
            bytes_received: r.bytes_received as f64,
            datagrams_sent: socket.datagrams_sent as f64,
            send_syscalls: socket.send_syscalls as f64,
            datagrams_received: socket.datagrams_received as f64,
            recv_syscalls: socket.recv_syscalls as f64,
            send_errors: socket.send_errors as f64,
            send_queue_drops: socket.send_queue_drops as f64,
            receive_buffer_drops: socket.receive_buffer_drops as f64,
            batches: io.batches as f64,
            dropped_batches: io.dropped_batches as f64,
            dropped_messages: io.dropped_messages as f64,
            refused: io.refused as f64,
            gso: io.gso,
            bridge_datagrams_in: bridge.datagrams_received as f64,
            bridge_bytes_in: bridge.bytes_received as f64,
            bridge_datagrams_out: bridge.datagrams_sent as f64,
            bridge_bytes_out: bridge.bytes_sent as f64,
            bridge_send_errors: bridge.send_errors as f64,
            bridge_send_queue_drops: bridge.send_queue_drops as f64,
            bridge_receive_buffer_drops: bridge.receive_buffer_drops as f64,
            keep_alives_sent: endpoint.keep_alives_sent as f64,
            mtu_probes_sent: endpoint.mtu_probes_sent as f64,
            idle_timeouts: endpoint.idle_timeouts as f64,
            path_mtu: path.mtu as f64,
            pace_rate_bps: endpoint.pace_rate as f64,
            stream_malformed: endpoint.stream_malformed as f64,
            handshakes: endpoint.security.handshakes as f64,
            auth_failed: endpoint.security.auth_failed as f64,
            replayed: endpoint.security.replayed as f64,
            handshakes_limited: endpoint.security.handshakes_limited as f64,
            amplification_limited: endpoint.security.amplification_limited as f64,
            handshake_held_drops: endpoint.security.held_dropped as f64,
            streams: streams
                .iter()
                .map(|(id, s)| EngineStreamStats {
                    id: u32::from(*id),
                    sent: s.sent as f64,
                    expired: s.expired as f64,
                    resent: s.resent as f64,
                    delivered: s.delivered as f64,
                    duplicates: s.duplicates as f64,
                })
                .collect(),
        };
        *self.0.lock().unwrap() = stats;
    }

    pub fn snapshot(&self) -> EngineStats {
        self.0.lock().unwrap().clone()
    }
}
