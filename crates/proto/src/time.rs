//! The engine's notion of time: a caller-supplied instant, never read from a clock here.

use std::ops::Add;
use std::time::Duration;

/// A point in time, in microseconds since an origin the caller picks (for example the moment
/// its engine started).
///
/// The engine only ever compares timestamps and adds durations to them, so any monotonic
/// source works: the N-API engine maps `Instant`s onto it, tests use a virtual clock starting
/// at zero. A plain integer rather than `std::time::Instant` keeps runs reproducible and lets
/// a simulator order events without touching the system clock. Arithmetic saturates, so no
/// input can make it panic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The origin.
    pub const ZERO: Timestamp = Timestamp(0);

    /// The instant `micros` microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Timestamp(micros)
    }

    /// Microseconds since the origin.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, duration: Duration) -> Timestamp {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(micros))
    }
}
