//! Serial-number arithmetic (RFC 1982) for the 32-bit counters on the wire: sequence numbers
//! and send times are unwrapped to 64 bits once, on the way in, so everything after compares
//! plain integers.

/// Where unwrapped numbers start, so that those up to 2^31 behind the first one are still
/// representable.
pub(crate) const BASE: u64 = 1 << 32;

/// The 64-bit number whose low 32 bits are `value`, nearest to `reference` (or to [`BASE`]
/// plus `value` when there is no reference yet).
pub(crate) fn unwrap_near(reference: Option<u64>, value: u32) -> u64 {
    match reference {
        None => BASE + u64::from(value),
        Some(reference) => {
            let delta = i64::from(value.wrapping_sub(reference as u32) as i32);
            reference.wrapping_add_signed(delta)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_across_the_wrap_both_ways() {
        let top = BASE + u64::from(u32::MAX);
        assert_eq!(unwrap_near(Some(top), 3), top + 4);
        assert_eq!(unwrap_near(Some(top + 4), u32::MAX), top);
        assert_eq!(unwrap_near(None, 7), BASE + 7);
    }
}
