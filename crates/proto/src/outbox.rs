//! The send-side counterpart of the inbox: builds a v1 connection's packets, numbers them in
//! the order they are queued, and holds them for `poll_transmit`. Shared by every v1 sender.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::arena;
use crate::codec::{self, Code};
use crate::event::Transmit;
use crate::secure::TAG_LEN;
use crate::wire::unit;
use crate::wire::v1::{Body, Data, Header, Packet, PacketType, DATA_OVERHEAD, HEADER_LEN, PACKET_NUMBER_AT};

/// Bytes per DATA arena buffer: about fifty MTU-sized datagrams.
const ARENA_BYTES: usize = 64 * 1024;

/// Packet numbering and the transmit queue of one connection.
pub(crate) struct Outbox {
    connection_id: u32,
    packet_number: u32,
    transmits: VecDeque<Transmit>,
    scratch: Vec<u8>,
    /// Where DATA datagrams are built, many to a buffer: one allocation per buffer instead of
    /// two per message (the datagram's, and the shared handle `Bytes` makes for the copies the
    /// sender keeps of it). A buffer lives as long as any datagram in it (the NACK history).
    arena: BytesMut,
    /// Bytes queued so far, headers included.
    pub(crate) bytes: u64,
}

impl Outbox {
    pub(crate) fn new(connection_id: u32) -> Self {
        Outbox { connection_id, packet_number: 0, transmits: VecDeque::new(), scratch: Vec::new(), arena: BytesMut::new(), bytes: 0 }
    }

    /// Packets numbered so far (wrapping), for rate measurement.
    pub(crate) fn packets(&self) -> u32 {
        self.packet_number
    }

    /// Encodes `body`; the packet number is filled in by [`Self::queue`].
    pub(crate) fn encode(&self, body: Body<'_>) -> Vec<u8> {
        self.encode_with_room(body, 0)
    }

    /// Encodes, numbers and queues the DATA packet of source `index` of `block`, its unit
    /// framed straight from `parts` (one copy of the application's bytes) into the arena;
    /// returns it as queued, to keep, or `None` (nothing queued) if they are too long for a unit.
    pub(crate) fn queue_data(&mut self, block: u32, index: u8, parts: &[&[u8]], sent_at: u32) -> Option<&Bytes> {
        let len = DATA_OVERHEAD + usize::from(unit::payload_len(parts)?);
        if self.arena.capacity() < len {
            self.arena = BytesMut::with_capacity(len.max(ARENA_BYTES));
        }
        let header = Header { packet_number: self.next_number(), ..self.header() };
        header.encode(PacketType::Data, 0, &mut self.arena);
        Data::encode_framed(block, index, parts, sent_at, &mut self.arena).expect("length checked above");
        let datagram = arena::take_written(&mut self.arena);
        Some(self.push(Transmit::new(datagram)))
    }

    fn header(&self) -> Header {
        Header { flags: 0, connection_id: self.connection_id, packet_number: 0 }
    }

    /// Encodes `body` into a buffer with room for `more` bytes after it, and for the tag that
    /// sealing appends (so a secure endpoint's sealing never reallocates).
    fn encode_with_room(&self, body: Body<'_>, more: usize) -> Vec<u8> {
        let packet = Packet { header: self.header(), body };
        // The fixed parts of every body fit in 64 bytes; a NACK may grow past it, rarely.
        let mut datagram = Vec::with_capacity(HEADER_LEN + 64 + packet.body.variable_len() + more + TAG_LEN);
        packet.encode(&mut datagram);
        datagram
    }

    /// Encodes `body`, which ends in an empty symbol, with `symbol` appended, zero-padded to
    /// `len` bytes.
    pub(crate) fn encode_with_symbol(&self, body: Body<'_>, symbol: &[u8], len: usize) -> Vec<u8> {
        let mut datagram = self.encode_with_room(body, len);
        let prefix = datagram.len();
        datagram.extend_from_slice(&symbol[..symbol.len().min(len)]);
        datagram.resize(prefix + len, 0);
        datagram
    }

    /// Encodes one packet per `bodies` entry (each ending in an empty symbol) and fills their
    /// symbols, `len` bytes each, with the parity `code` makes of `sources`: the parity is
    /// computed in place, straight into the datagrams.
    pub(crate) fn encode_parity<'b>(
        &mut self,
        code: Code,
        sources: &[&[u8]],
        len: usize,
        bodies: impl Iterator<Item = Body<'b>>,
    ) -> Vec<Vec<u8>> {
        let mut datagrams: Vec<Vec<u8>> = bodies.map(|body| self.encode_with_symbol(body, &[], len)).collect();
        let mut parity: Vec<&mut [u8]> = datagrams
            .iter_mut()
            .map(|d| {
                let start = d.len() - len;
                &mut d[start..]
            })
            .collect();
        codec::encode_parity(code, sources, &mut parity, &mut self.scratch)
            .expect("senders keep every block within 1 <= k < k + m <= 256");
        datagrams
    }

    /// Numbers and queues a datagram built by this outbox; returns it as queued, to keep
    /// (sharing its bytes, not copying them).
    pub(crate) fn queue(&mut self, datagram: Vec<u8>) -> &Bytes {
        let datagram = self.number(datagram);
        self.queue_verbatim(datagram)
    }

    /// As [`Self::queue`], for a REPAIR, which the I/O layer may send after later datagrams
    /// (see [`Transmit::reorderable`]).
    pub(crate) fn queue_repair(&mut self, datagram: Vec<u8>) {
        let datagram = self.number(datagram);
        self.push(Transmit { datagram, reorderable: true });
    }

    /// Queues a datagram exactly as given: a retransmission keeps its packet number.
    pub(crate) fn queue_verbatim(&mut self, datagram: Bytes) -> &Bytes {
        self.push(Transmit::new(datagram))
    }

    /// Writes the next packet number into `datagram`.
    fn number(&mut self, mut datagram: Vec<u8>) -> Bytes {
        let next = self.next_number();
        if let Some(number) = datagram.get_mut(PACKET_NUMBER_AT..PACKET_NUMBER_AT + 4) {
            number.copy_from_slice(&next.to_be_bytes());
        }
        datagram.into()
    }

    /// The number of the next packet queued, taken.
    fn next_number(&mut self) -> u32 {
        let number = self.packet_number;
        self.packet_number = number.wrapping_add(1);
        number
    }

    fn push(&mut self, transmit: Transmit) -> &Bytes {
        self.bytes += transmit.datagram.len() as u64;
        self.transmits.push_back(transmit);
        &self.transmits.back().expect("just pushed").datagram
    }

    /// Encodes, numbers and queues a control packet grown with zero bytes to `len` (an MTU
    /// probe's padding is part of its body, so the packet still parses).
    pub(crate) fn send_padded(&mut self, body: Body<'_>, len: usize) {
        let mut datagram = self.encode(body);
        datagram.resize(datagram.len().max(len), 0);
        self.queue(datagram);
    }

    /// Encodes, numbers and queues a control packet.
    pub(crate) fn send(&mut self, body: Body<'_>) {
        let datagram = self.encode(body);
        self.queue(datagram);
    }

    /// Adopts `connection_id` for the packets built from now on (a receiver answers on the
    /// connection it receives).
    pub(crate) fn set_connection_id(&mut self, connection_id: u32) {
        self.connection_id = connection_id;
    }

    /// The next datagram, in order.
    pub(crate) fn pop(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }
}
