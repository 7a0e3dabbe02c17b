//! Single XOR parity: the parity is the byte-wise XOR, every single loss comes back, and bad
//! arguments are refused with the argument named.

use fec::{FecError, XorParity};
use proptest::prelude::*;

mod common;
use common::{data, refs};

#[test]
fn parity_is_the_bytewise_xor() {
    // Lengths around the 8-byte word the XOR works in, and an MTU-sized one.
    for len in [0, 1, 7, 8, 9, 15, 17, 1200] {
        for k in [1, 2, 3, 20, 255] {
            let data = data(k, len, 5);
            let expected: Vec<u8> = (0..len).map(|b| data.iter().fold(0, |acc, s| acc ^ s[b])).collect();
            let shards = XorParity::new(k).unwrap().encode(&refs(&data)).unwrap();
            assert_eq!(&shards[..k], &data[..]);
            assert_eq!(shards[k], expected, "k {k} len {len}");
        }
    }
}

#[test]
fn every_single_loss_is_recovered() {
    for k in [1, 2, 5, 20, 40, 255] {
        let xor = XorParity::new(k).unwrap();
        let data = data(k, 33, k as u64);
        let shards = xor.encode(&refs(&data)).unwrap();
        for lost in 0..=k {
            let indices: Vec<usize> = (0..=k).filter(|&i| i != lost).collect();
            let got: Vec<&[u8]> = indices.iter().map(|&i| shards[i].as_slice()).collect();
            assert_eq!(xor.decode(&got, &indices).unwrap(), data, "k {k} lost {lost}");
            let mut out = vec![0u8; 33];
            let rebuilt = xor.recover_into(&got, &indices, &mut out).unwrap();
            if lost < k {
                assert_eq!((rebuilt, &out), (Some(lost), &data[lost]));
            } else {
                assert_eq!(rebuilt, None);
            }
        }
        // Nothing lost: all k + 1 shards, and the parity is simply not needed.
        let all: Vec<usize> = (0..=k).rev().collect();
        let got: Vec<&[u8]> = all.iter().map(|&i| shards[i].as_slice()).collect();
        assert_eq!(xor.decode(&got, &all).unwrap(), data);
    }
}

proptest! {
    #[test]
    fn any_k_of_k_plus_one_decode(k in 1usize..=255, len in 0usize..70, salt in any::<u64>(), lost in any::<prop::sample::Index>(), rotate in any::<prop::sample::Index>()) {
        let xor = XorParity::new(k).unwrap();
        let data = data(k, len, salt);
        let shards = xor.encode(&refs(&data)).unwrap();
        let lost = lost.index(k + 1);
        let mut indices: Vec<usize> = (0..=k).filter(|&i| i != lost).collect();
        let by = rotate.index(indices.len());
        indices.rotate_left(by);
        let got: Vec<&[u8]> = indices.iter().map(|&i| shards[i].as_slice()).collect();
        prop_assert_eq!(xor.decode(&got, &indices).unwrap(), data);
    }
}

#[test]
fn impossible_shapes_are_refused() {
    for k in [0, 256, usize::MAX] {
        let err = XorParity::new(k).unwrap_err();
        assert_eq!(err, FecError::CodeShape { code: "xor", k, m: 1, max_k: 255, max_m: 1 });
        assert!(err.is_range_error());
    }
}

#[test]
fn bad_arguments_name_themselves() {
    let xor = XorParity::new(3).unwrap();
    let (a, short) = ([1u8, 2], [1u8]);
    let err = xor.encode(&[&a, &a]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "shards", got: 2, .. }), "{err}");
    let err = xor.encode(&[&a, &short, &a]).unwrap_err();
    assert_eq!(err, FecError::Length { argument: "shards", index: 1, expected: 2, got: 1 });
    let err = xor.encode_parity(&[&a, &a, &a], &mut [0u8; 3]).unwrap_err();
    assert_eq!(err, FecError::Length { argument: "parity", index: 0, expected: 2, got: 3 });
    // Two of four shards missing is beyond a single parity: refused before any XOR.
    let err = xor.decode(&[&a, &a], &[0, 1]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "shards", got: 2, .. }), "{err}");
    let err = xor.decode(&[&a, &a, &a], &[0, 1]).unwrap_err();
    assert!(matches!(err, FecError::Count { argument: "indices", got: 2, .. }), "{err}");
    let err = xor.decode(&[&a, &a, &a], &[0, 4, 1]).unwrap_err();
    assert_eq!(err, FecError::IndexOutOfRange { position: 1, index: 4, n: 4 });
    let err = xor.decode(&[&a, &a, &a], &[3, 1, 3]).unwrap_err();
    assert_eq!(err, FecError::DuplicateIndex { position: 2, index: 3 });
    let err = xor.recover_into(&[&a, &a, &a], &[0, 1, 3], &mut [0u8; 1]).unwrap_err();
    assert_eq!(err, FecError::Length { argument: "out", index: 0, expected: 2, got: 1 });
}
