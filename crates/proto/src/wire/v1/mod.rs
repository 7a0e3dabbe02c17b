//! The native wire format, version 1. `docs/PROTOCOL.md` has the byte diagrams; in short,
//! every packet starts with an 11-byte header:
//!
//! ```text
//! +--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+
//! | 0xA1   | type   | flags  |          connection id (u32)      |        packet number (u32)        |
//! +--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+
//! ```
//!
//! and a body whose layout the type selects ([`Body`]): DATA and REPAIR carry stream-mode
//! symbols, FRAME frame-mode ones, the rest are control. All integers are big-endian.

mod control;
mod frame;
mod handshake;
mod symbol;

pub use control::{Close, Echo, Feedback, Nack, NackRange, Probe, StreamAck, MAX_NACK_RANGES, PROBE_OVERHEAD};
pub use frame::{Frame, FrameLayout, FRAME_OVERHEAD, MAX_FRAME_BLOCKS};
pub use handshake::Handshake;
pub use symbol::{Data, Repair, CODE_FLAGS, DATA_OVERHEAD, DATA_UNIT_AT, REPAIR_OVERHEAD};

use crate::error::WireError;
use crate::wire::reader::Reader;

/// The first byte: magic in the high nibble, version in the low one. A single byte keeps the
/// header compact; together with the connection id it makes stray traffic fail fast.
pub const MAGIC_VERSION: u8 = MAGIC | VERSION;
/// The magic nibble.
pub const MAGIC: u8 = 0xA0;
/// The version this module speaks.
pub const VERSION: u8 = 1;
/// Bytes in the common header.
pub const HEADER_LEN: usize = 11;
/// Where the packet number sits in the header, for senders that number packets as they
/// queue them rather than as they build them.
pub(crate) const PACKET_NUMBER_AT: usize = 7;

/// The packet types of v1, the second header byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// A source symbol: one application datagram, sent as-is.
    Data = 0x01,
    /// A repair symbol of a closed block.
    Repair = 0x02,
    /// Symbols the receiver asks to have retransmitted.
    Nack = 0x03,
    /// Receiver counters, for adaptive redundancy.
    Feedback = 0x04,
    /// A round-trip probe.
    Ping = 0x05,
    /// The answer to a ping.
    Pong = 0x06,
    /// The end of the connection.
    Close = 0x07,
    /// A symbol of a frame: a message larger than one datagram.
    Frame = 0x08,
    /// A path MTU probe: a token padded to the size being tried; answered with a PONG.
    Probe = 0x09,
    /// What a reliable stream's receiver holds, so its sender can stop retransmitting.
    StreamAck = 0x0A,
    /// The first handshake message, from the end that makes contact (secure endpoints only).
    Hello = 0x0B,
    /// The answer to a HELLO, completing the handshake.
    Welcome = 0x0C,
}

impl TryFrom<u8> for PacketType {
    type Error = WireError;

    fn try_from(byte: u8) -> Result<Self, WireError> {
        Ok(match byte {
            0x01 => PacketType::Data,
            0x02 => PacketType::Repair,
            0x03 => PacketType::Nack,
            0x04 => PacketType::Feedback,
            0x05 => PacketType::Ping,
            0x06 => PacketType::Pong,
            0x07 => PacketType::Close,
            0x08 => PacketType::Frame,
            0x09 => PacketType::Probe,
            0x0A => PacketType::StreamAck,
            0x0B => PacketType::Hello,
            0x0C => PacketType::Welcome,
            got => return Err(WireError::UnknownType { got }),
        })
    }
}

impl PacketType {
    /// The header flag bits this type gives a meaning of its own, carried in its body rather
    /// than in [`Header::flags`]: a REPAIR's code.
    pub fn body_flags(self) -> u8 {
        match self {
            PacketType::Repair => CODE_FLAGS,
            _ => 0,
        }
    }
}

/// The header fields every packet carries besides its type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// The flag bits no one has given a meaning yet: senders write 0 and receivers ignore them,
    /// so a later minor revision can use them without a version bump. Bits a packet type
    /// claims ([`PacketType::body_flags`]: a REPAIR's code) parse into its body, read 0 here,
    /// and are ignored here when encoding.
    pub flags: u8,
    /// Chosen by the sender per connection; lets one socket demultiplex many peers and drops
    /// stray traffic cheaply.
    pub connection_id: u32,
    /// Counts every packet of the connection, of any type, wrapping at 2^32; for loss and
    /// reordering measurement and NACK bookkeeping.
    pub packet_number: u32,
}

impl Header {
    /// Appends the 11 header bytes of a packet of `kind` whose body claims `body_flags`.
    pub(crate) fn encode(&self, kind: PacketType, body_flags: u8, out: &mut impl bytes::BufMut) {
        out.put_slice(&[MAGIC_VERSION, kind as u8, self.flags & !kind.body_flags() | body_flags]);
        out.put_u32(self.connection_id);
        out.put_u32(self.packet_number);
    }
}

/// A type-specific body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body<'a> {
    /// See [`Data`].
    Data(Data<'a>),
    /// See [`Repair`].
    Repair(Repair<'a>),
    /// See [`Nack`].
    Nack(Nack),
    /// See [`Feedback`].
    Feedback(Feedback),
    /// A round-trip probe; see [`Echo`].
    Ping(Echo),
    /// The answer to a PING, echoing its token; see [`Echo`].
    Pong(Echo),
    /// See [`Close`].
    Close(Close),
    /// See [`Frame`].
    Frame(Frame<'a>),
    /// See [`Probe`].
    Probe(Probe),
    /// See [`StreamAck`].
    StreamAck(StreamAck),
    /// The first handshake message; see [`Handshake`].
    Hello(Handshake<'a>),
    /// The answer to a HELLO; see [`Handshake`].
    Welcome(Handshake<'a>),
}

impl Body<'_> {
    /// The type byte this body is sent with.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Body::Data(_) => PacketType::Data,
            Body::Repair(_) => PacketType::Repair,
            Body::Nack(_) => PacketType::Nack,
            Body::Feedback(_) => PacketType::Feedback,
            Body::Ping(_) => PacketType::Ping,
            Body::Pong(_) => PacketType::Pong,
            Body::Close(_) => PacketType::Close,
            Body::Frame(_) => PacketType::Frame,
            Body::Probe(_) => PacketType::Probe,
            Body::StreamAck(_) => PacketType::StreamAck,
            Body::Hello(_) => PacketType::Hello,
            Body::Welcome(_) => PacketType::Welcome,
        }
    }

    /// Bytes of the body's variable part (a symbol or unit), for sizing buffers up front.
    pub(crate) fn variable_len(&self) -> usize {
        match self {
            Body::Data(data) => data.unit.as_bytes().len(),
            Body::Frame(frame) => frame.symbol.len(),
            Body::Hello(handshake) | Body::Welcome(handshake) => handshake.message.len(),
            _ => 0,
        }
    }

    /// The header flag bits this body sets (within its type's [`PacketType::body_flags`]).
    fn flags(&self) -> u8 {
        match self {
            Body::Repair(repair) => repair.flags(),
            _ => 0,
        }
    }
}

/// A v1 packet, borrowing its variable-length parts from the datagram it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The common header.
    pub header: Header,
    /// The body.
    pub body: Body<'a>,
}

impl<'a> Packet<'a> {
    /// Parses one datagram. Total: every input gives a packet or a typed error. A packet that
    /// parses re-encodes to the same bytes.
    pub fn parse(datagram: &'a [u8]) -> Result<Self, WireError> {
        let mut reader = Reader::new(datagram);
        let magic_version = reader.u8("magic/version")?;
        if magic_version & 0xF0 != MAGIC {
            return Err(WireError::BadMagic { got: magic_version });
        }
        if magic_version & 0x0F != VERSION {
            return Err(WireError::UnsupportedVersion { got: magic_version & 0x0F });
        }
        let kind = PacketType::try_from(reader.u8("packet type")?)?;
        let flags = reader.u8("flags")?;
        let header = Header {
            flags: flags & !kind.body_flags(),
            connection_id: reader.u32("connection id")?,
            packet_number: reader.u32("packet number")?,
        };
        let body = match kind {
            PacketType::Data => Body::Data(Data::parse(&mut reader)?),
            PacketType::Repair => Body::Repair(Repair::parse(&mut reader, flags)?),
            PacketType::Nack => Body::Nack(Nack::parse(&mut reader)?),
            PacketType::Feedback => Body::Feedback(Feedback::parse(&mut reader)?),
            PacketType::Ping => Body::Ping(Echo::parse(&mut reader)?),
            PacketType::Pong => Body::Pong(Echo::parse(&mut reader)?),
            PacketType::Close => Body::Close(Close::parse(&mut reader)?),
            PacketType::Frame => Body::Frame(Frame::parse(&mut reader)?),
            PacketType::Probe => Body::Probe(Probe::parse(&mut reader)?),
            PacketType::StreamAck => Body::StreamAck(StreamAck::parse(&mut reader)?),
            PacketType::Hello => Body::Hello(Handshake::parse(&mut reader)?),
            PacketType::Welcome => Body::Welcome(Handshake::parse(&mut reader)?),
        };
        reader.finish()?;
        Ok(Packet { header, body })
    }

    /// Appends the datagram to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.header.encode(self.body.packet_type(), self.body.flags(), out);
        match &self.body {
            Body::Data(body) => body.encode(out),
            Body::Repair(body) => body.encode(out),
            Body::Nack(body) => body.encode(out),
            Body::Feedback(body) => body.encode(out),
            Body::Ping(body) | Body::Pong(body) => body.encode(out),
            Body::Close(body) => body.encode(out),
            Body::Frame(body) => body.encode(out),
            Body::Probe(body) => body.encode(out),
            Body::StreamAck(body) => body.encode(out),
            Body::Hello(body) | Body::Welcome(body) => body.encode(out),
        }
    }

    /// The datagram as a new buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}
