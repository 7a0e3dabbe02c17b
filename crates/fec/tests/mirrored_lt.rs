//! Seed 001's mirrored LT code: the covered sets have the seed's shape, every single loss comes
//! back, decoding agrees with a naive peeling reference on random erasures, and bad arguments
//! are refused with the argument named.

use fec::{FecError, MirroredLt, MAX_LT_DEGREE, MAX_LT_SHARDS};
use proptest::prelude::*;

mod common;
use common::{data, refs};

/// (k, m) at seed 001's figures: 25% redundancy, d = 20 and d = 40 (k = 40, 80), a typical
/// 20-packet frame, and the largest k the degree clamp leaves unclamped.
const SEED_SHAPES: [(usize, usize); 4] = [(20, 5), (40, 10), (80, 20), (128, 32)];

/// Pairs of repair symbols one shuffle of the data serves (one for k <= 128).
fn windows(k: usize) -> usize {
    k.div_ceil(2 * MAX_LT_DEGREE)
}

/// Decodes from all shards but `lost`, checking every data shard that comes back is right.
fn decode_without(lt: &MirroredLt, shards: &[Vec<u8>], lost: &[usize]) -> Vec<Option<Vec<u8>>> {
    let indices: Vec<usize> = (0..lt.total_shards()).filter(|i| !lost.contains(i)).collect();
    let got: Vec<&[u8]> = indices.iter().map(|&i| shards[i].as_slice()).collect();
    let decoded = lt.decode(&got, &indices).unwrap();
    for (i, shard) in decoded.iter().enumerate() {
        if let Some(bytes) = shard {
            assert_eq!(bytes, &shards[i], "data shard {i} decoded wrong");
        }
    }
    decoded
}

/// Peeling by brute force, to hold the decoder's worklist to: sweep the received repair
/// symbols until none has exactly one unknown data symbol left.
fn naive_peel(lt: &MirroredLt, received: &[bool]) -> Vec<bool> {
    let k = lt.data_shards();
    let mut known = received[..k].to_vec();
    loop {
        let mut progress = false;
        for j in (0..lt.repair_shards()).filter(|&j| received[k + j]) {
            let unknown: Vec<usize> = lt.covered(j).iter().map(|&i| i as usize).filter(|&i| !known[i]).collect();
            if let [only] = unknown[..] {
                known[only] = true;
                progress = true;
            }
        }
        if !progress {
            return known;
        }
    }
}

#[test]
fn pairs_mirror_each_other_with_degree_about_half_of_k() {
    for k in 1..=128 {
        for seed in [0, 1, u64::MAX] {
            let lt = MirroredLt::new(k, 9, seed).unwrap();
            for p in 0..4 {
                let (even, odd) = (lt.covered(2 * p), lt.covered(2 * p + 1));
                if k == 1 {
                    assert_eq!((even, odd), (&[0][..], &[0][..]), "k = 1 has no complement: both copy it");
                    continue;
                }
                assert_eq!((even.len(), odd.len()), (k.div_ceil(2), k / 2), "k {k}: odd/even alternation");
                let mut union: Vec<u32> = even.iter().chain(odd).copied().collect();
                union.sort_unstable();
                assert_eq!(union, (0..k as u32).collect::<Vec<_>>(), "k {k} pair {p}: complementary sets");
            }
            // The unpaired last symbol of an odd m is an even one.
            assert_eq!(lt.covered(8).len(), k.div_ceil(2));
        }
    }
}

#[test]
fn past_128_the_degree_is_clamped_and_each_round_covers_every_symbol_once() {
    for k in [129, 200, 256, 1000, 4096] {
        let w = windows(k);
        let lt = MirroredLt::new(k, 4 * w, 3).unwrap();
        for round in 0..2 {
            let mut covered = vec![0; k];
            for j in 2 * w * round..2 * w * (round + 1) {
                let set = lt.covered(j);
                assert!(set.len() <= MAX_LT_DEGREE && set.len() >= k / w / 2, "k {k} j {j}: degree {}", set.len());
                for &i in set {
                    covered[i as usize] += 1;
                }
            }
            assert!(covered.iter().all(|&c| c == 1), "k {k} round {round}: every data symbol once");
        }
    }
}

#[test]
fn sets_depend_on_k_index_and_seed_only() {
    let (short, long) = (MirroredLt::new(40, 3, 9).unwrap(), MirroredLt::new(40, 30, 9).unwrap());
    for j in 0..3 {
        assert_eq!(short.covered(j), long.covered(j), "m must not change earlier sets");
    }
    let other = MirroredLt::new(40, 3, 10).unwrap();
    assert_ne!(short.covered(0), other.covered(0), "the seed picks the sets");
}

/// Sender and receiver derive the sets independently, so they are wire format: this pins them.
#[test]
fn sets_are_pinned() {
    let lt = MirroredLt::new(8, 3, 1).unwrap();
    let sets: Vec<Vec<u32>> = (0..3).map(|j| sorted(lt.covered(j))).collect();
    assert_eq!(sets, PINNED_8_1);
    let lt = MirroredLt::new(300, 1, 0xDEAD_BEEF).unwrap();
    assert_eq!(&sorted(lt.covered(0))[..8], PINNED_300_HEAD);
}

/// The order within a set is immaterial to the XOR, so only the set is pinned.
fn sorted(set: &[u32]) -> Vec<u32> {
    let mut set = set.to_vec();
    set.sort_unstable();
    set
}

const PINNED_8_1: [&[u32]; 3] = [&[0, 4, 6, 7], &[1, 2, 3, 5], &[0, 1, 5, 6]];
const PINNED_300_HEAD: &[u32] = &[3, 4, 35, 36, 41, 44, 55, 56];

#[test]
fn nothing_lost_needs_no_repair() {
    for (k, m) in SEED_SHAPES {
        let lt = MirroredLt::new(k, m, 42).unwrap();
        let data = data(k, 100, 1);
        let shards = lt.encode(&refs(&data)).unwrap();
        assert_eq!(&shards[..k], &data[..]);
        let only_data: Vec<usize> = (0..k).rev().collect();
        let got: Vec<&[u8]> = only_data.iter().map(|&i| shards[i].as_slice()).collect();
        let decoded: Vec<Vec<u8>> = lt.decode(&got, &only_data).unwrap().into_iter().map(Option::unwrap).collect();
        assert_eq!(decoded, data);
    }
}

#[test]
fn repair_shards_are_the_xor_of_their_sets() {
    let lt = MirroredLt::new(20, 5, 7).unwrap();
    let data = data(20, 37, 3);
    let shards = lt.encode(&refs(&data)).unwrap();
    for j in 0..5 {
        let expected: Vec<u8> =
            (0..37).map(|b| lt.covered(j).iter().fold(0, |acc, &i| acc ^ data[i as usize][b])).collect();
        assert_eq!(shards[20 + j], expected, "repair {j}");
    }
}

#[test]
fn every_single_loss_is_recovered_at_the_seeds_parameters() {
    for (k, m) in SEED_SHAPES {
        for seed in 0..4 {
            let lt = MirroredLt::new(k, m, seed).unwrap();
            let shards = lt.encode(&refs(&data(k, 41, seed))).unwrap();
            for lost in 0..k + m {
                let decoded = decode_without(&lt, &shards, &[lost]);
                assert!(decoded.iter().all(Option::is_some), "k {k} m {m} seed {seed}: lost {lost} not recovered");
            }
        }
    }
}

/// One pair suffices below the clamp; past it, a full round of pairs must have been sent.
#[test]
fn every_single_loss_is_recoverable_once_a_round_is_sent() {
    for k in 1..=300 {
        let m = 2 * windows(k);
        let lt = MirroredLt::new(k, m, k as u64).unwrap();
        for lost in 0..k + m {
            let indices: Vec<usize> = (0..k + m).filter(|&i| i != lost).collect();
            assert!(lt.recoverable(&indices).unwrap().iter().all(|&r| r), "k {k} m {m}: lost {lost}");
        }
    }
}

/// Seed 001: "With 50% probability, we can recover two packet losses" from one pair. Exactly:
/// two lost data shards come back when the pair's halves split them.
#[test]
fn one_pair_recovers_two_losses_when_its_halves_split_them() {
    let (k, m) = (20, 2);
    let lt = MirroredLt::new(k, m, 5).unwrap();
    let half = |i: usize| lt.covered(0).contains(&(i as u32));
    let mut recovered = 0;
    for a in 0..k {
        for b in a + 1..k {
            let indices: Vec<usize> = (0..k + m).filter(|&i| i != a && i != b).collect();
            let complete = lt.recoverable(&indices).unwrap().iter().all(|&r| r);
            assert_eq!(complete, half(a) != half(b), "lost {a} and {b}");
            recovered += usize::from(complete);
        }
    }
    assert_eq!(recovered, 10 * 10, "of the 190 two-loss patterns");
}

#[test]
fn partial_recovery_is_reported_per_shard() {
    let (k, m) = (6, 2);
    let lt = MirroredLt::new(k, m, 11).unwrap();
    let shards = lt.encode(&refs(&data(k, 9, 2))).unwrap();
    let (first, second) = (lt.covered(0), lt.covered(1));
    // Two losses in one half stall its repair shard; a lone loss in the other half comes back.
    let (a, b, c) = (first[0] as usize, first[1] as usize, second[0] as usize);
    let decoded = decode_without(&lt, &shards, &[a, b, c]);
    let back: Vec<usize> = (0..k).filter(|&i| decoded[i].is_some()).collect();
    let expected: Vec<usize> = (0..k).filter(|&i| i != a && i != b).collect();
    assert_eq!(back, expected);
}

#[test]
fn long_shards_cross_word_boundaries() {
    let (k, m, len) = (10, 4, 100_003);
    let lt = MirroredLt::new(k, m, 1).unwrap();
    let data = data(k, len, 9);
    let shards = lt.encode(&refs(&data)).unwrap();
    let decoded = decode_without(&lt, &shards, &[lt.covered(0)[0] as usize]);
    assert!(decoded.iter().all(Option::is_some));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Random shapes and erasure patterns: whatever comes back is right, it is exactly what
    /// brute-force peeling reaches, and `recoverable` predicts it.
    #[test]
    fn random_erasures_peel_like_the_reference(
        k in 1usize..=150,
        m in 0usize..=60,
        seed in any::<u64>(),
        len in 0usize..24,
        keep in prop::collection::vec(any::<bool>(), 210),
    ) {
        let lt = MirroredLt::new(k, m, seed).unwrap();
        let shards = lt.encode(&refs(&data(k, len, seed))).unwrap();
        let lost: Vec<usize> = (0..k + m).filter(|&i| !keep[i]).collect();
        let received: Vec<bool> = keep[..k + m].to_vec();
        let decoded = decode_without(&lt, &shards, &lost);
        let back: Vec<bool> = decoded.iter().map(Option::is_some).collect();
        prop_assert_eq!(&back, &naive_peel(&lt, &received));
        let indices: Vec<usize> = (0..k + m).filter(|&i| keep[i]).collect();
        prop_assert_eq!(&back, &lt.recoverable(&indices).unwrap());
    }

    /// A single loss anywhere is recovered whenever a pair covers the whole block.
    #[test]
    fn any_single_loss_with_a_pair(k in 1usize..=128, m in 2usize..=40, seed in any::<u64>(), lost in any::<prop::sample::Index>()) {
        let lt = MirroredLt::new(k, m, seed).unwrap();
        let shards = lt.encode(&refs(&data(k, 5, seed))).unwrap();
        let decoded = decode_without(&lt, &shards, &[lost.index(k + m)]);
        prop_assert!(decoded.iter().all(Option::is_some));
    }
}

#[test]
fn impossible_shapes_are_refused() {
    for (k, m) in [(0, 0), (0, 4), (MAX_LT_SHARDS, 1), (MAX_LT_SHARDS + 1, 0), (1, usize::MAX)] {
        let err = MirroredLt::new(k, m, 0).unwrap_err();
        assert!(
            matches!(err, FecError::CodeShape { code: "mirrored LT", k: ek, m: em, .. } if ek == k && em == m),
            "{err}"
        );
        assert!(err.is_range_error());
    }
    assert!(MirroredLt::new(MAX_LT_SHARDS, 0, 0).is_ok());
    assert!(MirroredLt::new(1, MAX_LT_SHARDS - 1, 0).is_ok());
}

#[test]
fn bad_arguments_name_themselves() {
    let lt = MirroredLt::new(3, 2, 0).unwrap();
    let (a, short) = ([1u8, 2], [1u8]);
    let err = lt.encode(&[&a, &a]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "shards", got: 2, .. }), "{err}");
    let err = lt.encode(&[&a, &short, &a]).unwrap_err();
    assert_eq!(err, FecError::Length { argument: "shards", index: 1, expected: 2, got: 1 });
    let err = lt.encode_repair(&[&a, &a, &a], &mut [&mut [0u8; 2][..]]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "repair", got: 1, .. }), "{err}");
    let err = lt.encode_repair(&[&a, &a, &a], &mut [&mut [0u8; 2][..], &mut [0u8; 3][..]]).unwrap_err();
    assert_eq!(err, FecError::Length { argument: "repair", index: 1, expected: 2, got: 3 });
    let err = lt.decode(&[&a[..]; 6], &[0, 1, 2, 3, 4, 0]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "shards", got: 6, .. }), "{err}");
    let err = lt.decode(&[&a, &a], &[0]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "indices", got: 1, .. }), "{err}");
    let err = lt.decode(&[&a, &short], &[0, 1]).unwrap_err();
    assert_eq!(err, FecError::Length { argument: "shards", index: 1, expected: 2, got: 1 });
    let err = lt.decode(&[&a, &a], &[0, 5]).unwrap_err();
    assert_eq!(err, FecError::IndexOutOfRange { position: 1, index: 5, n: 5 });
    let err = lt.recoverable(&[4, 4]).unwrap_err();
    assert_eq!(err, FecError::DuplicateIndex { position: 1, index: 4 });
    // Nothing received is not an error: nothing comes back.
    assert_eq!(lt.decode(&[], &[]).unwrap(), vec![None, None, None]);
}

#[test]
#[should_panic(expected = "repair shard 2 of 2")]
fn covered_past_m_panics() {
    MirroredLt::new(3, 2, 0).unwrap().covered(2);
}
