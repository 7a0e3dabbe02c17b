//! The streams of one peer: framing what we send, demultiplexing what arrives, the reliable
//! streams' two halves, the send queues and the per-stream counters.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::queue::SendQueues;
use super::reliable::{Arrival, ReliableReceiver, ReliableSender};
use super::{frame, parse, OutgoingHeader, StreamConfig, StreamStats, StreamTable};
use crate::error::SendError;
use crate::event::Delivery;
use crate::time::Timestamp;
use crate::wire::v1::StreamAck;

/// Bytes a reliable stream may hold unacknowledged towards one peer.
const MAX_RELIABLE_BYTES: usize = 1 << 20;

pub(crate) struct PeerStreams {
    table: Arc<StreamTable>,
    /// By the stream's position in the table; created on first use.
    outgoing: Vec<Option<ReliableSender>>,
    incoming: Vec<Option<ReliableReceiver>>,
    stats: Vec<StreamStats>,
    pub queues: SendQueues,
    ready: VecDeque<Delivery>,
    /// Payloads whose stream header was cut short or named an unknown stream.
    pub malformed: u64,
}

impl PeerStreams {
    pub fn new(table: Arc<StreamTable>) -> Self {
        let n = table.iter().count();
        PeerStreams {
            table,
            outgoing: (0..n).map(|_| None).collect(),
            incoming: (0..n).map(|_| None).collect(),
            stats: vec![StreamStats::default(); n],
            queues: SendQueues::default(),
            ready: VecDeque::new(),
            malformed: 0,
        }
    }

    /// The header for `payload` on `stream` (numbering and keeping it, if reliable).
    /// `max_payload` is what the connection carries, stream header included.
    pub fn header(&mut self, stream: u8, payload: &[u8], max_payload: usize, now: Timestamp) -> Result<(StreamConfig, OutgoingHeader), SendError> {
        let (position, config) = self.lookup(stream)?;
        let max = max_payload - config.header_len();
        if payload.len() > max {
            return Err(SendError::TooLarge { got: payload.len(), max });
        }
        let number = match config.reliable {
            false => 0,
            true => {
                let sender = self.outgoing[position].get_or_insert_with(|| ReliableSender::new(MAX_RELIABLE_BYTES));
                if !sender.has_room(payload.len()) {
                    return Err(SendError::StreamFull { stream, held: sender.held() });
                }
                sender.push(payload, now)
            }
        };
        self.stats[position].sent += 1;
        Ok((config, OutgoingHeader::new(&config, number)))
    }

    fn lookup(&self, stream: u8) -> Result<(usize, StreamConfig), SendError> {
        let position = self.table.position(stream).ok_or(SendError::UnknownStream { stream })?;
        Ok((position, *self.table.get(stream).expect("positioned")))
    }

    /// Takes a payload the connection delivered: strips its stream header and makes it ready
    /// (a reliable one in order, when what precedes it is in). Returns the acknowledgement to
    /// send back, for a reliable stream.
    pub fn receive(&mut self, mut delivery: Delivery) -> Option<StreamAck> {
        let Some(header) = parse(&delivery.payload) else {
            self.malformed += 1;
            return None;
        };
        let Some(position) = self.table.position(header.stream) else {
            self.malformed += 1;
            return None;
        };
        delivery.payload = delivery.payload.slice(header.len..);
        delivery.stream = header.stream;
        let Some(number) = header.number else {
            self.stats[position].delivered += 1;
            self.ready.push_back(delivery);
            return None;
        };
        let receiver = self.incoming[position].get_or_insert_with(ReliableReceiver::default);
        match receiver.accept(number, &delivery.payload) {
            Arrival::Deliver(payloads) => {
                self.stats[position].delivered += payloads.len() as u64;
                self.ready.extend(payloads.into_iter().map(|payload| Delivery { payload: payload.into(), ..delivery.clone() }));
            }
            Arrival::Held => {}
            Arrival::Dropped { duplicate } => self.stats[position].duplicates += u64::from(duplicate),
        }
        // Every arrival is acknowledged: a duplicate means our last ACK was lost.
        Some(StreamAck { stream: header.stream, next: receiver.next() })
    }

    pub fn pop_ready(&mut self) -> Option<Delivery> {
        self.ready.pop_front()
    }

    pub fn on_ack(&mut self, ack: StreamAck) {
        if let Ok((position, _)) = self.lookup(ack.stream) {
            if let Some(sender) = &mut self.outgoing[position] {
                sender.on_ack(ack.next);
            }
        }
    }

    /// Reliable messages unacknowledged for `rto`, framed again for sending.
    pub fn resends(&mut self, now: Timestamp, rto: Duration) -> Vec<(StreamConfig, Vec<u8>)> {
        let mut framed = Vec::new();
        for (position, config) in self.table.iter().enumerate() {
            let Some(sender) = &mut self.outgoing[position] else { continue };
            for (number, payload) in sender.due(now, rto) {
                self.stats[position].resent += 1;
                framed.push((*config, frame(config, number, &payload)));
            }
        }
        framed
    }

    /// Whether any reliable message waits for its acknowledgement.
    pub fn awaiting_ack(&self) -> bool {
        self.outgoing.iter().flatten().any(ReliableSender::waiting)
    }

    pub fn poll_timeout(&self, rto: Duration) -> Option<Timestamp> {
        self.outgoing.iter().flatten().filter_map(|sender| sender.poll_timeout(rto)).min()
    }

    /// A queued message of `stream` was dropped at the sender.
    pub fn expired(&mut self, stream: u8) {
        if let Some(position) = self.table.position(stream) {
            self.stats[position].expired += 1;
        }
    }

    /// Counters per stream, in table order.
    pub fn stats(&self) -> &[StreamStats] {
        &self.stats
    }
}
