//! Key generation for sockets that pin their server's public key.

use napi_derive::napi;

/// An X25519 key pair, each key 64 hex digits.
#[napi(object)]
pub struct KeyPairHex {
    /// For the server's `privateKey` option; keep it secret.
    pub private_key: String,
    /// For the clients' `peerPublicKey` option.
    pub public_key: String,
}

/// A fresh X25519 key pair from the operating system's randomness.
#[napi]
pub fn generate_key_pair() -> KeyPairHex {
    let pair = proto::secure::generate_keypair();
    KeyPairHex { private_key: hex(&pair.private_key), public_key: hex(&pair.public_key) }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
