//! Property tests: random shapes, data and erasure patterns always round-trip, and bad
//! arguments are refused with the argument named.

use fec::{FecError, ReedSolomon};
use proptest::prelude::*;

fn shape() -> impl Strategy<Value = (usize, usize)> {
    (1usize..=256).prop_flat_map(|n| (1..=n, Just(n)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_k_shards_decode((k, n) in shape(), len in 0usize..80, seed in any::<u64>()) {
        let rs = ReedSolomon::shared(k, n).unwrap();
        let data: Vec<Vec<u8>> = (0..k)
            .map(|i| (0..len).map(|b| (seed.wrapping_mul(31 + i as u64).wrapping_add(b as u64 * 7919) >> 13) as u8).collect())
            .collect();
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        let encoded = rs.encode(&refs).unwrap();
        prop_assert_eq!(&encoded[..k], &data[..]);
        // A pseudo-random k-subset, in scrambled order.
        let mut order: Vec<usize> = (0..n).collect();
        let mut state = seed | 1;
        for i in (1..n).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let indices = &order[..k];
        let shards: Vec<&[u8]> = indices.iter().map(|&i| encoded[i].as_slice()).collect();
        prop_assert_eq!(rs.decode(&shards, indices).unwrap(), data);
    }

    #[test]
    fn more_than_k_shards_also_decode((k, n) in shape(), extra in 0usize..8) {
        let rs = ReedSolomon::shared(k, n).unwrap();
        let data: Vec<Vec<u8>> = (0..k).map(|i| vec![i as u8; 3]).collect();
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        let encoded = rs.encode(&refs).unwrap();
        let count = (k + extra).min(n);
        let indices: Vec<usize> = (n - count..n).collect();
        let shards: Vec<&[u8]> = indices.iter().map(|&i| encoded[i].as_slice()).collect();
        prop_assert_eq!(rs.decode(&shards, &indices).unwrap(), data);
    }
}

#[test]
fn impossible_shapes_are_refused() {
    for (k, n) in [(0, 0), (0, 4), (5, 4), (1, 257), (257, 257)] {
        assert_eq!(ReedSolomon::new(k, n).unwrap_err(), FecError::InvalidShape { k, n });
    }
}

#[test]
fn bad_arguments_name_themselves() {
    let rs = ReedSolomon::new(3, 5).unwrap();
    let a = [1u8, 2];
    let short = [1u8];
    let err = rs.encode(&[&a, &a]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "shards", got: 2, .. }), "{err}");
    let err = rs.encode(&[&a, &short, &a]).unwrap_err();
    assert!(matches!(err, FecError::Length { argument: "shards", index: 1, .. }), "{err}");
    let err = rs.decode(&[&a, &a, &a], &[0, 5, 1]).unwrap_err();
    assert_eq!(err, FecError::IndexOutOfRange { position: 1, index: 5, n: 5 });
    let err = rs.decode(&[&a, &a, &a], &[4, 2, 4]).unwrap_err();
    assert_eq!(err, FecError::DuplicateIndex { position: 2, index: 4 });
    let err = rs.decode(&[&a, &a], &[0, 1]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "shards", .. }), "{err}");
    let err = rs.decode(&[&a, &a, &a], &[0, 1]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "indices", .. }), "{err}");
    assert!(err.to_string().contains("indices"));
}

#[test]
fn large_shards_cross_chunk_boundaries() {
    // Shards bigger than one kernel pass, with a length that is not a multiple of 64.
    let (k, n, len) = (10, 14, 100_003);
    let rs = ReedSolomon::new(k, n).unwrap();
    let data: Vec<Vec<u8>> = (0..k).map(|i| (0..len).map(|b| (b * 131 + i * 17) as u8).collect()).collect();
    let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    let encoded = rs.encode(&refs).unwrap();
    let indices = [13, 1, 12, 3, 11, 5, 10, 7, 2, 9];
    let shards: Vec<&[u8]> = indices.iter().map(|&i| encoded[i].as_slice()).collect();
    assert_eq!(rs.decode(&shards, &indices).unwrap(), data);
}
