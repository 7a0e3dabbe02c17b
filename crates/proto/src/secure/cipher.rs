//! One direction's packet key: AES-256-GCM, re-derived for every 2^32 packets of a number
//! space (an epoch), so the 32-bit packet numbers in the nonce never repeat under one key.
//!
//! `ring` does the AEAD: its AES-GCM (BoringSSL's assembly, AES-NI/VAES and carry-less multiply)
//! is several times faster than RustCrypto's portable-intrinsics one, which cost more than the
//! whole FEC engine per packet (examples/seal_cost.rs).

use hkdf::Hkdf;
use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_256_GCM};
use sha2::Sha256;

type Aes256Gcm = LessSafeKey;

fn cipher_of(key: &[u8; 32]) -> Aes256Gcm {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte AES-256 key"))
}

use super::TAG_LEN;

const EPOCH_INFO: &[u8] = b"perfect-socket v1 packet key epoch ";

/// A direction's key schedule, with the ciphers of the last two epochs used kept ready (a
/// packet from just before a wrap can still arrive after it).
pub(crate) struct PacketKey {
    base: [u8; 32],
    ready: [(u32, Aes256Gcm); 2],
}

impl PacketKey {
    pub(crate) fn new(base: [u8; 32]) -> Self {
        PacketKey { base, ready: [(0, cipher_of(&base)), (0, cipher_of(&base))] }
    }

    fn cipher(&mut self, epoch: u32) -> &Aes256Gcm {
        if let Some(i) = self.ready.iter().position(|(e, _)| *e == epoch) {
            return &self.ready[i].1;
        }
        // Replace the older of the two.
        let older = if self.ready[0].0 < self.ready[1].0 { 0 } else { 1 };
        self.ready[older] = (epoch, cipher_of(&epoch_key(&self.base, epoch)));
        &self.ready[older].1
    }

    /// Encrypts `buffer[body..]` in place (nothing when `encrypt` is false) and appends the tag,
    /// which covers `buffer[..body]` as associated data.
    pub(crate) fn seal(&mut self, epoch: u32, nonce: &[u8; 12], buffer: &mut Vec<u8>, body: usize, encrypt: bool) {
        buffer.reserve_exact(TAG_LEN);
        let (associated, plaintext) = if encrypt { buffer.split_at_mut(body) } else { (&mut buffer[..], &mut [][..]) };
        let tag = self
            .cipher(epoch)
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(&*associated), plaintext)
            .expect("AES-GCM seals any datagram-sized buffer");
        buffer.extend_from_slice(tag.as_ref());
    }

    /// Checks and strips the tag of `buffer`, decrypting `buffer[body..]` in place when
    /// `encrypted`. False when it does not authenticate (the buffer is then garbage).
    pub(crate) fn open(&mut self, epoch: u32, nonce: &[u8; 12], buffer: &mut Vec<u8>, body: usize, encrypted: bool) -> bool {
        let Some(tag_at) = buffer.len().checked_sub(TAG_LEN).filter(|&at| at >= body) else { return false };
        let Ok(tag) = Tag::try_from(&buffer[tag_at..]) else { return false };
        buffer.truncate(tag_at);
        let (associated, ciphertext) = if encrypted { buffer.split_at_mut(body) } else { (&mut buffer[..], &mut [][..]) };
        let nonce = Nonce::assume_unique_for_key(*nonce);
        self.cipher(epoch).open_in_place_separate_tag(nonce, Aad::from(&*associated), tag, ciphertext, 0..).is_ok()
    }
}

/// Epoch 0 uses the handshake's key; later epochs HKDF-SHA256 expansions of it.
fn epoch_key(base: &[u8; 32], epoch: u32) -> [u8; 32] {
    if epoch == 0 {
        return *base;
    }
    let mut info = EPOCH_INFO.to_vec();
    info.extend_from_slice(&epoch.to_be_bytes());
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, base).expand(&info, &mut key).expect("32 bytes is a valid HKDF-SHA256 length");
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_has_its_own_key() {
        let base = [7u8; 32];
        assert_ne!(epoch_key(&base, 1), base);
        assert_ne!(epoch_key(&base, 1), epoch_key(&base, 2));
        let (mut a, mut b) = (PacketKey::new(base), PacketKey::new(base));
        let nonce = [1u8; 12];
        let mut first = b"header|body".to_vec();
        let mut second = first.clone();
        a.seal(0, &nonce, &mut first, 7, true);
        a.seal(1, &nonce, &mut second, 7, true);
        assert_ne!(first, second, "the same nonce in another epoch must not give the same ciphertext");
        assert!(b.open(1, &nonce, &mut second, 7, true));
        assert_eq!(second, b"header|body");
        assert!(!b.open(1, &nonce, &mut first, 7, true), "epoch 0's packet does not open with epoch 1's key");
    }
}
