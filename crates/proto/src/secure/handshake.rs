//! The two-message Noise handshake: HELLO (initiator to responder) and WELCOME (back).
//!
//! Which Noise pattern runs depends on what the ends hold: a shared key only, `NNpsk0`; a
//! pinned server key only, `NK` (the server is authenticated, anyone may connect, the public-
//! broadcast case); both, `NKpsk0`. The HELLO names its suite in one byte so a responder that
//! lacks what it needs refuses with a reason rather than a garbled key. The responder is done
//! after writing the WELCOME, so it keeps no half-open Noise state, only the keys.

use thiserror::Error;

use super::SecurityConfig;

/// A HELLO's body: the suite byte, then Noise's first message (ephemeral key and tag).
pub const HELLO_MESSAGE_LEN: usize = 1 + 32 + 16;
/// A WELCOME's body: Noise's second message.
pub const WELCOME_MESSAGE_LEN: usize = 32 + 16;
/// A generous bound on any Noise message of ours, for the parser.
pub const MAX_MESSAGE_LEN: usize = 128;

/// The Noise protocols we speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Suite {
    /// Both ends hold a pre-shared key.
    NnPsk = 1,
    /// The initiator pins the responder's public key.
    Nk = 2,
    /// Both.
    NkPsk = 3,
}

impl Suite {
    pub(crate) fn params(self) -> snow::params::NoiseParams {
        let name = match self {
            Suite::NnPsk => "Noise_NNpsk0_25519_AESGCM_SHA256",
            Suite::Nk => "Noise_NK_25519_AESGCM_SHA256",
            Suite::NkPsk => "Noise_NKpsk0_25519_AESGCM_SHA256",
        };
        name.parse().expect("a valid Noise protocol name")
    }

    fn from_byte(byte: u8) -> Result<Self, HandshakeError> {
        Ok(match byte {
            1 => Suite::NnPsk,
            2 => Suite::Nk,
            3 => Suite::NkPsk,
            got => return Err(HandshakeError::UnknownSuite { got }),
        })
    }

    /// The suite an initiator with `config` uses.
    fn of_initiator(config: &SecurityConfig) -> Result<Self, HandshakeError> {
        match (config.psk.is_some(), config.peer_public_key.is_some()) {
            (true, false) => Ok(Suite::NnPsk),
            (false, true) => Ok(Suite::Nk),
            (true, true) => Ok(Suite::NkPsk),
            (false, false) => Err(HandshakeError::Missing { what: "a passphrase or the server's public key" }),
        }
    }
}

/// Why a handshake failed. Every one means: no keys, nothing delivered.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum HandshakeError {
    /// The HELLO names a suite this build does not know.
    #[error("unknown handshake suite {got}")]
    UnknownSuite {
        /// The suite byte.
        got: u8,
    },
    /// This end lacks what the suite needs.
    #[error("this end has no {what}")]
    Missing {
        /// What is missing.
        what: &'static str,
    },
    /// The message did not authenticate (a wrong passphrase or key) or was malformed.
    #[error("handshake message rejected: {0}")]
    Rejected(String),
}

fn rejected(error: snow::Error) -> HandshakeError {
    HandshakeError::Rejected(error.to_string())
}

/// One AES-256-GCM key per direction.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    /// For what we send.
    pub send: [u8; 32],
    /// For what we receive.
    pub receive: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

fn builder<'a>(suite: Suite, config: &'a SecurityConfig, initiator: bool) -> Result<snow::Builder<'a>, HandshakeError> {
    let mut builder = snow::Builder::new(suite.params());
    if matches!(suite, Suite::NnPsk | Suite::NkPsk) {
        let psk = config.psk.as_ref().ok_or(HandshakeError::Missing { what: "passphrase" })?;
        builder = builder.psk(0, psk).map_err(rejected)?;
    }
    if matches!(suite, Suite::Nk | Suite::NkPsk) {
        builder = if initiator {
            let key = config.peer_public_key.as_ref().ok_or(HandshakeError::Missing { what: "server public key" })?;
            builder.remote_public_key(key).map_err(rejected)?
        } else {
            let key = config.private_key.as_ref().ok_or(HandshakeError::Missing { what: "private key" })?;
            builder.local_private_key(key).map_err(rejected)?
        };
    }
    Ok(builder)
}

fn split(state: &mut snow::HandshakeState, initiator: bool) -> Keys {
    let (initiator_to_responder, responder_to_initiator) = state.dangerously_get_raw_split();
    if initiator {
        Keys { send: initiator_to_responder, receive: responder_to_initiator }
    } else {
        Keys { send: responder_to_initiator, receive: initiator_to_responder }
    }
}

/// The initiator's side between its HELLO and the WELCOME.
pub struct Initiator {
    state: snow::HandshakeState,
    hello: Vec<u8>,
}

impl Initiator {
    /// Starts a handshake; [`Self::hello`] is the HELLO body to send.
    pub fn start(config: &SecurityConfig) -> Result<Self, HandshakeError> {
        let suite = Suite::of_initiator(config)?;
        let mut state = builder(suite, config, true)?.build_initiator().map_err(rejected)?;
        let mut hello = vec![0u8; HELLO_MESSAGE_LEN];
        hello[0] = suite as u8;
        let len = state.write_message(&[], &mut hello[1..]).map_err(rejected)?;
        hello.truncate(1 + len);
        Ok(Initiator { state, hello })
    }

    /// The HELLO body: suite byte and Noise message (resent as is if unanswered).
    pub fn hello(&self) -> &[u8] {
        &self.hello
    }

    /// Our ephemeral public key, which opens the HELLO: two ends that contact each other at once
    /// compare theirs, and the smaller stays initiator.
    pub fn ephemeral(&self) -> &[u8] {
        &self.hello[1..33]
    }

    /// Takes the WELCOME body; gives the session keys. After an error this initiator is spent.
    pub fn finish(&mut self, welcome: &[u8]) -> Result<Keys, HandshakeError> {
        if welcome.len() > MAX_MESSAGE_LEN {
            return Err(HandshakeError::Rejected(format!("a {}-byte WELCOME", welcome.len())));
        }
        let mut payload = [0u8; MAX_MESSAGE_LEN];
        self.state.read_message(welcome, &mut payload).map_err(rejected)?;
        Ok(split(&mut self.state, true))
    }
}

/// The responder's whole side: checks a HELLO body and gives the keys and the WELCOME body.
pub fn respond(config: &SecurityConfig, hello: &[u8]) -> Result<(Keys, Vec<u8>), HandshakeError> {
    let (&suite, message) = hello.split_first().ok_or(HandshakeError::Rejected("an empty HELLO".into()))?;
    if message.len() > MAX_MESSAGE_LEN {
        return Err(HandshakeError::Rejected(format!("a {}-byte HELLO", hello.len())));
    }
    let suite = Suite::from_byte(suite)?;
    let mut state = builder(suite, config, false)?.build_responder().map_err(rejected)?;
    let mut payload = [0u8; MAX_MESSAGE_LEN];
    state.read_message(message, &mut payload).map_err(rejected)?;
    let mut welcome = vec![0u8; MAX_MESSAGE_LEN];
    let len = state.write_message(&[], &mut welcome).map_err(rejected)?;
    welcome.truncate(len);
    Ok((split(&mut state, false), welcome))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secure::{generate_keypair, passphrase_key, EncryptMode};

    fn with_psk(passphrase: &str) -> SecurityConfig {
        SecurityConfig { psk: Some(passphrase_key(passphrase).unwrap()), ..SecurityConfig::new(EncryptMode::All) }
    }

    fn run(initiator: &SecurityConfig, responder: &SecurityConfig) -> Result<(Keys, Keys), HandshakeError> {
        let mut start = Initiator::start(initiator)?;
        assert_eq!(start.hello().len(), HELLO_MESSAGE_LEN);
        let (responder_keys, welcome) = respond(responder, start.hello())?;
        assert_eq!(welcome.len(), WELCOME_MESSAGE_LEN);
        Ok((start.finish(&welcome)?, responder_keys))
    }

    #[test]
    fn a_shared_passphrase_gives_mirrored_keys() {
        let config = with_psk("correct horse battery");
        let (initiator, responder) = run(&config, &config).unwrap();
        assert_eq!(initiator.send, responder.receive);
        assert_eq!(initiator.receive, responder.send);
        assert_ne!(initiator.send, initiator.receive);
    }

    #[test]
    fn a_wrong_passphrase_is_refused_by_the_responder() {
        let error = run(&with_psk("correct horse battery"), &with_psk("wrong horse battery")).unwrap_err();
        assert!(matches!(error, HandshakeError::Rejected(_)), "{error:?}");
    }

    #[test]
    fn a_pinned_server_key_authenticates_the_server() {
        let server = generate_keypair();
        let responder = SecurityConfig { private_key: Some(server.private_key), ..SecurityConfig::new(EncryptMode::All) };
        let client = SecurityConfig { peer_public_key: Some(server.public_key), ..SecurityConfig::new(EncryptMode::All) };
        let (initiator, responder_keys) = run(&client, &responder).unwrap();
        assert_eq!(initiator.send, responder_keys.receive);
        // A client pinning another key cannot talk to this server.
        let impostor = SecurityConfig { peer_public_key: Some(generate_keypair().public_key), ..client };
        assert!(run(&impostor, &responder).is_err());
    }

    #[test]
    fn a_responder_without_what_the_suite_needs_says_so() {
        let server = generate_keypair();
        let client = SecurityConfig { peer_public_key: Some(server.public_key), ..SecurityConfig::new(EncryptMode::All) };
        let error = run(&client, &with_psk("correct horse battery")).unwrap_err();
        assert_eq!(error, HandshakeError::Missing { what: "private key" });
        assert!(matches!(respond(&client, &[9, 1, 2]), Err(HandshakeError::UnknownSuite { got: 9 })));
        assert!(respond(&client, &[]).is_err());
    }
}
