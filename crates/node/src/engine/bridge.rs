//! The plain-UDP side of a relay, on the I/O thread: what `perfect-socket relay` forwards never
//! crosses into JavaScript. Sender side, datagrams read at the bridge's socket (from ffmpeg, say)
//! go to the endpoint as messages for one protected peer; receiver side, what the endpoint
//! delivers goes out the bridge's socket as plain datagrams (to ffplay, say), one for one.

use std::net::SocketAddr;

use super::udp::Udp;

/// Which way the bridge carries datagrams.
#[derive(Clone, Copy, Debug)]
pub(super) enum Direction {
    /// Plain datagrams in, protected messages out to this peer.
    Into(SocketAddr),
    /// Delivered messages out as plain datagrams to this address.
    OutTo(SocketAddr),
}

pub(super) struct Bridge {
    pub udp: Udp,
    pub direction: Direction,
}

impl Bridge {
    /// The protected peer plain input goes to, when this is the sender side.
    pub fn peer(&self) -> Option<SocketAddr> {
        match self.direction {
            Direction::Into(peer) => Some(peer),
            Direction::OutTo(_) => None,
        }
    }

    /// Where delivered messages go, when this is the receiver side.
    pub fn forward_to(&self) -> Option<SocketAddr> {
        match self.direction {
            Direction::OutTo(to) => Some(to),
            Direction::Into(_) => None,
        }
    }
}
