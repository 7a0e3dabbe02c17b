//! Every shard in shared/vectors/zfec-shards.json (made by zfec 1.5.2) reproduced byte for
//! byte, and decoded back from random k-subsets.

use fec::{decode_message, encode_message, ReedSolomon};
use rand::seq::index::sample;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::Value;

struct Case {
    name: String,
    k: usize,
    n: usize,
    shards: Vec<Vec<u8>>,
    message: Option<String>,
}

fn cases() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/zfec-shards.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_owned(),
            k: c["k"].as_u64().unwrap() as usize,
            n: c["n"].as_u64().unwrap() as usize,
            shards: c["shards_hex"].as_array().unwrap().iter().map(|h| hex::decode(h.as_str().unwrap()).unwrap()).collect(),
            message: c.get("message_utf8").and_then(Value::as_str).map(str::to_owned),
        })
        .collect()
}

#[test]
fn every_vector_encodes_byte_for_byte() {
    let cases = cases();
    assert!(cases.len() >= 15, "expected the full vector set");
    for case in cases {
        let rs = ReedSolomon::new(case.k, case.n).unwrap();
        let data: Vec<&[u8]> = case.shards[..case.k].iter().map(Vec::as_slice).collect();
        let encoded = rs.encode(&data).unwrap();
        for (i, (ours, theirs)) in encoded.iter().zip(&case.shards).enumerate() {
            assert_eq!(ours, theirs, "{}: shard {i} differs", case.name);
        }
    }
}

#[test]
fn every_vector_decodes_from_random_subsets() {
    let mut rng = StdRng::seed_from_u64(0x5eed);
    for case in cases() {
        let rs = ReedSolomon::new(case.k, case.n).unwrap();
        for _ in 0..20 {
            let indices: Vec<usize> = sample(&mut rng, case.n, case.k).into_vec();
            let shards: Vec<&[u8]> = indices.iter().map(|&i| case.shards[i].as_slice()).collect();
            let decoded = rs.decode(&shards, &indices).unwrap();
            assert_eq!(decoded, case.shards[..case.k], "{}: decode from {indices:?}", case.name);
        }
    }
}

#[test]
fn seed_message_round_trips() {
    let case = cases().into_iter().find(|c| c.message.is_some()).unwrap();
    let message = case.message.unwrap();
    let fragments = encode_message(message.as_bytes(), case.k, case.n).unwrap();
    assert_eq!(fragments, case.shards);
    let picked = [13, 7, 2, 9];
    let shards: Vec<&[u8]> = picked.iter().map(|&i| fragments[i].as_slice()).collect();
    let decoded = decode_message(&shards, &picked, case.k, case.n, message.len()).unwrap();
    assert_eq!(decoded, message.as_bytes());
}
