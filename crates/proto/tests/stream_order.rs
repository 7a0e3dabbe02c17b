//! Ordered delivery within the latency budget: payloads come out in the order they were sent,
//! at once when nothing before them is missing, held while FEC may still fill a gap, and
//! never after their deadline.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::packets::data;
use common::{simulate, Link, LinkConfig, Loss, Report, SinkEnd, SourceEnd};
use proto::stream::{Receiver, ReceiverConfig, Redundancy, Sender, SenderConfig};
use proto::wire::v1::{Body, Packet};
use proto::{Delivery, Timestamp};

const T0: Timestamp = Timestamp::ZERO;
const BUDGET: Duration = Duration::from_millis(200);

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn sender(redundancy: Redundancy, first_block: u32) -> Sender {
    Sender::new(SenderConfig { connection_id: 7, redundancy, first_block, ..SenderConfig::default() }).unwrap()
}

fn receiver(config: ReceiverConfig) -> Receiver {
    Receiver::new(ReceiverConfig { connection_id: Some(7), ..config }).unwrap()
}

/// The number [`common::payload`] writes at the front of every test payload.
fn number(delivery: &Delivery) -> u64 {
    u64::from_be_bytes(delivery.payload[..8].try_into().unwrap())
}

/// A receiver under watch. Every delivery must be later in sending order than the one before
/// and come no later than its deadline: its send time mapped through the fastest trip seen,
/// plus the budget (for a rebuilt payload, whose DATA was never seen, no later than its
/// block's first symbol's arrival plus twice the budget, the block's lifetime); for each
/// payload delivered as sent, it notes how long after its DATA arrived it came out.
struct Watched {
    rx: Receiver,
    budget: Duration,
    now: Timestamp,
    first_symbol: HashMap<u32, Timestamp>,
    data_arrival: HashMap<u32, Timestamp>,
    /// Send time (as the unit carries it) of each DATA seen, and the fastest trip.
    data_sent: HashMap<u32, u32>,
    fastest: Option<i64>,
    last: Option<u64>,
    /// The longest a payload received as sent waited for its release.
    longest_hold: Duration,
    /// Blocks payloads were delivered from.
    blocks: Vec<u32>,
}

impl Watched {
    fn new(config: ReceiverConfig) -> Self {
        Watched {
            rx: receiver(config),
            budget: config.block_deadline,
            now: T0,
            first_symbol: HashMap::new(),
            data_arrival: HashMap::new(),
            data_sent: HashMap::new(),
            fastest: None,
            last: None,
            longest_hold: Duration::ZERO,
            blocks: Vec::new(),
        }
    }
}

impl SinkEnd for Watched {
    fn handle_datagram(&mut self, datagram: &[u8], now: Timestamp) {
        self.now = now;
        match Packet::parse(datagram).map(|p| p.body) {
            Ok(Body::Data(data)) => {
                let seq = data.block.wrapping_add(u32::from(data.index));
                self.first_symbol.entry(data.block).or_insert(now);
                self.data_arrival.entry(seq).or_insert(now);
                self.data_sent.insert(seq, data.unit.sent_at());
                let trip = now.as_micros() as i64 - i64::from(data.unit.sent_at());
                self.fastest = Some(self.fastest.map_or(trip, |fastest| fastest.min(trip)));
            }
            Ok(Body::Repair(repair)) => {
                self.first_symbol.entry(repair.block).or_insert(now);
            }
            _ => {}
        }
        self.rx.handle_datagram(datagram, now);
    }

    fn poll_delivery(&mut self) -> Option<Delivery> {
        let delivery = self.rx.poll_delivery()?;
        let number = number(&delivery);
        assert!(self.last.is_none_or(|last| number > last), "payload {number} after {:?}", self.last);
        self.last = Some(number);
        let seq = delivery.block.wrapping_add(u32::from(delivery.index));
        let deadline = match self.data_sent.get(&seq).filter(|_| !delivery.recovered) {
            // The simulations start the sender's clock at 0 and run well under 2^32 us.
            Some(&sent) => Timestamp::from_micros((i64::from(sent) + self.fastest.unwrap()) as u64) + self.budget,
            None => self.first_symbol[&delivery.block] + self.budget * 2,
        };
        assert!(self.now <= deadline, "payload {number} released at {:?}, deadline {deadline:?}", self.now);
        if !delivery.recovered {
            let arrived = self.data_arrival[&delivery.block.wrapping_add(u32::from(delivery.index))];
            self.longest_hold = self.longest_hold.max(self.now.saturating_duration_since(arrived));
        }
        self.blocks.push(delivery.block);
        Some(delivery)
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.rx.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.now = now;
        self.rx.handle_timeout(now);
    }
}

/// A sender whose REPAIR packets all vanish: the receiver never learns where a block ends.
struct NoRepairs(Sender);

impl SourceEnd for NoRepairs {
    fn send(&mut self, payload: &[u8], now: Timestamp) {
        SourceEnd::send(&mut self.0, payload, now)
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        std::iter::from_fn(|| SourceEnd::poll_transmit(&mut self.0))
            .find(|d| !matches!(Packet::parse(d).map(|p| p.body), Ok(Body::Repair(_))))
    }
    fn poll_timeout(&self) -> Option<Timestamp> {
        SourceEnd::poll_timeout(&self.0)
    }
    fn handle_timeout(&mut self, now: Timestamp) {
        SourceEnd::handle_timeout(&mut self.0, now)
    }
    fn flush(&mut self) {
        SourceEnd::flush(&mut self.0)
    }
}

/// 5% i.i.d. loss, and 10% of datagrams held back 2 ms (20 datagrams' worth at 100 µs).
fn lossy_and_reordering(seed: u64) -> LinkConfig {
    LinkConfig { seed, loss: Loss::Iid { p: 0.05 }, reorder: 0.1, reorder_delay: ms(2), ..LinkConfig::default() }
}

fn assert_exact(report: &Report) {
    assert_eq!((report.corrupt, report.delivered_twice), (0, 0), "{report:?}");
}

/// RS(13, 10) through 5% i.i.d. loss with 10% of datagrams overtaken (held back 2 ms, 20
/// datagrams' worth): every delivery later in sending order than the one before, none
/// after its deadline, as much delivered as unordered FEC delivers, and every payload either
/// delivered or counted lost.
#[test]
fn five_percent_loss_and_ten_percent_reorder_come_out_in_send_order() {
    let count = 20_000;
    let link = lossy_and_reordering(51);
    let mut tx = sender(Redundancy::Fixed { k: 10, n: 13 }, 0);
    let mut rx = Watched::new(ReceiverConfig::default());
    let report = simulate(&mut tx, &mut Link::new(link), &mut rx, count, Duration::from_micros(100), 1200);
    assert_exact(&report);
    let stats = *rx.rx.stats();
    println!("ordered, 5% loss, 10% reorder: delivered {:.4}%, {stats:?}", 100.0 * report.delivered_fraction());
    assert!(report.delivered_fraction() >= 0.998, "{report:?}");
    assert!(stats.recovered > 500, "{stats:?}");
    assert_eq!(stats.delivered + stats.lost, count, "every payload delivered or counted lost");
    assert_eq!(stats.late, 0, "2 ms of reordering is far inside the budget");
    // A payload waits only for a gap: with 5% loss most go out the moment they arrive.
    assert!(rx.longest_hold <= BUDGET, "{:?}", rx.longest_hold);
}

/// Without loss every payload goes out the moment its DATA arrives, whether blocks are full
/// (a payload every 100 µs) or closed short by the 5 ms time bound (one every 1.7 ms), and
/// even when every REPAIR is lost so the receiver never learns where a block ends: the
/// sequence number (block id + index) alone says nothing is missing.
#[test]
fn without_loss_every_payload_is_released_the_moment_it_arrives() {
    for (gap, repairs) in [(100, true), (1_700, true), (100, false), (1_700, false)] {
        let gap = Duration::from_micros(gap);
        let mut rx = Watched::new(ReceiverConfig::default());
        let tx = sender(Redundancy::Ratio { k: 10, ratio: 0.3 }, 0);
        let mut link = Link::new(LinkConfig::default());
        let report = if repairs {
            simulate(&mut { tx }, &mut link, &mut rx, 2_000, gap, 1200)
        } else {
            simulate(&mut NoRepairs(tx), &mut link, &mut rx, 2_000, gap, 1200)
        };
        assert_exact(&report);
        assert_eq!(report.delivered, 2_000);
        assert_eq!(rx.longest_hold, Duration::ZERO, "gap {gap:?}, repairs {repairs}");
        assert_eq!(report.worst_latency, LinkConfig::default().delay);
        let stats = rx.rx.stats();
        assert_eq!((stats.recovered, stats.lost, stats.late), (0, 0, 0));
    }
}

/// Datagrams of a fixed (k, n) sender for `payloads`, with block ids from `first_block`.
fn sent(payloads: &[&[u8]], k: usize, n: usize, first_block: u32) -> Vec<Vec<u8>> {
    let mut tx = sender(Redundancy::Fixed { k, n }, first_block);
    for payload in payloads {
        tx.send(payload, T0).unwrap();
    }
    tx.flush();
    std::iter::from_fn(|| tx.poll_transmit()).map(|t| t.datagram.into()).collect()
}

fn drain(rx: &mut Receiver) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| rx.poll_delivery()).map(|d| d.payload.into()).collect()
}

/// Block A loses two of four sources and has one repair: FEC cannot fill the gap. What
/// follows it waits, exactly until A's deadline; then the gap is passed over (2 lost) and
/// everything held goes out in order, and later payloads flow at once again.
#[test]
fn a_gap_fec_cannot_fill_is_passed_over_at_the_deadline_then_payloads_flow() {
    let all: [&[u8]; 12] = [b"a0", b"a1", b"a2", b"a3", b"b0", b"b1", b"b2", b"b3", b"c0", b"c1", b"c2", b"c3"];
    // RS(5, 4): A is datagrams 0..5 (4 DATA, 1 REPAIR), B 5..10, C 10..15.
    let datagrams = sent(&all, 4, 5, 0);
    let mut rx = receiver(ReceiverConfig::default());
    rx.handle_datagram(&datagrams[0], T0);
    assert_eq!(drain(&mut rx), [b"a0"]);
    for (i, datagram) in datagrams[3..10].iter().enumerate() {
        rx.handle_datagram(datagram, T0 + ms(1 + i as u64));
    }
    assert!(drain(&mut rx).is_empty(), "a3 and block B wait behind a1, a2");
    assert!(rx.poll_timeout() <= Some(T0 + BUDGET), "A's deadline at the latest");
    rx.handle_timeout(T0 + (BUDGET - Duration::from_micros(1)));
    assert!(drain(&mut rx).is_empty());
    rx.handle_timeout(T0 + BUDGET);
    assert_eq!(drain(&mut rx), [&b"a3"[..], b"b0", b"b1", b"b2", b"b3"]);
    assert_eq!((rx.stats().lost, rx.stats().expired_blocks), (2, 0), "A lives on for its later sources");
    rx.handle_datagram(&datagrams[10], T0 + BUDGET); // sent at T0: its last moment
    assert_eq!(drain(&mut rx), [b"c0"], "after the gap, payloads flow on arrival again");
    // A straggler of A is late; nothing of it comes out.
    rx.handle_datagram(&datagrams[1], T0 + BUDGET + ms(2));
    assert!(drain(&mut rx).is_empty());
    assert_eq!(rx.stats().late, 1);
    // A leaves at twice the budget (C, begun later, stays).
    let held = rx.buffered_bytes();
    rx.handle_timeout(T0 + BUDGET * 2);
    assert_eq!((rx.stats().lost, rx.stats().expired_blocks), (2, 1));
    assert!(rx.buffered_bytes() < held);
}

/// A block closed short by the time bound (3 sources of k = 10) loses its last DATA; the next
/// block's first payload waits only until the short block's REPAIR arrives, which says k' = 3
/// and rebuilds the missing source.
#[test]
fn a_short_block_does_not_stall_the_order() {
    let mut tx = sender(Redundancy::Fixed { k: 10, n: 13 }, 0);
    for payload in [b"s0", b"s1", b"s2"] {
        tx.send(payload, T0).unwrap();
    }
    tx.handle_timeout(T0 + ms(5));
    tx.send(b"t0", T0 + ms(6)).unwrap();
    let datagrams: Vec<Vec<u8>> = std::iter::from_fn(|| tx.poll_transmit()).map(|t| t.datagram.into()).collect();
    // DATA s0 s1 s2, REPAIR (k' = 3, m' = 1), DATA t0 (block 3, index 0).
    assert_eq!(datagrams.len(), 5);
    let mut rx = receiver(ReceiverConfig::default());
    for at in [0, 1, 4] {
        rx.handle_datagram(&datagrams[at], T0 + ms(20));
    }
    assert_eq!(drain(&mut rx), [b"s0", b"s1"]);
    rx.handle_datagram(&datagrams[3], T0 + ms(21));
    assert_eq!(drain(&mut rx), [b"s2", b"t0"]);
    assert_eq!((rx.stats().recovered, rx.stats().lost), (1, 0));
}

/// Evicting a block to admit another gives up its gap at once: what waited behind it goes out.
#[test]
fn an_evicted_block_gives_up_its_gap() {
    // RS(3, 2): A is datagrams 0..3 (a0, a1, repair), B 3..6, C 6..9.
    let datagrams = sent(&[b"a0", b"a1", b"b0", b"b1", b"c0", b"c1"], 2, 3, 0);
    let mut rx = receiver(ReceiverConfig { max_blocks: 2, ..ReceiverConfig::default() });
    // Lose a0 and A's repair: a1 waits, and so does B, which completes and leaves.
    for at in [1, 3, 4, 5] {
        rx.handle_datagram(&datagrams[at], T0);
    }
    rx.handle_datagram(&datagrams[6], T0);
    assert!(drain(&mut rx).is_empty(), "A and C in flight, the cap not exceeded");
    // A third block in flight evicts A, the oldest: its gap is given up.
    rx.handle_datagram(&data(7, 6, 0, b"d0"), T0);
    assert_eq!(drain(&mut rx), [&b"a1"[..], b"b0", b"b1", b"c0"], "c1 is missing: d0 waits");
    assert_eq!((rx.stats().lost, rx.stats().evicted_blocks), (1, 1));
}

/// Held payloads count toward the byte budget: one block in twenty vanishes whole, so what
/// follows it waits (FEC cannot fill a gap nothing of which arrived) until the held bytes
/// reach the budget; then the oldest go out early, their gap passed over, rather than memory
/// growing.
#[test]
fn held_payloads_count_toward_the_byte_budget() {
    let budget = 40_000;
    let mut rx = receiver(ReceiverConfig { max_buffered_bytes: budget, ..ReceiverConfig::default() });
    let mut tx = sender(Redundancy::Fixed { k: 10, n: 13 }, 0);
    let mut got = Vec::new();
    let mut held_most = 0;
    for seq in 0..2_000u64 {
        let now = T0 + Duration::from_micros(seq);
        tx.send(&common::payload(seq, 1000), now).unwrap();
        while let Some(t) = tx.poll_transmit() {
            let block = match Packet::parse(&t.datagram).unwrap().body {
                Body::Data(data) => data.block,
                Body::Repair(repair) => repair.block,
                _ => unreachable!(),
            };
            if (block / 10) % 20 != 10 {
                rx.handle_datagram(&t.datagram, now);
            }
            held_most = held_most.max(rx.buffered_bytes());
            assert!(rx.buffered_bytes() <= budget, "{} > {budget}", rx.buffered_bytes());
        }
        got.extend(std::iter::from_fn(|| rx.poll_delivery()).map(|d| number(&d)));
    }
    assert!(held_most > budget * 3 / 4, "the budget was reached: {held_most}");
    rx.handle_timeout(T0 + BUDGET + ms(1));
    got.extend(std::iter::from_fn(|| rx.poll_delivery()).map(|d| number(&d)));
    let expected: Vec<u64> = (0..2_000).filter(|seq| (seq / 10) % 20 != 10).collect();
    assert_eq!(got, expected);
    assert_eq!((rx.stats().lost, rx.buffered_bytes()), (100, 0));
}

/// Stragglers held back longer than the budget: they and their blocks' later repairs come
/// too late, are counted so and never delivered; every delivery is still in order and inside
/// its deadline.
#[test]
fn nothing_is_released_after_its_deadline() {
    let budget = ms(40);
    let link = LinkConfig {
        seed: 52,
        loss: Loss::GilbertElliott { good_to_bad: 0.02, bad_to_good: 0.4, loss_good: 0.01, loss_bad: 0.8 },
        jitter: ms(3),
        reorder: 0.1,
        reorder_delay: ms(60),
        ..LinkConfig::default()
    };
    let mut tx = sender(Redundancy::Ratio { k: 8, ratio: 0.5 }, 0);
    let mut rx = Watched::new(ReceiverConfig { block_deadline: budget, ..ReceiverConfig::default() });
    let report = simulate(&mut tx, &mut Link::new(link), &mut rx, 10_000, Duration::from_micros(500), 600);
    assert_exact(&report);
    let stats = *rx.rx.stats();
    println!("stragglers past the budget: delivered {:.4}, {stats:?}", report.delivered_fraction());
    assert!(stats.late + stats.overdue > 0, "{stats:?}");
    assert!(report.delivered_fraction() > 0.9, "{report:?}");
}

/// Block ids (the sources' sequence numbers) wrap from 2^32 - 1 to 0 mid-stream, through
/// loss and reordering: the order holds across the wrap.
#[test]
fn block_ids_wrap_around_in_order() {
    let link = lossy_and_reordering(53);
    let mut tx = sender(Redundancy::Fixed { k: 10, n: 14 }, u32::MAX - 995);
    let mut rx = Watched::new(ReceiverConfig::default());
    let report = simulate(&mut tx, &mut Link::new(link), &mut rx, 2_000, Duration::from_micros(100), 300);
    assert_exact(&report);
    assert!(report.delivered_fraction() >= 0.995, "{report:?} {:?}", rx.rx.stats());
    assert!(rx.blocks.contains(&(u32::MAX - 5)) && rx.blocks.contains(&4), "both sides of the wrap delivered");
    assert_eq!(rx.rx.stats().delivered + rx.rx.stats().lost, 2_000);
}

/// Symbols far ahead of the release point (past the horizon) or for blocks it has moved past
/// are counted late and cost no memory; the stream goes on in order.
#[test]
fn symbols_out_of_place_are_late_and_hold_nothing() {
    let payloads: Vec<Vec<u8>> = (0..40).map(|seq| common::payload(seq, 100)).collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let datagrams = sent(&refs, 10, 12, 1_000);
    let mut rx = receiver(ReceiverConfig::default());
    let mut got = Vec::new();
    for (i, datagram) in datagrams.iter().enumerate() {
        let now = T0 + Duration::from_micros(i as u64);
        rx.handle_datagram(datagram, now);
        if i == 20 {
            let (blocks, bytes) = (rx.blocks_in_flight(), rx.buffered_bytes());
            rx.handle_datagram(&data(7, 1_000 + (1 << 20), 0, b"beyond the horizon"), now);
            rx.handle_datagram(&data(7, 990, 3, b"behind the release point"), now);
            assert_eq!((rx.blocks_in_flight(), rx.buffered_bytes()), (blocks, bytes));
            assert_eq!(rx.stats().late, 2);
        }
        got.extend(drain(&mut rx));
    }
    assert_eq!(got, payloads);
}

/// A sender that restarts its numbering is behind the release point: its symbols are late
/// until the stream has been quiet for a whole budget, then the order starts again with it.
#[test]
fn a_restarted_sender_is_followed_after_a_quiet_budget() {
    let mut rx = receiver(ReceiverConfig::default());
    let mut send = |first: u32, payloads: &[&[u8]], at: Timestamp| {
        for datagram in sent(payloads, 2, 3, first) {
            rx.handle_datagram(&datagram, at);
        }
        drain(&mut rx)
    };
    assert_eq!(send(1_000, &[b"0", b"1", b"2", b"3", b"4", b"5"], T0).len(), 6);
    assert!(send(0, &[b"again 0", b"again 1"], T0 + ms(10)).is_empty(), "behind: late");
    assert_eq!(send(2, &[b"again 2", b"again 3"], T0 + ms(10) + BUDGET), [b"again 2", b"again 3"]);
    assert_eq!(send(4, &[b"again 4"], T0 + ms(11) + BUDGET), [b"again 4"]);
    assert_eq!(rx.stats().late, 3);
}

/// `ordered: false` keeps arrival order: a rebuilt payload comes out after the later ones
/// that arrived as sent.
#[test]
fn unordered_delivers_in_arrival_order() {
    let datagrams = sent(&[b"hello", b"world!"], 2, 3, 0);
    let mut rx = receiver(ReceiverConfig { ordered: false, ..ReceiverConfig::default() });
    for datagram in &datagrams[1..] {
        rx.handle_datagram(datagram, T0);
    }
    assert_eq!(drain(&mut rx), [&b"world!"[..], b"hello"]);
    // With ordering (the default) the same datagrams come out as sent.
    let mut rx = receiver(ReceiverConfig::default());
    for datagram in &datagrams[1..] {
        rx.handle_datagram(datagram, T0);
    }
    assert_eq!(drain(&mut rx), [&b"hello"[..], b"world!"]);
}
