//! Seed 001's recovery experiment: k data symbols, m repair symbols, N of the k + m symbols
//! lost at random; how often does every data symbol come back? Reed-Solomon, XOR parity and
//! mirrored LT at equal redundancy (the same m), every trial a real encode and decode.
//!
//!   cargo run --release -p perfect-socket-fec --example recovery [-- --trials T]
//!
//! Prints JSON (see `bench/recovery/run.mjs`, which charts it). Deterministic: one fixed RNG
//! seed drives the data, the loss patterns and the mirrored-LT seeds.

use fec::{MirroredLt, ReedSolomon, XorParity};
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Seed 001's frames: about 20 packets typical, its charts at d = 20 and 40 (k = 40, 80), and
/// the largest k whose degree (k/2) the clamp of 64 leaves alone.
const KS: [usize; 4] = [20, 40, 80, 128];
/// Seed 001 ran at 25% in production; 50% shows how each code uses more repair.
const REDUNDANCY_PERCENT: [usize; 2] = [25, 50];
/// Losses past m are hopeless for any code (fewer than k symbols arrive); a few show the cliff.
const PAST_M: usize = 3;
/// Recovery depends on which symbols are lost, not on their length: short shards keep the
/// run quick while still checking every decoded byte.
const SHARD_BYTES: usize = 8;
/// Reed-Solomon decodes run per point (a k x k inverse each) to confirm the MDS criterion;
/// the other trials use the criterion itself.
const RS_DECODES: usize = 25;
const RNG_SEED: u64 = 0x5EED_0001;

fn main() {
    let trials = parse_trials();
    let mut rng = StdRng::seed_from_u64(RNG_SEED);
    let mut rs_decodes = 0;
    let mut panels = Vec::new();
    for percent in REDUNDANCY_PERCENT {
        for k in KS {
            let m = k * percent / 100;
            let data: Vec<Vec<u8>> = (0..k).map(|_| (0..SHARD_BYTES).map(|_| rng.random()).collect()).collect();
            let rs = Rs::new(&data, m);
            let xor = Striped::new(&data, m);
            let mut points = Vec::new();
            for losses in 0..=m + PAST_M {
                let mut wins = [0usize; 3];
                for trial in 0..trials {
                    let mut arrived = vec![true; k + m];
                    for i in sample(&mut rng, k + m, losses) {
                        arrived[i] = false;
                    }
                    let received: Vec<usize> = (0..k + m).filter(|&i| arrived[i]).collect();
                    let rs_ok = if trial < RS_DECODES {
                        rs_decodes += 1;
                        let ok = rs.decodes(&received);
                        assert_eq!(ok, losses <= m, "Reed-Solomon is MDS: decodes exactly when losses <= m");
                        ok
                    } else {
                        losses <= m
                    };
                    let lt_seed = rng.random();
                    for (win, ok) in
                        wins.iter_mut().zip([rs_ok, xor.decodes(&received), lt_decodes(&data, m, lt_seed, &received)])
                    {
                        *win += usize::from(ok);
                    }
                }
                let rate = |wins: usize| wins as f64 / trials as f64;
                points.push(json!({
                    "losses": losses,
                    "rs": rate(wins[0]),
                    "xor": rate(wins[1]),
                    "lt": rate(wins[2]),
                    "bound": if losses <= m { 1.0 } else { 0.0 },
                }));
            }
            panels.push(json!({ "k": k, "m": m, "redundancy": percent as f64 / 100.0, "points": points }));
        }
    }
    let report: Value = json!({
        "experiment": "seed 001: recovery rate of k data + m repair symbols with N random losses",
        "trials": trials,
        "rng_seed": RNG_SEED,
        "shard_bytes": SHARD_BYTES,
        "rs_real_decodes": rs_decodes,
        "xor_layout": "m interleaved blocks: data symbol i in block i % m, one parity each",
        "panels": panels,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
}

fn parse_trials() -> usize {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => 2000,
        [flag, n] if flag == "--trials" => n.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| usage()),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: recovery [--trials T]   (T a positive integer, default 2000)");
    std::process::exit(2)
}

/// Reed-Solomon with its shards encoded once: only the loss pattern changes between trials.
struct Rs {
    codec: ReedSolomon,
    data: Vec<Vec<u8>>,
    shards: Vec<Vec<u8>>,
}

impl Rs {
    fn new(data: &[Vec<u8>], m: usize) -> Self {
        let codec = ReedSolomon::new(data.len(), data.len() + m).expect("k + m <= 256");
        let shards = codec.encode(&as_refs(data)).expect("encode");
        Rs { codec, data: data.to_vec(), shards }
    }

    fn decodes(&self, received: &[usize]) -> bool {
        let got: Vec<&[u8]> = received.iter().map(|&i| self.shards[i].as_slice()).collect();
        // Fewer than k shards is refused up front: that is the unrecoverable case.
        self.codec.decode(&got, received).is_ok_and(|decoded| decoded == self.data)
    }
}

/// XOR parity at redundancy m/k: the data striped over m blocks, one parity shard each
/// (shard k + b for block b), so consecutive losses land in different blocks.
struct Striped {
    codes: Vec<XorParity>,
    /// Per shard: its block and its index within the block (members first, then parity).
    place: Vec<(usize, usize)>,
    shards: Vec<Vec<u8>>,
}

impl Striped {
    fn new(data: &[Vec<u8>], m: usize) -> Self {
        let k = data.len();
        let mut place: Vec<(usize, usize)> = (0..k).map(|i| (i % m, i / m)).collect();
        let mut shards = data.to_vec();
        let mut codes = Vec::new();
        for b in 0..m {
            let block: Vec<&[u8]> = data.iter().skip(b).step_by(m).map(Vec::as_slice).collect();
            let code = XorParity::new(block.len()).expect("a block of 1 to 255");
            shards.push(code.encode(&block).expect("encode").pop().expect("parity"));
            place.push((b, block.len()));
            codes.push(code);
        }
        Striped { codes, place, shards }
    }

    fn decodes(&self, received: &[usize]) -> bool {
        let mut blocks: Vec<(Vec<usize>, Vec<&[u8]>)> = vec![Default::default(); self.codes.len()];
        for &i in received {
            let (b, local) = self.place[i];
            blocks[b].0.push(local);
            blocks[b].1.push(&self.shards[i]);
        }
        let m = self.codes.len();
        self.codes.iter().zip(&blocks).enumerate().all(|(b, (code, (indices, got)))| {
            code.decode(got, indices).is_ok_and(|decoded| {
                decoded.iter().enumerate().all(|(local, shard)| *shard == self.shards[local * m + b])
            })
        })
    }
}

/// Mirrored LT with a fresh seed per trial, as a sender varies it per frame.
fn lt_decodes(data: &[Vec<u8>], m: usize, seed: u64, received: &[usize]) -> bool {
    let lt = MirroredLt::new(data.len(), m, seed).expect("shape");
    let shards = lt.encode(&as_refs(data)).expect("encode");
    let got: Vec<&[u8]> = received.iter().map(|&i| shards[i].as_slice()).collect();
    let decoded = lt.decode(&got, received).expect("valid arguments");
    decoded.iter().zip(data).all(|(shard, original)| shard.as_ref() == Some(original))
}

fn as_refs(shards: &[Vec<u8>]) -> Vec<&[u8]> {
    shards.iter().map(Vec::as_slice).collect()
}
