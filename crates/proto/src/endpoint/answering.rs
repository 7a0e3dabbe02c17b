//! The answering side of handshakes: HELLOs from addresses we have no session with.
//!
//! A stranger's HELLO costs two X25519 operations and earns a WELCOME, but no peer: the keys
//! wait in a bounded table until the stranger's first sealed packet opens with them, which
//! proves it holds them and receives at its address. Until then we send it at most three times
//! the bytes it sent us (anti-amplification, as QUIC), and HELLOs are answered at a bounded rate,
//! so a flood with spoofed sources can neither turn us into an amplifier, nor take the CPU, nor
//! push real peers out of the peer table.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use lru::LruCache;

use super::outgoing::Outgoing;
use super::SecurityStats;
use crate::event::Transmit;
use crate::secure::handshake::respond;
use crate::secure::{Keys, SecurityConfig, Session};
use crate::time::Timestamp;
use crate::wire::v1::{Body, Handshake, Header, Packet};

/// Bytes we may send an unvalidated address per byte it sent us.
pub(super) const AMPLIFICATION_FACTOR: usize = 3;

struct Pending {
    keys: Keys,
    hello: Vec<u8>,
    welcome: Vec<u8>,
    bytes_in: usize,
    bytes_out: usize,
}

pub(super) struct Answering {
    pub(super) config: SecurityConfig,
    pending: LruCache<SocketAddr, Pending>,
    tokens: f64,
    refilled: Timestamp,
    pub(super) stats: SecurityStats,
}

impl Answering {
    pub(super) fn new(config: SecurityConfig, max_pending: usize) -> Self {
        let burst = burst(&config);
        Answering {
            config,
            pending: LruCache::new(NonZeroUsize::new(max_pending.max(1)).expect("at least 1")),
            tokens: burst,
            refilled: Timestamp::ZERO,
            stats: SecurityStats::default(),
        }
    }

    /// Runs the responder's side of a HELLO: keys and the WELCOME datagram answering it, or
    /// `None` (counted) when it fails or the rate limit refuses it.
    pub(super) fn answer(&mut self, hello: &Packet<'_>, now: Timestamp) -> Option<(Keys, Vec<u8>)> {
        let Body::Hello(handshake) = hello.body else { return None };
        if !self.take_token(now) {
            self.stats.handshakes_limited += 1;
            return None;
        }
        match respond(&self.config, handshake.message) {
            Ok((keys, message)) => {
                let header = Header { flags: 0, ..hello.header };
                let welcome = Packet { header, body: Body::Welcome(Handshake { message: &message }) }.to_vec();
                Some((keys, welcome))
            }
            Err(_) => {
                self.stats.auth_failed += 1;
                None
            }
        }
    }

    /// A HELLO from an address with no session: answered (within the address's amplification
    /// budget), its keys kept until validated. A repeated HELLO (our WELCOME was lost) gets the
    /// same WELCOME again.
    pub(super) fn hello(&mut self, from: SocketAddr, datagram: &[u8], hello: &Packet<'_>, outgoing: &mut Outgoing, now: Timestamp) {
        if let Some(pending) = self.pending.get_mut(&from).filter(|pending| pending.hello == datagram) {
            pending.bytes_in += datagram.len();
        } else {
            let Some((keys, welcome)) = self.answer(hello, now) else { return };
            let pending = Pending { keys, hello: datagram.to_vec(), welcome, bytes_in: datagram.len(), bytes_out: 0 };
            self.pending.push(from, pending);
        }
        let pending = self.pending.get_mut(&from).expect("present");
        if pending.bytes_out + pending.welcome.len() > AMPLIFICATION_FACTOR * pending.bytes_in {
            self.stats.amplification_limited += 1;
            return;
        }
        pending.bytes_out += pending.welcome.len();
        self.stats.count_handshake_sent(pending.welcome.len());
        outgoing.push(from, Transmit::new(pending.welcome.clone()));
    }

    /// A sealed datagram from an address with no peer: if it opens with the keys its HELLO
    /// earned, the address is validated; gives the session and the opened datagram.
    pub(super) fn validate(&mut self, from: SocketAddr, datagram: &[u8]) -> Option<(Session, Vec<u8>)> {
        let Some(pending) = self.pending.get_mut(&from) else {
            self.stats.auth_failed += 1;
            return None;
        };
        pending.bytes_in += datagram.len();
        let mut session = Session::new(self.config.mode, &pending.keys);
        match session.open(datagram) {
            Ok(plain) => {
                self.pending.pop(&from);
                self.stats.handshakes += 1;
                Some((session, plain))
            }
            Err(_) => {
                self.stats.auth_failed += 1;
                None
            }
        }
    }

    fn take_token(&mut self, now: Timestamp) -> bool {
        let rate = f64::from(self.config.handshakes_per_second);
        let elapsed = now.saturating_duration_since(self.refilled);
        self.refilled = now;
        self.tokens = (self.tokens + rate * elapsed.as_secs_f64()).min(burst(&self.config));
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

/// Handshakes answered back to back before the rate applies: a tenth of a second's worth.
fn burst(config: &SecurityConfig) -> f64 {
    (f64::from(config.handshakes_per_second) * Duration::from_millis(100).as_secs_f64()).max(8.0)
}
