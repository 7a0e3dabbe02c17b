//! The stream receiver's block assembler fed arbitrary datagrams on a virtual clock: it must
//! never panic, never deliver more than it was sent sources for, and keep its memory within
//! its caps whatever arrives.
//!
//! Input: a sequence of records `[advance ms u8][len u16 BE][datagram]`.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use proto::stream::{Receiver, ReceiverConfig};
use proto::Timestamp;

fuzz_target!(|input: &[u8]| {
    let config = ReceiverConfig { max_blocks: 16, ..ReceiverConfig::default() };
    let mut receiver = Receiver::new(config).expect("valid config");
    let mut now = Timestamp::ZERO;
    let mut rest = input;
    while rest.len() >= 3 {
        now = now + Duration::from_millis(u64::from(rest[0]));
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let (datagram, tail) = rest[3..].split_at(len);
        rest = tail;
        receiver.handle_datagram(datagram, now);
        if receiver.poll_timeout().is_some_and(|t| t <= now) {
            receiver.handle_timeout(now);
        }
        while receiver.poll_delivery().is_some() {}
        while receiver.poll_transmit().is_some() {}
    }
    let stats = receiver.stats();
    assert!(stats.delivered <= stats.received + stats.recovered, "{stats:?}");
});
