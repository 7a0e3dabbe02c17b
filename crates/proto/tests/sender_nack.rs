//! A stream sender answers NACKs byte for byte, whether the source asked for is in a closed
//! block (from the NACK history) or in the block still open, and only within the latency budget.

use std::time::Duration;

use proto::stream::{Redundancy, Sender, SenderConfig};
use proto::wire::v1::{Body, Header, Nack, NackRange, Packet};
use proto::Timestamp;

const K: usize = 4;

fn sender() -> Sender {
    let config = SenderConfig { redundancy: Redundancy::Fixed { k: K, n: K + 1 }, block_time: Duration::from_secs(5), ..SenderConfig::default() };
    Sender::new(config).expect("valid")
}

fn drain(sender: &mut Sender) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| sender.poll_transmit()).map(|t| t.datagram.to_vec()).collect()
}

fn nack(sender: &mut Sender, seq: u32, now: Timestamp) -> Vec<Vec<u8>> {
    let connection_id = SenderConfig::default().connection_id;
    let ranges = vec![NackRange { block: seq, first: 0, count: 1 }];
    let packet = Packet { header: Header { flags: 0, connection_id, packet_number: 0 }, body: Body::Nack(Nack { ranges }) };
    sender.handle_datagram(&packet.to_vec(), now);
    drain(sender)
}

#[test]
fn sources_of_closed_and_open_blocks_are_resent_within_the_budget() {
    let mut sender = sender();
    let at = Timestamp::from_micros(1_000);
    // One full block (sources 0..4, closed, its repair sent) and two sources of the next (open).
    let mut data = Vec::new();
    for i in 0..K + 2 {
        sender.send(format!("message {i}").as_bytes(), at).unwrap();
        data.extend(drain(&mut sender).into_iter().filter(|d| matches!(Packet::parse(d).map(|p| p.body), Ok(Body::Data(_)))));
    }
    assert_eq!(data.len(), K + 2);
    let soon = at + Duration::from_millis(10);
    for seq in [1, 3, 4, 5] {
        let resent = nack(&mut sender, seq, soon);
        assert!(!resent.is_empty(), "source {seq} resent");
        assert!(resent.iter().all(|d| *d == data[seq as usize]), "source {seq} resent byte for byte");
    }
    assert!(nack(&mut sender, 6, soon).is_empty(), "never sent");
    // Past the latency budget nothing is resent, open block or closed.
    let late = at + SenderConfig::default().latency + Duration::from_millis(1);
    for seq in [2, 5] {
        assert!(nack(&mut sender, seq, late).is_empty(), "source {seq} too late");
    }
}
