//! Dense matrices over GF(2^8) and the zfec encoding matrix.

use reed_solomon_erasure::galois_8::{div, exp, mul};

/// A row-major `rows x cols` matrix over GF(2^8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<u8>,
}

impl Matrix {
    pub fn zero(rows: usize, cols: usize) -> Self {
        Matrix { rows, cols, data: vec![0; rows * cols] }
    }

    pub fn identity(size: usize) -> Self {
        let mut m = Matrix::zero(size, size);
        for i in 0..size {
            m.data[i * size + i] = 1;
        }
        m
    }

    pub fn row(&self, r: usize) -> &[u8] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    fn row_mut(&mut self, r: usize) -> &mut [u8] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }

    pub fn multiply(&self, rhs: &Matrix) -> Matrix {
        assert_eq!(self.cols, rhs.rows);
        let mut out = Matrix::zero(self.rows, rhs.cols);
        for r in 0..self.rows {
            for c in 0..rhs.cols {
                out.data[r * rhs.cols + c] =
                    (0..self.cols).fold(0, |acc, i| acc ^ mul(self.data[r * self.cols + i], rhs.data[i * rhs.cols + c]));
            }
        }
        out
    }

    /// The matrix made of the given rows, in the given order.
    pub fn select_rows(&self, rows: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(rows.len() * self.cols);
        for &r in rows {
            data.extend_from_slice(self.row(r));
        }
        Matrix { rows: rows.len(), cols: self.cols, data }
    }

    /// Gauss-Jordan inverse; `None` when singular (never for the submatrices of an MDS code).
    pub fn inverse(&self) -> Option<Matrix> {
        assert_eq!(self.rows, self.cols);
        let n = self.rows;
        let mut work = self.clone();
        let mut inv = Matrix::identity(n);
        for col in 0..n {
            let pivot = (col..n).find(|&r| work.data[r * n + col] != 0)?;
            if pivot != col {
                swap_rows(&mut work, pivot, col);
                swap_rows(&mut inv, pivot, col);
            }
            let scale = div(1, work.data[col * n + col]);
            scale_row(&mut work, col, scale);
            scale_row(&mut inv, col, scale);
            for r in 0..n {
                let factor = work.data[r * n + col];
                if r != col && factor != 0 {
                    add_scaled_row(&mut work, col, r, factor);
                    add_scaled_row(&mut inv, col, r, factor);
                }
            }
        }
        Some(inv)
    }
}

fn swap_rows(m: &mut Matrix, a: usize, b: usize) {
    for c in 0..m.cols {
        m.data.swap(a * m.cols + c, b * m.cols + c);
    }
}

fn scale_row(m: &mut Matrix, r: usize, factor: u8) {
    for v in m.row_mut(r) {
        *v = mul(*v, factor);
    }
}

/// row[dst] += factor * row[src]
fn add_scaled_row(m: &mut Matrix, src: usize, dst: usize, factor: u8) {
    for c in 0..m.cols {
        let v = mul(m.data[src * m.cols + c], factor);
        m.data[dst * m.cols + c] ^= v;
    }
}

/// zfec's `n x k` Vandermonde matrix: row 0 evaluates at 0 (`[1, 0, ..., 0]`), row `i >= 1`
/// at `alpha^(i-1)`, i.e. entry `(i, c) = alpha^((i-1) * c)`.
fn zfec_vandermonde(k: usize, n: usize) -> Matrix {
    let mut m = Matrix::zero(n, k);
    m.data[0] = 1;
    for row in 1..n {
        for col in 0..k {
            m.data[row * k + col] = exp(2, ((row - 1) * col) % 255);
        }
    }
    m
}

/// The `(n - k) x k` parity rows of zfec's systematic encoding matrix: the Vandermonde
/// matrix times the inverse of its top `k x k` block, whose top is then the identity.
pub(crate) fn zfec_parity_rows(k: usize, n: usize) -> Matrix {
    let vandermonde = zfec_vandermonde(k, n);
    let top = vandermonde.select_rows(&(0..k).collect::<Vec<_>>());
    let top_inverse = top.inverse().expect("a Vandermonde matrix on distinct points is invertible");
    let bottom = vandermonde.select_rows(&(k..n).collect::<Vec<_>>());
    bottom.multiply(&top_inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_times_matrix_is_identity() {
        let m = zfec_vandermonde(7, 7);
        let inv = m.inverse().unwrap();
        assert_eq!(m.multiply(&inv), Matrix::identity(7));
        assert_eq!(inv.multiply(&m), Matrix::identity(7));
    }

    #[test]
    fn singular_matrix_has_no_inverse() {
        let m = Matrix { rows: 2, cols: 2, data: vec![1, 2, 1, 2] };
        assert!(m.inverse().is_none());
    }

    #[test]
    fn parity_of_k1_is_repetition() {
        // With one data shard every parity shard is a copy (the zfec vectors show this too).
        assert_eq!(zfec_parity_rows(1, 4).data, vec![1, 1, 1]);
    }
}
