//! Sealing and opening whole v1 datagrams with a session's keys.
//!
//! A sealed datagram keeps its 11-byte header in the clear (the I/O layer and the demultiplexer
//! read it) but authenticated, sets [`SEALED_FLAG`] (and [`RECEIVER_SPACE_FLAG`] for the
//! receiving half's packets), and ends in a 16-byte tag. The nonce is
//! `[space, 0, 0, 0, connection id, packet number]`; the key, the direction's key of the epoch
//! above the packet number.

use super::cipher::PacketKey;
use super::handshake::Keys;
use super::replay::{self, Refusal, ReplayWindow};
use super::{EncryptMode, RECEIVER_SPACE_FLAG, SEALED_FLAG, TAG_LEN};
use crate::wire::v1::{PacketType, HEADER_LEN};

const FLAGS_AT: usize = 2;

/// Which half of a peer produced a packet: each numbers its packets on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// Our sender: DATA, REPAIR, FRAME, and its control packets.
    Sender = 0,
    /// Our receiver: NACK, FEEDBACK, STREAM_ACK, and its answers.
    Receiver = 1,
}

/// Why a datagram did not open. None is delivered; each is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// It is not sealed (or too short to be): an endpoint with security takes only sealed packets.
    NotSealed,
    /// Its tag is wrong: another key, or altered bytes.
    Forged,
    /// Its packet number was seen already, or is older than the replay window.
    Replayed,
}

/// A peer's keys, the newest numbers sealed, and the replay windows.
pub struct Session {
    mode: EncryptMode,
    send: PacketKey,
    receive: PacketKey,
    sealed: [Option<u64>; 2],
    windows: [ReplayWindow; 2],
}

impl Session {
    /// A session with the keys a handshake gave.
    pub fn new(mode: EncryptMode, keys: &Keys) -> Self {
        Session {
            mode,
            send: PacketKey::new(keys.send),
            receive: PacketKey::new(keys.receive),
            sealed: [None, None],
            windows: [ReplayWindow::new(), ReplayWindow::new()],
        }
    }

    /// Seals a complete v1 datagram in place (it grows by [`TAG_LEN`]). Sealing the same
    /// datagram twice with the same packet number gives the same bytes: a retransmission.
    pub fn seal(&mut self, space: Space, datagram: &mut Vec<u8>) {
        if datagram.len() < HEADER_LEN {
            return;
        }
        datagram[FLAGS_AT] |= SEALED_FLAG | space_flag(space);
        let (connection, number) = identity(datagram);
        let slot = &mut self.sealed[space as usize];
        let extended = replay::extend(*slot, number);
        *slot = Some(slot.map_or(extended, |newest| newest.max(extended)));
        let encrypt = self.encrypts(datagram[1]);
        self.send.seal(epoch(extended), &nonce(space, connection, number), datagram, HEADER_LEN, encrypt);
    }

    /// Opens a sealed datagram: checks its tag and packet number, decrypts, and gives the v1
    /// datagram as it was before sealing.
    pub fn open(&mut self, datagram: &[u8]) -> Result<Vec<u8>, OpenError> {
        let mut plain = Vec::new();
        self.open_into(datagram, &mut plain)?;
        Ok(plain)
    }

    /// [`Self::open`] into a buffer the caller reuses (the receive path opens every datagram).
    pub fn open_into(&mut self, datagram: &[u8], plain: &mut Vec<u8>) -> Result<(), OpenError> {
        if datagram.len() < HEADER_LEN + TAG_LEN || datagram[FLAGS_AT] & SEALED_FLAG == 0 {
            return Err(OpenError::NotSealed);
        }
        let space = if datagram[FLAGS_AT] & RECEIVER_SPACE_FLAG != 0 { Space::Receiver } else { Space::Sender };
        let (connection, number) = identity(datagram);
        let window = &self.windows[space as usize];
        let extended = window.extend(number);
        window.check(extended).map_err(|refusal| match refusal {
            Refusal::Replayed | Refusal::TooOld => OpenError::Replayed,
        })?;
        plain.clear();
        plain.extend_from_slice(datagram);
        let encrypted = self.encrypts(datagram[1]);
        if !self.receive.open(epoch(extended), &nonce(space, connection, number), plain, HEADER_LEN, encrypted) {
            return Err(OpenError::Forged);
        }
        self.windows[space as usize].mark(extended);
        plain[FLAGS_AT] &= !(SEALED_FLAG | RECEIVER_SPACE_FLAG);
        Ok(())
    }

    /// Whether a packet of this type byte has its body encrypted (else only authenticated).
    fn encrypts(&self, kind: u8) -> bool {
        match self.mode {
            EncryptMode::All => true,
            EncryptMode::Control => !is_media(kind),
        }
    }
}

fn is_media(kind: u8) -> bool {
    [PacketType::Data, PacketType::Repair, PacketType::Frame].iter().any(|media| *media as u8 == kind)
}

fn space_flag(space: Space) -> u8 {
    match space {
        Space::Sender => 0,
        Space::Receiver => RECEIVER_SPACE_FLAG,
    }
}

fn identity(datagram: &[u8]) -> (u32, u32) {
    let connection = u32::from_be_bytes(datagram[3..7].try_into().expect("4 bytes"));
    let number = u32::from_be_bytes(datagram[7..11].try_into().expect("4 bytes"));
    (connection, number)
}

fn epoch(extended: u64) -> u32 {
    // 2^32 epochs of 2^32 packets: a session would have to run for centuries to wrap this.
    (extended >> 32) as u32
}

fn nonce(space: Space, connection: u32, number: u32) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[0] = space as u8;
    nonce[4..8].copy_from_slice(&connection.to_be_bytes());
    nonce[8..].copy_from_slice(&number.to_be_bytes());
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::v1::MAGIC_VERSION;

    fn pair(mode: EncryptMode) -> (Session, Session) {
        let keys = Keys { send: [1; 32], receive: [2; 32] };
        let mirrored = Keys { send: keys.receive, receive: keys.send };
        (Session::new(mode, &keys), Session::new(mode, &mirrored))
    }

    /// A header and a body; sealing does not parse bodies.
    fn packet(kind: PacketType, number: u32, body: &[u8]) -> Vec<u8> {
        let mut datagram = vec![MAGIC_VERSION, kind as u8, 0];
        datagram.extend_from_slice(&9u32.to_be_bytes());
        datagram.extend_from_slice(&number.to_be_bytes());
        datagram.extend_from_slice(body);
        datagram
    }

    fn data(number: u32, payload: &[u8]) -> Vec<u8> {
        packet(PacketType::Data, number, payload)
    }

    fn ping(number: u32) -> Vec<u8> {
        packet(PacketType::Ping, number, b"token:77")
    }

    #[test]
    fn all_mode_hides_the_body_and_round_trips() {
        let (mut a, mut b) = pair(EncryptMode::All);
        let plain = data(1, b"secret media payload");
        let mut sealed = plain.clone();
        a.seal(Space::Sender, &mut sealed);
        assert_eq!(sealed.len(), plain.len() + TAG_LEN);
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "the payload must not show");
        assert_eq!(b.open(&sealed).unwrap(), plain);
    }

    #[test]
    fn control_mode_leaves_media_readable_but_not_forgeable() {
        let (mut a, mut b) = pair(EncryptMode::Control);
        let mut media = data(1, b"public broadcast");
        a.seal(Space::Sender, &mut media);
        assert!(media.windows(16).any(|w| w == b"public broadcast"));
        let mut control = ping(2);
        a.seal(Space::Sender, &mut control);
        assert!(!control.ends_with(&ping(2)[HEADER_LEN..]), "control bodies are encrypted");
        let mut forged = media.clone();
        let at = forged.len() - TAG_LEN - 3;
        forged[at] ^= 1;
        assert_eq!(b.open(&forged), Err(OpenError::Forged));
        assert!(b.open(&media).is_ok());
        assert!(b.open(&control).is_ok());
    }

    #[test]
    fn flipped_bits_replays_and_wrong_keys_are_refused() {
        let (mut a, mut b) = pair(EncryptMode::All);
        let mut sealed = data(5, b"payload");
        a.seal(Space::Sender, &mut sealed);
        for byte in [0, 2, 5, 9, HEADER_LEN, sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[byte] ^= 0x04;
            assert!(b.open(&flipped).is_err(), "a flip at byte {byte} must not open");
        }
        assert!(b.open(&sealed).is_ok());
        assert_eq!(b.open(&sealed), Err(OpenError::Replayed));
        let (mut stranger, _) = pair(EncryptMode::All);
        let mut other = data(6, b"payload");
        stranger.send = PacketKey::new([3; 32]);
        stranger.seal(Space::Sender, &mut other);
        assert_eq!(b.open(&other), Err(OpenError::Forged));
        assert_eq!(b.open(&data(7, b"plain")), Err(OpenError::NotSealed));
    }

    #[test]
    fn a_retransmission_is_the_same_ciphertext_and_spaces_do_not_collide() {
        let (mut a, mut b) = pair(EncryptMode::All);
        let (mut first, mut again) = (data(3, b"x"), data(3, b"x"));
        a.seal(Space::Sender, &mut first);
        a.seal(Space::Sender, &mut again);
        assert_eq!(first, again);
        let mut other_half = data(3, b"x");
        a.seal(Space::Receiver, &mut other_half);
        assert_ne!(other_half[HEADER_LEN..], first[HEADER_LEN..], "same number, other half: another nonce");
        assert!(b.open(&first).is_ok());
        assert!(b.open(&other_half).is_ok(), "each half has its own replay window");
    }

    #[test]
    fn packet_numbers_wrap_into_a_new_key_epoch() {
        let (mut a, mut b) = pair(EncryptMode::All);
        let mut sent = Vec::new();
        for number in [0xFFFF_FFFEu32, 0xFFFF_FFFF, 0, 1] {
            let mut datagram = data(number, b"across the wrap");
            a.seal(Space::Sender, &mut datagram);
            sent.push(datagram);
        }
        // Receive out of order around the wrap.
        for i in [0, 2, 1, 3] {
            assert!(b.open(&sent[i]).is_ok(), "packet {i}");
        }
        // Number 1 of epoch 1 differs from number 1 of epoch 0 (a rekey, not a nonce reuse).
        let (mut fresh, _) = pair(EncryptMode::All);
        let mut epoch_zero = data(1, b"across the wrap");
        fresh.seal(Space::Sender, &mut epoch_zero);
        assert_ne!(epoch_zero, sent[3]);
    }
}
