//! The path's loss before any repair, from gaps in the packet numbers: every packet of a
//! connection (DATA, REPAIR, PONG) is numbered, so a gap is exactly the packets that did not
//! arrive. A retransmission repeats its original number and a reordered packet comes in
//! below the highest: neither moves the meter, so it may overstate loss under reordering,
//! the safe side for sizing FEC.

use crate::seq::unwrap_near;

/// Cumulative counts, reported to the sender in FEEDBACK.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LossMeter {
    highest: Option<u64>,
    /// Packets that arrived above the highest before them.
    pub(crate) received: u64,
    /// Packets skipped over.
    pub(crate) missing: u64,
    /// Runs of skipped packets.
    pub(crate) bursts: u64,
}

impl LossMeter {
    /// Notes packet number `number` arriving.
    pub(crate) fn arrived(&mut self, number: u32) {
        let number = unwrap_near(self.highest, number);
        match self.highest {
            Some(highest) if number <= highest => return,
            // A jump of more than 2^16 is a restart or a forgery, not loss to size FEC by.
            Some(highest) if number > highest + 1 && number - highest - 1 <= 1 << 16 => {
                self.missing += number - highest - 1;
                self.bursts += 1;
            }
            _ => {}
        }
        self.highest = Some(number);
        self.received += 1;
    }

    /// Loss so far, 0..1.
    pub(crate) fn rate(&self) -> f64 {
        let total = self.received + self.missing;
        if total == 0 { 0.0 } else { self.missing as f64 / total as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_gaps_and_runs_and_ignores_repeats() {
        let mut meter = LossMeter::default();
        for number in [u32::MAX - 1, 1, 2, 3, 0, 6, 8, 8] {
            meter.arrived(number);
        }
        // Missing: MAX and 0 (before 1 arrived; 0 coming later is a repeat), 4 and 5, 7.
        assert_eq!((meter.received, meter.missing, meter.bursts), (6, 5, 3));
        assert!((meter.rate() - 5.0 / 11.0).abs() < 1e-9);
    }
}
