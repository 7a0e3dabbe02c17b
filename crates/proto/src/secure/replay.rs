//! The receive side's replay window over one number space: 32-bit packet numbers extended to
//! 64 bits (the epoch above them), and a bitmap of the numbers seen recently.

/// Packet numbers remembered behind the newest: a NACKed retransmission arrives at most a
/// latency budget late, which at 50 Mbit/s and 1,200-byte packets is ~5,000 packets a second.
pub(crate) const WINDOW: u64 = 8192;
const WORDS: usize = (WINDOW / 64) as usize;

/// Why a packet number is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Seen already.
    Replayed,
    /// Older than the window: it may or may not have been seen.
    TooOld,
}

pub(crate) struct ReplayWindow {
    /// The newest number accepted, extended; `None` before the first.
    newest: Option<u64>,
    seen: Box<[u64; WORDS]>,
}

impl ReplayWindow {
    pub(crate) fn new() -> Self {
        ReplayWindow { newest: None, seen: Box::new([0; WORDS]) }
    }

    /// `number` extended to 64 bits: the value closest to the newest seen.
    pub(crate) fn extend(&self, number: u32) -> u64 {
        extend(self.newest, number)
    }

    /// Whether `extended` may be accepted.
    pub(crate) fn check(&self, extended: u64) -> Result<(), Refusal> {
        let Some(newest) = self.newest else { return Ok(()) };
        if extended > newest {
            return Ok(());
        }
        if newest - extended >= WINDOW {
            return Err(Refusal::TooOld);
        }
        if self.seen[bit_word(extended)] & bit_mask(extended) != 0 {
            return Err(Refusal::Replayed);
        }
        Ok(())
    }

    /// Records `extended` as seen (after it authenticated: a forgery must not move the window).
    pub(crate) fn mark(&mut self, extended: u64) {
        match self.newest {
            Some(newest) if extended <= newest => {}
            Some(newest) => {
                // Clear the bits the window slides over.
                let stale = (extended - newest).min(WINDOW);
                for n in (newest + 1)..=(newest + stale) {
                    self.seen[bit_word(n)] &= !bit_mask(n);
                }
                self.newest = Some(extended);
            }
            None => self.newest = Some(extended),
        }
        self.seen[bit_word(extended)] |= bit_mask(extended);
    }
}

/// QUIC's packet number reconstruction (RFC 9000, A.3), for 32-bit numbers: the candidate
/// nearest to the number after `newest`.
pub(crate) fn extend(newest: Option<u64>, number: u32) -> u64 {
    let Some(newest) = newest else { return u64::from(number) };
    const SPAN: u64 = 1 << 32;
    let expected = newest + 1;
    let candidate = (expected & !(SPAN - 1)) | u64::from(number);
    if candidate + SPAN / 2 <= expected && candidate < u64::MAX - SPAN {
        candidate + SPAN
    } else if candidate > expected + SPAN / 2 && candidate >= SPAN {
        candidate - SPAN
    } else {
        candidate
    }
}

fn bit_word(n: u64) -> usize {
    ((n / 64) % WORDS as u64) as usize
}

fn bit_mask(n: u64) -> u64 {
    1 << (n % 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_repeats_and_the_too_old_but_takes_late_arrivals() {
        let mut window = ReplayWindow::new();
        for n in [5u64, 3, 9, 4] {
            assert_eq!(window.check(n), Ok(()));
            window.mark(n);
        }
        assert_eq!(window.check(3), Err(Refusal::Replayed));
        assert_eq!(window.check(9), Err(Refusal::Replayed));
        assert_eq!(window.check(6), Ok(()), "a late, unseen number is fine");
        window.mark(9 + WINDOW);
        assert_eq!(window.check(9), Err(Refusal::TooOld));
        assert_eq!(window.check(10), Ok(()), "slid over, forgotten, but inside the window");
        assert_eq!(window.check(9 + WINDOW), Err(Refusal::Replayed));
    }

    #[test]
    fn numbers_extend_across_the_32_bit_wrap() {
        assert_eq!(extend(None, 7), 7);
        assert_eq!(extend(Some(0xFFFF_FFF0), 3), 0x1_0000_0003);
        assert_eq!(extend(Some(0x1_0000_0003), 0xFFFF_FFF0), 0xFFFF_FFF0, "a late packet from before the wrap");
        assert_eq!(extend(Some(0x1_0000_0003), 8), 0x1_0000_0008);
        assert_eq!(extend(Some(5), 0xFFFF_FFFF), 0xFFFF_FFFF, "cannot go below zero");
    }
}
