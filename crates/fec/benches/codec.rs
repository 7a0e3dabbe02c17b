//! Pure-Rust codec throughput at the shapes bench/codec uses: encode, and decode with m data
//! shards lost; with `--features isal-bench`, Intel ISA-L on the same matrix, data and
//! buffers in the same run. Throughput counts data bytes (k x shard length).
//!
//! `cargo bench -p perfect-socket-fec --features isal-bench`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fec::ReedSolomon;

const SHAPES: [(usize, usize, usize); 4] = [(4, 12, 1200), (20, 5, 1200), (100, 25, 1200), (10, 4, 65536)];

#[cfg(feature = "isal-bench")]
mod isal {
    use std::os::raw::{c_int, c_uchar};

    #[link(name = "isal")]
    extern "C" {
        fn ec_init_tables(k: c_int, rows: c_int, a: *const c_uchar, gftbls: *mut c_uchar);
        fn ec_encode_data(len: c_int, k: c_int, rows: c_int, gftbls: *const c_uchar, data: *const *const c_uchar, coding: *const *mut c_uchar);
    }

    /// ISA-L's multiply tables for a `rows x k` coefficient matrix.
    pub struct Tables {
        k: usize,
        rows: usize,
        tables: Vec<u8>,
    }

    impl Tables {
        pub fn new(k: usize, rows: usize, coefficients: &[u8]) -> Self {
            let mut tables = vec![0u8; 32 * k * rows];
            unsafe { ec_init_tables(k as c_int, rows as c_int, coefficients.as_ptr(), tables.as_mut_ptr()) };
            Tables { k, rows, tables }
        }

        pub fn apply(&self, inputs: &[&[u8]], outputs: &mut [Vec<u8>]) {
            let ins: Vec<*const u8> = inputs.iter().map(|s| s.as_ptr()).collect();
            let outs: Vec<*mut u8> = outputs.iter_mut().map(|s| s.as_mut_ptr()).collect();
            unsafe {
                ec_encode_data(inputs[0].len() as c_int, self.k as c_int, self.rows as c_int, self.tables.as_ptr(), ins.as_ptr(), outs.as_ptr())
            };
        }
    }
}

fn codec(c: &mut Criterion) {
    println!("kernel: {}", fec::kernel_name());
    for (k, m, len) in SHAPES {
        let rs = ReedSolomon::new(k, k + m).unwrap();
        let data: Vec<Vec<u8>> = (0..k).map(|i| (0..len).map(|b| (b ^ (i * 7)) as u8).collect()).collect();
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        let mut parity = vec![vec![0u8; len]; m];
        let mut group = c.benchmark_group(format!("k{k}_m{m}_{len}B"));
        group.throughput(Throughput::Bytes((k * len) as u64));
        group.bench_function("encode/perfect-socket", |b| {
            b.iter(|| {
                let mut outs: Vec<&mut [u8]> = parity.iter_mut().map(Vec::as_mut_slice).collect();
                rs.encode_parity(&refs, &mut outs).unwrap();
            })
        });
        let all = rs.encode(&refs).unwrap();
        // Lose the first min(m, k) data shards; decode from the rest.
        let lost = m.min(k);
        let indices: Vec<usize> = (lost..lost + k).collect();
        let shards: Vec<&[u8]> = indices.iter().map(|&i| all[i].as_slice()).collect();
        let mut rebuilt = vec![vec![0u8; len]; lost];
        group.bench_function("decode/perfect-socket", |b| {
            b.iter(|| {
                let mut outs: Vec<&mut [u8]> = rebuilt.iter_mut().map(Vec::as_mut_slice).collect();
                rs.recover_into(&shards, &indices, &mut outs).unwrap();
            })
        });
        #[cfg(feature = "isal-bench")]
        {
            let coefficients: Vec<u8> = (0..m).flat_map(|j| rs.parity_row(j).to_vec()).collect();
            let encoder = isal::Tables::new(k, m, &coefficients);
            // Checked outside the timed closure, which a benchmark filter may skip.
            encoder.apply(&refs, &mut parity);
            assert_eq!(parity, all[k..], "ISA-L must compute the same parity");
            group.bench_function("encode/isa-l", |b| b.iter(|| encoder.apply(&refs, &mut parity)));
            // ISA-L's decode is the same dot product with the inverted rows; reuse ours.
            let decode_rows = rs.recovery_coefficients(&indices).unwrap();
            let decoder = isal::Tables::new(k, lost, &decode_rows);
            decoder.apply(&shards, &mut rebuilt);
            assert_eq!(rebuilt, all[..lost], "ISA-L must rebuild the same shards");
            group.bench_function("decode/isa-l", |b| b.iter(|| decoder.apply(&shards, &mut rebuilt)));
        }
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
