//! A peer's side of the encryption: the handshake it started, or the session it holds.
//!
//! Everything a peer's sender and receiver produce passes through here on its way out: sealed
//! once a session exists, held (bounded) while our HELLO waits for its WELCOME.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use super::outgoing::Outgoing;
use crate::error::SendError;
use crate::event::Transmit;
use crate::secure::{HandshakeError, Initiator, Keys, OpenError, SecurityConfig, Session, Space, TAG_LEN};
use crate::time::Timestamp;
use crate::wire::v1::{Body, Handshake, Header, Packet};

/// The first HELLO resend waits this long; each later one twice as long, up to [`MAX_HELLO_GAP`].
const FIRST_HELLO_GAP: Duration = Duration::from_millis(200);
const MAX_HELLO_GAP: Duration = Duration::from_secs(2);
/// Datagrams held while the handshake runs: a second of a few Mbit/s, no more.
const MAX_HELD_BYTES: usize = 1 << 20;

// `Open` holds the AES key schedules and replay windows and serves every packet; boxing it
// would add an indirection per packet to save memory during one round trip.
#[allow(clippy::large_enum_variant)]
pub(super) enum SecureLink {
    /// Our HELLO is out; what we send waits for the keys.
    Calling {
        initiator: Initiator,
        hello: Vec<u8>,
        next_hello: Timestamp,
        gap: Duration,
        held: VecDeque<(Space, Vec<u8>)>,
        held_bytes: usize,
        /// Datagrams dropped because the hold was full.
        dropped: u64,
    },
    /// Keys agreed.
    Open(Session),
}

impl SecureLink {
    /// Starts a handshake towards a peer: the HELLO is queued at once.
    pub(super) fn call(config: &SecurityConfig, to: SocketAddr, outgoing: &mut Outgoing, now: Timestamp) -> Result<Self, SendError> {
        let initiator = Initiator::start(config).map_err(|error| match error {
            HandshakeError::Missing { what } => SendError::CannotAuthenticate { what },
            other => unreachable!("starting a handshake only fails for a missing key: {other}"),
        })?;
        let id = u32::from_be_bytes(initiator.ephemeral()[..4].try_into().expect("4 bytes"));
        let header = Header { flags: 0, connection_id: id, packet_number: 0 };
        let hello = Packet { header, body: Body::Hello(Handshake { message: initiator.hello() }) }.to_vec();
        outgoing.push(to, Transmit::new(hello.clone()));
        Ok(SecureLink::Calling {
            initiator,
            hello,
            next_hello: now + FIRST_HELLO_GAP,
            gap: FIRST_HELLO_GAP,
            held: VecDeque::new(),
            held_bytes: 0,
            dropped: 0,
        })
    }

    /// Our ephemeral key while calling (for simultaneous calls).
    pub(super) fn calling_ephemeral(&self) -> Option<&[u8]> {
        match self {
            SecureLink::Calling { initiator, .. } => Some(initiator.ephemeral()),
            SecureLink::Open(_) => None,
        }
    }

    /// Seals a datagram for the wire, or holds it until the keys exist.
    pub(super) fn outbound(&mut self, space: Space, datagram: Bytes) -> Option<Transmit> {
        let mut datagram = sealable(datagram);
        match self {
            SecureLink::Open(session) => {
                session.seal(space, &mut datagram);
                Some(Transmit::new(datagram))
            }
            SecureLink::Calling { held, held_bytes, dropped, .. } => {
                *held_bytes += datagram.len();
                held.push_back((space, datagram));
                while *held_bytes > MAX_HELD_BYTES {
                    let (_, old) = held.pop_front().expect("over budget means non-empty");
                    *held_bytes -= old.len();
                    *dropped += 1;
                }
                None
            }
        }
    }

    /// Opens a datagram from the peer into `plain`.
    pub(super) fn open(&mut self, datagram: &[u8], plain: &mut Vec<u8>) -> Result<(), OpenError> {
        match self {
            SecureLink::Open(session) => session.open_into(datagram, plain),
            SecureLink::Calling { .. } => Err(OpenError::NotSealed),
        }
    }

    /// Takes a WELCOME for our HELLO: the session opens and what was held goes out sealed. A
    /// WELCOME that fails (forged, or for an older HELLO) restarts the handshake afresh, since
    /// Noise's state is spent by a failed read.
    pub(super) fn welcome(&mut self, config: &SecurityConfig, welcome: Handshake<'_>, to: SocketAddr, outgoing: &mut Outgoing, now: Timestamp) -> Result<(), HandshakeError> {
        let SecureLink::Calling { initiator, held, .. } = self else {
            return Err(HandshakeError::Rejected("no handshake in progress".into()));
        };
        match initiator.finish(welcome.message) {
            Ok(keys) => {
                let held = std::mem::take(held);
                self.open_with(config, &keys, held, to, outgoing);
                Ok(())
            }
            Err(error) => {
                let held = match self {
                    SecureLink::Calling { held, dropped, .. } => (std::mem::take(held), *dropped),
                    SecureLink::Open(_) => unreachable!("still calling"),
                };
                *self = SecureLink::call(config, to, outgoing, now).expect("called before with this config");
                if let SecureLink::Calling { held: fresh, held_bytes, dropped, .. } = self {
                    *held_bytes = held.0.iter().map(|(_, d)| d.len()).sum();
                    *fresh = held.0;
                    *dropped = held.1;
                }
                Err(error)
            }
        }
    }

    /// Adopts keys agreed another way (we answered the peer's HELLO while calling it).
    pub(super) fn answered(&mut self, config: &SecurityConfig, keys: &Keys, to: SocketAddr, outgoing: &mut Outgoing) {
        let held = match self {
            SecureLink::Calling { held, .. } => std::mem::take(held),
            SecureLink::Open(_) => VecDeque::new(),
        };
        self.open_with(config, keys, held, to, outgoing);
    }

    fn open_with(&mut self, config: &SecurityConfig, keys: &Keys, held: VecDeque<(Space, Vec<u8>)>, to: SocketAddr, outgoing: &mut Outgoing) {
        let mut session = Session::new(config.mode, keys);
        for (space, mut datagram) in held {
            session.seal(space, &mut datagram);
            outgoing.push(to, Transmit::new(datagram));
        }
        *self = SecureLink::Open(session);
    }

    pub(super) fn poll_timeout(&self) -> Option<Timestamp> {
        match self {
            SecureLink::Calling { next_hello, .. } => Some(*next_hello),
            SecureLink::Open(_) => None,
        }
    }

    /// Resends the HELLO when its answer is overdue; gives the bytes sent.
    pub(super) fn handle_timeout(&mut self, to: SocketAddr, outgoing: &mut Outgoing, now: Timestamp) -> usize {
        match self {
            SecureLink::Calling { hello, next_hello, gap, .. } if *next_hello <= now => {
                outgoing.push(to, Transmit::new(hello.clone()));
                *gap = (*gap * 2).min(MAX_HELLO_GAP);
                *next_hello = now + *gap;
                hello.len()
            }
            _ => 0,
        }
    }

    /// The HELLO's size (for counting what the call sent).
    pub(super) fn hello_len(&self) -> usize {
        match self {
            SecureLink::Calling { hello, .. } => hello.len(),
            SecureLink::Open(_) => 0,
        }
    }

    /// Datagrams dropped because the handshake took too long to hold them all.
    pub(super) fn dropped(&self) -> u64 {
        match self {
            SecureLink::Calling { dropped, .. } => *dropped,
            SecureLink::Open(_) => 0,
        }
    }
}

/// The datagram's bytes to seal in place: its own buffer when nothing else holds it (a control
/// packet), else a copy with room for the tag (a DATA packet, which its sender keeps clear for
/// the block's parity and for retransmission).
fn sealable(datagram: Bytes) -> Vec<u8> {
    match datagram.try_into_mut() {
        Ok(unique) => unique.into(),
        Err(shared) => {
            let mut copy = Vec::with_capacity(shared.len() + TAG_LEN);
            copy.extend_from_slice(&shared);
            copy
        }
    }
}
