//! What a secure endpoint is configured with.

use pbkdf2::pbkdf2_hmac;
use sha2::Sha256;

use crate::error::ConfigError;

/// SRT's passphrase bounds, so the same secrets work in both tools.
pub const MIN_PASSPHRASE: usize = 10;
/// See [`MIN_PASSPHRASE`].
pub const MAX_PASSPHRASE: usize = 79;
/// PBKDF2 rounds turning a passphrase into the pre-shared key: a captured HELLO lets an
/// attacker try passphrases offline, so each guess should cost.
const PASSPHRASE_ROUNDS: u32 = 100_000;
const PASSPHRASE_SALT: &[u8] = b"perfect-socket v1 passphrase";

/// Which packets are encrypted; every packet is authenticated in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncryptMode {
    /// Control packets encrypted; media (DATA, REPAIR, FRAME) authenticated, in the clear.
    Control,
    /// Every packet body encrypted.
    All,
}

/// How an endpoint authenticates its peers and protects its packets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityConfig {
    /// What is encrypted.
    pub mode: EncryptMode,
    /// A key both ends share (see [`passphrase_key`]).
    pub psk: Option<[u8; 32]>,
    /// Our X25519 private key, when peers pin our public key (a server).
    pub private_key: Option<[u8; 32]>,
    /// The public key we expect the peers we contact to hold (a client pinning its server).
    pub peer_public_key: Option<[u8; 32]>,
    /// Handshakes answered per second at most: each costs two X25519 operations, so a flood
    /// must not take the CPU.
    pub handshakes_per_second: u32,
}

impl SecurityConfig {
    /// A configuration with a passphrase's key.
    pub fn with_passphrase(mode: EncryptMode, passphrase: &str) -> Result<Self, ConfigError> {
        Ok(SecurityConfig { psk: Some(passphrase_key(passphrase)?), ..SecurityConfig::new(mode) })
    }

    /// No keys yet: set at least one of `psk`, `private_key`, `peer_public_key`.
    pub fn new(mode: EncryptMode) -> Self {
        SecurityConfig { mode, psk: None, private_key: None, peer_public_key: None, handshakes_per_second: 2_000 }
    }

    /// Checks that the endpoint can authenticate someone.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.psk.is_none() && self.private_key.is_none() && self.peer_public_key.is_none() {
            return Err(ConfigError::out_of_range("security", "given a passphrase, a private key or a peer public key", "none"));
        }
        if self.handshakes_per_second == 0 {
            return Err(ConfigError::out_of_range("handshakes_per_second", "at least 1", 0));
        }
        Ok(())
    }
}

/// The pre-shared key of a passphrase: PBKDF2-HMAC-SHA256, 100,000 rounds, fixed salt (both
/// ends must derive the same key with nothing exchanged).
pub fn passphrase_key(passphrase: &str) -> Result<[u8; 32], ConfigError> {
    let len = passphrase.chars().count();
    if !(MIN_PASSPHRASE..=MAX_PASSPHRASE).contains(&len) {
        return Err(ConfigError::out_of_range("passphrase", "10 to 79 characters long", format!("{len} characters")));
    }
    let mut key = [0u8; 32];
    pbkdf2_hmac::<Sha256>(passphrase.as_bytes(), PASSPHRASE_SALT, PASSPHRASE_ROUNDS, &mut key);
    Ok(key)
}

/// An X25519 key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPair {
    /// Keep secret; give to the server's [`SecurityConfig::private_key`].
    pub private_key: [u8; 32],
    /// Give to clients' [`SecurityConfig::peer_public_key`].
    pub public_key: [u8; 32],
}

/// A fresh X25519 key pair from the operating system's randomness.
pub fn generate_keypair() -> KeyPair {
    let builder = snow::Builder::new(super::handshake::Suite::Nk.params());
    let pair = builder.generate_keypair().expect("X25519 key generation cannot fail with the default resolver");
    KeyPair {
        private_key: pair.private.try_into().expect("X25519 keys are 32 bytes"),
        public_key: pair.public.try_into().expect("X25519 keys are 32 bytes"),
    }
}
