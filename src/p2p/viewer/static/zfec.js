/**
 * A small zfec-compatible Reed-Solomon erasure codec in plain JavaScript, for the browser viewer
 * (and for Node tests, which compare it byte for byte with the native Encoder in src/codec).
 *
 * zfec's code: GF(2^8) with the primitive polynomial x^8+x^4+x^3+x^2+1 (0x11d); the n x k
 * Vandermonde matrix whose row 0 evaluates at 0 and row r >= 1 at alpha^(r-1); made systematic by
 * multiplying by the inverse of its top k x k square. Shard i < k is data shard i; shard i >= k is
 * row i of that matrix times the data. Any k distinct shards rebuild the data.
 *
 * Speed is not a goal (a browser decodes a few hundred 1.3 kB shards a second); plainness is:
 * no dependencies, one ES module that the viewer page loads as is.
 * @module
 */

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  // Doubled so mul can index EXP[log a + log b] without a modulo.
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255];
}

/** Product in GF(256). */
export function gfMul(a, b) {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** Multiplicative inverse in GF(256); a must be non-zero. */
export function gfInv(a) {
  if (a === 0) throw new RangeError('0 has no inverse');
  return EXP[255 - LOG[a]];
}

/** Inverts a k x k matrix (row-major Uint8Array) in place by Gauss-Jordan; throws if singular. */
function invert(m, k) {
  const inv = new Uint8Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let col = 0; col < k; col++) {
    let pivot = col;
    while (pivot < k && m[pivot * k + col] === 0) pivot++;
    if (pivot === k) throw new Error('singular matrix');
    if (pivot !== col) {
      for (let j = 0; j < k; j++) {
        let t = m[col * k + j]; m[col * k + j] = m[pivot * k + j]; m[pivot * k + j] = t;
        t = inv[col * k + j]; inv[col * k + j] = inv[pivot * k + j]; inv[pivot * k + j] = t;
      }
    }
    const s = gfInv(m[col * k + col]);
    for (let j = 0; j < k; j++) {
      m[col * k + j] = gfMul(m[col * k + j], s);
      inv[col * k + j] = gfMul(inv[col * k + j], s);
    }
    for (let r = 0; r < k; r++) {
      const f = m[r * k + col];
      if (r === col || f === 0) continue;
      for (let j = 0; j < k; j++) {
        m[r * k + j] ^= gfMul(f, m[col * k + j]);
        inv[r * k + j] ^= gfMul(f, inv[col * k + j]);
      }
    }
  }
  return inv;
}

const matrices = new Map();

/**
 * zfec's systematic encoding matrix for (k, n): n rows of k coefficients, row-major. Cached.
 * @param {number} k data shards, 1..n
 * @param {number} n all shards, k..256
 * @returns {Uint8Array}
 */
export function encodingMatrix(k, n) {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 1 && k <= n && n <= 256)) {
    throw new RangeError(`need integers 1 <= k <= n <= 256, got k=${k} n=${n}`);
  }
  const key = k * 1000 + n;
  let enc = matrices.get(key);
  if (enc) return enc;
  const vdm = new Uint8Array(n * k);
  vdm[0] = 1; // row 0: the point 0, so 0^0 = 1 and 0 elsewhere
  for (let r = 1; r < n; r++) {
    for (let c = 0; c < k; c++) vdm[r * k + c] = EXP[((r - 1) * c) % 255];
  }
  const topInv = invert(vdm.slice(0, k * k), k);
  enc = new Uint8Array(n * k);
  for (let i = 0; i < k; i++) enc[i * k + i] = 1;
  for (let r = k; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc ^= gfMul(vdm[r * k + j], topInv[j * k + c]);
      enc[r * k + c] = acc;
    }
  }
  matrices.set(key, enc);
  return enc;
}

/** out ^= coef * src, over the first out.length bytes (src may be shorter: zero-padded). */
function mulAdd(out, src, coef) {
  if (coef === 0) return;
  const lc = LOG[coef];
  const len = Math.min(out.length, src.length);
  for (let i = 0; i < len; i++) {
    const s = src[i];
    if (s !== 0) out[i] ^= EXP[LOG[s] + lc];
  }
}

/**
 * Computes repair shard `index` (k <= index < n) from the k data shards. Data shards shorter than
 * `size` count as zero-padded, so variable-length datagrams need no copying.
 * @param {number} k
 * @param {number} n
 * @param {Uint8Array[]} data exactly k shards
 * @param {number} index the repair shard to make
 * @param {number} size the shard length
 * @returns {Uint8Array}
 */
export function encodeRepair(k, n, data, index, size) {
  if (data.length !== k) throw new RangeError(`need ${k} data shards, got ${data.length}`);
  if (!(index >= k && index < n)) throw new RangeError(`repair index must be in ${k}..${n - 1}, got ${index}`);
  const enc = encodingMatrix(k, n);
  const out = new Uint8Array(size);
  for (let c = 0; c < k; c++) mulAdd(out, data[c], enc[index * k + c]);
  return out;
}

/**
 * Encodes k data shards into n (data shards as given, then the n-k repair shards), like
 * zfec's `Encoder(k, n).encode`.
 * @param {number} k
 * @param {number} n
 * @param {Uint8Array[]} data
 * @param {number} [size] shard length (default: the longest data shard)
 * @returns {Uint8Array[]}
 */
export function encode(k, n, data, size) {
  const len = size ?? Math.max(...data.map((d) => d.length));
  const out = data.slice();
  for (let i = k; i < n; i++) out.push(encodeRepair(k, n, data, i, len));
  return out;
}

/**
 * Rebuilds the k data shards from any k distinct shards, like zfec's `Decoder(k, n).decode`.
 * Shards present among the inputs come back as given; missing ones come back `size` long.
 * @param {number} k
 * @param {number} n
 * @param {Uint8Array[]} shards at least k shards (the first k distinct indices are used)
 * @param {number[]} indices `indices[i]` is the index of `shards[i]`
 * @param {number} size shard length (shorter inputs count as zero-padded)
 * @returns {Uint8Array[]} the k data shards, in order
 */
export function decode(k, n, shards, indices, size) {
  const enc = encodingMatrix(k, n);
  const have = new Map();
  for (let i = 0; i < shards.length && have.size < k; i++) {
    const idx = indices[i];
    if (!(Number.isInteger(idx) && idx >= 0 && idx < n)) throw new RangeError(`index out of range: ${idx}`);
    if (!have.has(idx)) have.set(idx, shards[i]);
  }
  if (have.size < k) throw new RangeError(`need ${k} distinct shards, got ${have.size}`);
  const out = new Array(k);
  let missing = false;
  for (let i = 0; i < k; i++) {
    if (have.has(i)) out[i] = have.get(i);
    else missing = true;
  }
  if (!missing) return out;
  // Rows of the encoding matrix for the shards we hold; inverting them maps held -> data.
  const rows = [...have.keys()];
  const m = new Uint8Array(k * k);
  rows.forEach((idx, r) => m.set(enc.subarray(idx * k, idx * k + k), r * k));
  const inv = invert(m, k);
  for (let i = 0; i < k; i++) {
    if (out[i] !== undefined) continue;
    const shard = new Uint8Array(size);
    rows.forEach((idx, j) => mulAdd(shard, have.get(idx), inv[i * k + j]));
    out[i] = shard;
  }
  return out;
}
