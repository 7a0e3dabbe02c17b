//! Keep-alive and idle timeout for one peer.
//!
//! NAT bindings for UDP expire after as little as 30 s of silence (seed 002 measured 99%
//! reachability with pings under 30 s; RFC 4787 asks for at least 2 minutes but many devices
//! do less), so a peer we have sent nothing to for `keep_alive` gets a PING: it refreshes the
//! binding on every box on the path, and the peer's answer tells us it is still there. A peer
//! we have heard nothing from and sent no data to for `idle_timeout` is gone: the endpoint drops
//! its state and reports it.

use std::time::Duration;

use crate::time::Timestamp;

/// Tokens of keep-alive PINGs carry this in their top 16 bits, so their PONGs are recognised
/// and dropped without disturbing the RTT pinger's tokens (timestamps, far below it).
pub(super) const KEEP_ALIVE_TAG: u64 = 0x4B41_0000_0000_0000; // "KA"
pub(super) const TAG_MASK: u64 = 0xFFFF_0000_0000_0000;

/// Keep-alive and idle-timeout settings, plus path MTU discovery: what the endpoint does for
/// the path itself rather than for the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathConfig {
    /// Send a PING to a peer after this long without sending it anything (default 15 s, half
    /// the shortest NAT timeouts seen; `None`: never).
    pub keep_alive: Option<Duration>,
    /// Forget a peer after this long without a datagram from it or data to it (default 60 s;
    /// `None`: never, peers then leave only by eviction).
    pub idle_timeout: Option<Duration>,
    /// Path MTU discovery (`None`: off; datagram sizes are then the application's business).
    pub mtu: Option<super::mtu::MtuConfig>,
}

impl Default for PathConfig {
    fn default() -> Self {
        PathConfig {
            keep_alive: Some(Duration::from_secs(15)),
            idle_timeout: Some(Duration::from_secs(60)),
            mtu: Some(super::mtu::MtuConfig::default()),
        }
    }
}

impl PathConfig {
    /// No keep-alive, no idle timeout, no probing: the endpoint sends only what its streams do.
    pub fn disabled() -> Self {
        PathConfig { keep_alive: None, idle_timeout: None, mtu: None }
    }

    /// Checks the settings, as [`super::Endpoint::new`] would.
    pub fn validate(&self) -> Result<(), crate::error::ConfigError> {
        use crate::error::ConfigError;
        let positive = |name, d: Option<Duration>| match d {
            Some(d) if d.is_zero() => Err(ConfigError::out_of_range(name, "more than 0 (None turns it off)", 0)),
            _ => Ok(()),
        };
        positive("keep_alive", self.keep_alive)?;
        positive("idle_timeout", self.idle_timeout)?;
        if let (Some(keep_alive), Some(idle)) = (self.keep_alive, self.idle_timeout) {
            if idle <= keep_alive {
                return Err(ConfigError::out_of_range("idle_timeout", "longer than keep_alive", idle.as_millis() as usize));
            }
        }
        self.mtu.map_or(Ok(()), |mtu| mtu.validate())
    }
}

/// When a peer last sent, was sent to, and was sent data.
#[derive(Clone, Copy, Debug)]
pub(super) struct Liveness {
    last_sent: Timestamp,
    last_active: Timestamp,
    /// Whether the peer has ever sent us a datagram.
    pub heard: bool,
}

impl Liveness {
    pub fn new(now: Timestamp) -> Self {
        Liveness { last_sent: now, last_active: now, heard: false }
    }

    /// Something went out to the peer.
    pub fn sent(&mut self, now: Timestamp) {
        self.last_sent = self.last_sent.max(now);
    }

    /// Data went out to the peer, or a datagram came in from it: the peer is in use.
    pub fn active(&mut self, now: Timestamp) {
        self.last_active = self.last_active.max(now);
    }

    /// A datagram came in from the peer.
    pub fn heard(&mut self, now: Timestamp) {
        self.heard = true;
        self.active(now);
    }

    /// When the next keep-alive is due.
    pub fn keep_alive_at(&self, config: &PathConfig) -> Option<Timestamp> {
        config.keep_alive.map(|interval| self.last_sent + interval)
    }

    /// When the peer counts as gone.
    pub fn idle_at(&self, config: &PathConfig) -> Option<Timestamp> {
        config.idle_timeout.map(|timeout| self.last_active + timeout)
    }
}
