//! The secure endpoint's receive path: handshakes answered or completed, every other datagram
//! opened with its peer's session (or validating a stranger whose HELLO earned keys) before the
//! clear path sees it; and the counters of what it refused.

use std::net::SocketAddr;

use super::secure_link::SecureLink;
use super::Endpoint;
use crate::event::Transmit;
use crate::secure::OpenError;
use crate::time::Timestamp;
use crate::wire::v1::{Body, Packet, PacketType};

/// What a secure endpoint's handshakes and authentication did. Every datagram refused here is
/// dropped before any receiver sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecurityStats {
    /// Handshakes completed, as either end.
    pub handshakes: u64,
    /// Datagrams that did not authenticate: a HELLO or WELCOME made with another key, a sealed
    /// packet whose tag is wrong (another key, or altered bytes), or one from an address with no
    /// session, or a packet in the clear.
    pub auth_failed: u64,
    /// Authentic packets refused as already seen (a replay) or older than the replay window.
    pub replayed: u64,
    /// HELLOs not answered because handshakes came faster than the configured rate.
    pub handshakes_limited: u64,
    /// WELCOMEs withheld because the address, not yet validated, had not sent a third of it.
    pub amplification_limited: u64,
    /// Datagrams dropped while our handshake was pending, to bound what waits for it.
    pub held_dropped: u64,
    /// HELLO and WELCOME datagrams sent, and their bytes (also in the endpoint's totals).
    pub handshake_datagrams: u64,
    /// See [`Self::handshake_datagrams`].
    pub handshake_bytes: u64,
}

impl SecurityStats {
    /// A HELLO or WELCOME of `bytes` went out.
    pub(super) fn count_handshake_sent(&mut self, bytes: usize) {
        self.handshake_datagrams += 1;
        self.handshake_bytes += bytes as u64;
    }

    pub(super) fn count_refusal(&mut self, error: OpenError) {
        match error {
            OpenError::NotSealed | OpenError::Forged => self.auth_failed += 1,
            OpenError::Replayed => self.replayed += 1,
        }
    }
}

impl Endpoint {
    /// On a secure endpoint: handshakes are answered or completed here; any other datagram must
    /// open with its peer's session (or, from a new address, with the keys its HELLO earned).
    pub(super) fn handle_secure(&mut self, from: SocketAddr, datagram: &[u8], now: Timestamp) {
        let answering = self.answering.as_mut().expect("secure");
        let handshake = matches!(datagram.get(1), Some(&t) if t == PacketType::Hello as u8 || t == PacketType::Welcome as u8);
        if handshake {
            let Ok(packet) = Packet::parse(datagram) else {
                answering.stats.auth_failed += 1;
                return;
            };
            match (&packet.body, self.peers.get_mut(&from)) {
                (Body::Welcome(welcome), Some(peer)) => {
                    let Some(link) = peer.secure_link() else { return };
                    match link.welcome(&answering.config, *welcome, from, &mut self.outgoing, now) {
                        Ok(()) => answering.stats.handshakes += 1,
                        Err(_) => {
                            answering.stats.auth_failed += 1;
                            // A failed WELCOME restarts our handshake: a new HELLO went out.
                            if link.hello_len() > 0 {
                                answering.stats.count_handshake_sent(link.hello_len());
                            }
                        }
                    }
                }
                (Body::Welcome(_), None) => answering.stats.auth_failed += 1,
                // Both ends called at once: the smaller ephemeral key keeps calling, the other answers.
                (Body::Hello(hello), Some(peer)) if peer.calling_ephemeral().is_some() => {
                    if peer.calling_ephemeral().expect("calling") < hello.message.get(1..33).unwrap_or_default() {
                        return;
                    }
                    let Some((keys, welcome)) = answering.answer(&packet, now) else { return };
                    answering.stats.handshakes += 1;
                    answering.stats.count_handshake_sent(welcome.len());
                    self.outgoing.push(from, Transmit::new(welcome));
                    let link = peer.secure_link().expect("calling");
                    link.answered(&answering.config, &keys, from, &mut self.outgoing);
                }
                // A stranger, or a known peer that restarted: its new session must prove itself
                // before it replaces anything.
                (Body::Hello(_), _) => answering.hello(from, datagram, &packet, &mut self.outgoing, now),
                _ => answering.stats.auth_failed += 1,
            }
            return;
        }
        if let Some(peer) = self.peers.get_mut(&from) {
            let mut plain = std::mem::take(&mut self.opened);
            let opened = peer.open(datagram, &mut plain);
            if opened.is_ok() {
                self.handle_clear(from, &plain, now);
            }
            self.opened = plain;
            match opened {
                Ok(()) => return,
                // Not ours: perhaps the peer restarted and its new keys wait below.
                Err(OpenError::NotSealed | OpenError::Forged) => {}
                Err(error) => return self.answering.as_mut().expect("secure").stats.count_refusal(error),
            }
        }
        let Some((session, plain)) = self.answering.as_mut().expect("secure").validate(from, datagram) else { return };
        if let Some(old) = self.peers.pop(&from) {
            self.depart(&old);
        }
        let mut peer = self.new_peer(now).secure(SecureLink::Open(session));
        peer.handle_datagram(&plain, now);
        peer.drain(from, now, &mut self.outgoing, &mut self.delivered);
        self.admit(from, peer);
    }
}
