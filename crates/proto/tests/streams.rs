//! Logical streams on a virtual clock: under a rate cap video is dropped first, then audio,
//! never the reliable control stream; a reliable stream delivers everything once and in order
//! over a lossy path; payloads naming unknown streams are counted and dropped.

mod common;

use std::time::Duration;

use common::pair::{Pair, B};
use proto::endpoint::{Endpoint, EndpointConfig, Format, PathConfig, PeerEvent, StreamConfig, StreamTable};
use proto::stream::{BandwidthConfig, ReceiverConfig, Redundancy, SenderConfig};
use proto::Timestamp;

const CONTROL: u8 = 1;
const AUDIO: u8 = 2;
const VIDEO: u8 = 3;

fn table() -> StreamTable {
    StreamTable::new([StreamConfig::reliable(CONTROL, 0), StreamConfig::deadline(AUDIO, 1), StreamConfig::deadline(VIDEO, 2)]).unwrap()
}

fn endpoint(pace_bits_per_second: u64, streams: StreamTable, redundancy: f64) -> Endpoint {
    endpoint_with(pace_bits_per_second, streams, redundancy, true)
}

fn endpoint_with(pace_bits_per_second: u64, streams: StreamTable, redundancy: f64, nack: bool) -> Endpoint {
    let sender = SenderConfig { redundancy: Redundancy::Ratio { k: 16, ratio: redundancy }, nack, ..SenderConfig::default() };
    build(pace_bits_per_second, streams, sender)
}

/// A v1 endpoint sending as `sender` says, its receiver NACKing when the sender answers NACKs.
fn build(pace_bits_per_second: u64, streams: StreamTable, sender: SenderConfig) -> Endpoint {
    Endpoint::new(EndpointConfig {
        format: Format::V1 { sender, receiver: ReceiverConfig { nack: sender.nack, ..ReceiverConfig::default() } },
        max_peers: 4,
        pace_bits_per_second,
        path: PathConfig::disabled(),
        streams,
        security: None,
    })
    .unwrap()
}

/// One stream's offered load: `bytes` every `interval`.
struct Load {
    stream: u8,
    bytes: usize,
    interval: Duration,
}

/// Runs A sending the loads to B for `seconds`, then lets everything settle. Returns, per
/// stream, (sent, delivered at B).
fn run(pair: &mut Pair, loads: &[Load], seconds: u64) -> Vec<(u64, u64)> {
    let end = Timestamp::ZERO + Duration::from_secs(seconds);
    let tick = Duration::from_millis(1);
    let mut next: Vec<Timestamp> = loads.iter().map(|_| Timestamp::ZERO).collect();
    let mut numbers = vec![0u32; loads.len()];
    while pair.now < end {
        for (i, load) in loads.iter().enumerate() {
            while next[i] <= pair.now {
                let mut payload = numbers[i].to_be_bytes().to_vec();
                payload.resize(load.bytes, load.stream);
                pair.a.send_on(B, load.stream, &payload, pair.now).unwrap();
                numbers[i] += 1;
                next[i] = next[i] + load.interval;
            }
        }
        let until = pair.now + tick;
        pair.run_until(until);
    }
    pair.run_until(end + Duration::from_secs(3));
    loads
        .iter()
        .map(|load| {
            let sent = pair.a.stream_stats(load.stream).unwrap().sent;
            let delivered = pair.b_delivered.iter().filter(|d| d.stream == load.stream).count() as u64;
            (sent, delivered)
        })
        .collect()
}

fn media_loads() -> Vec<Load> {
    vec![
        // 20 kbit/s of control, 128 kbit/s of audio, 2 Mbit/s of video.
        Load { stream: CONTROL, bytes: 250, interval: Duration::from_millis(100) },
        Load { stream: AUDIO, bytes: 320, interval: Duration::from_millis(20) },
        Load { stream: VIDEO, bytes: 1250, interval: Duration::from_millis(5) },
    ]
}

#[test]
fn under_a_rate_cap_video_goes_first_then_audio_never_control() {
    // 1 Mbit/s carries control and audio (with 10% repair) but only part of the video.
    let mut pair = Pair::new(endpoint(1_000_000, table(), 0.1), endpoint(0, table(), 0.1), 1500);
    let got = run(&mut pair, &media_loads(), 5);
    let stats = |s| pair.a.stream_stats(s).unwrap();
    assert_eq!(got[0].1, got[0].0, "every control message: {got:?}");
    assert_eq!(got[1].1, got[1].0, "every audio message: {got:?}");
    assert!(got[2].1 < got[2].0 * 6 / 10, "video is what gives: {got:?}");
    assert_eq!((stats(CONTROL).expired, stats(AUDIO).expired), (0, 0));
    assert!(stats(VIDEO).expired > 0);

    // At 150 kbit/s even audio does not fit: it gives too, control still arrives whole.
    let mut pair = Pair::new(endpoint(150_000, table(), 0.1), endpoint(0, table(), 0.1), 1500);
    let got = run(&mut pair, &media_loads(), 5);
    assert_eq!(got[0].1, got[0].0, "every control message: {got:?}");
    assert!(got[1].1 < got[1].0, "audio gives: {got:?}");
    assert!(got[2].1 * 20 < got[2].0, "video almost all gone: {got:?}");
    assert_eq!(pair.a.stream_stats(CONTROL).unwrap().expired, 0);
}

#[test]
fn without_priorities_the_cap_hits_every_stream() {
    // The same offered load and cap, every stream at the same priority: audio and control
    // now lose like video does. (What the priorities above buy.)
    let flat = StreamTable::new([StreamConfig::deadline(CONTROL, 0), StreamConfig::deadline(AUDIO, 0), StreamConfig::deadline(VIDEO, 0)]).unwrap();
    let mut pair = Pair::new(endpoint(1_000_000, flat.clone(), 0.1), endpoint(0, flat, 0.1), 1500);
    let got = run(&mut pair, &media_loads(), 5);
    assert!(got[1].1 < got[1].0, "audio loses too: {got:?}");
}

#[test]
fn a_reliable_stream_delivers_everything_once_and_in_order_over_loss() {
    // 20% loss each way, little repair and no NACK: the connection alone loses messages here.
    let mut pair = Pair::new(endpoint_with(0, table(), 0.05, false), endpoint_with(0, table(), 0.05, false), 1500);
    pair.loss = 0.2;
    let loads = [
        Load { stream: CONTROL, bytes: 100, interval: Duration::from_millis(10) },
        Load { stream: VIDEO, bytes: 1000, interval: Duration::from_millis(10) },
    ];
    let got = run(&mut pair, &loads, 3);
    let control: Vec<u32> = pair
        .b_delivered
        .iter()
        .filter(|d| d.stream == CONTROL)
        .map(|d| u32::from_be_bytes(d.payload[..4].try_into().unwrap()))
        .collect();
    assert_eq!(control, (0..got[0].0 as u32).collect::<Vec<_>>(), "all, once, in order");
    assert!(pair.a.stream_stats(CONTROL).unwrap().resent > 0, "resends did the work");
    assert!(got[1].1 < got[1].0, "the deadline-bound stream beside it lost some: {got:?}");
}

#[test]
fn payloads_for_streams_not_configured_here_are_counted_and_dropped() {
    let mut pair = Pair::new(endpoint(0, table(), 0.25), endpoint(0, StreamTable::default(), 0.25), 1500);
    pair.a.send_on(B, VIDEO, b"nobody listens", pair.now).unwrap();
    pair.a.send_on(B, 0, b"default", pair.now).unwrap();
    pair.a.flush();
    pair.run_until(Timestamp::ZERO + Duration::from_secs(1));
    assert_eq!(pair.b_delivered.iter().map(|d| &d.payload[..]).collect::<Vec<_>>(), [b"default".as_slice()]);
    assert_eq!(pair.b.stats().stream_malformed, 1);
    assert!(pair.a.send_on(B, 99, b"x", pair.now).is_err(), "and we refuse to send on one");
}

fn estimating(streams: StreamTable) -> Endpoint {
    let sender = SenderConfig {
        redundancy: Redundancy::Ratio { k: 16, ratio: 0.1 },
        bandwidth: Some(BandwidthConfig::default()),
        ..SenderConfig::default()
    };
    build(0, streams, sender)
}

#[test]
fn the_sender_finds_the_bottleneck_paces_to_it_and_says_so() {
    // 1.5 Mbit/s between A and B, and A offers 2.15 Mbit/s: with the estimate the overflow
    // becomes video dropped at A by priority, not tail drops at the bottleneck.
    let mut pair = Pair::new(estimating(table()), endpoint(0, table(), 0.1), 1500);
    pair.bottleneck = Some(1_500_000);
    let got = run(&mut pair, &media_loads(), 20);
    let rate = pair.a.pace_rate();
    assert!((1_100_000..=1_900_000).contains(&rate), "pacing at {rate} for a 1.5 Mbit/s path");
    let mut announced = Vec::new();
    while let Some((peer, event)) = pair.a.poll_event() {
        if let PeerEvent::Bandwidth { bits_per_second } = event {
            announced.push((peer, bits_per_second));
        }
    }
    let (peer, last) = *announced.last().expect("the application was told");
    assert_eq!(peer, B);
    eprintln!("1.5 Mbit/s path: pacing at {rate}, last announced {last}, (sent, delivered) per stream {got:?}");
    assert!((1_000_000..=2_000_000).contains(&last), "announced {last}: {announced:?}");
    assert_eq!(got[0].1, got[0].0, "every control message: {got:?}");
    assert!(got[1].1 * 100 >= got[1].0 * 99, "audio (nearly) whole: {got:?}");
    assert!(pair.a.stream_stats(VIDEO).unwrap().expired > 0, "video gave way at the sender");

    // The same path without the estimate: the bottleneck's queue drops whatever arrives,
    // audio and control included (control is resent, audio is not).
    let mut pair = Pair::new(endpoint(0, table(), 0.1), endpoint(0, table(), 0.1), 1500);
    pair.bottleneck = Some(1_500_000);
    let blind = run(&mut pair, &media_loads(), 20);
    eprintln!("without the estimate: {blind:?}");
    assert!(blind[1].1 * 100 < blind[1].0 * 99, "audio lost at the bottleneck: {blind:?}");
}
