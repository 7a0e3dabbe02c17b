// Codec benchmark: perfect-socket (sync, from JS) vs @ronomon/reed-solomon (async, from JS)
// vs zfec (python3-zfec), measured in one run at the same shapes, printing ratios.
//
//   node bench/codec/run.mjs [--seconds S]     (after `npm run build`)
//
// Throughput counts data bytes (k x shard bytes) per second. "decode" rebuilds m lost data
// shards (min(m, k)) from the remaining data and parity shards. Our encode is measured both
// ways it can be called: `encode(shards)`, k separate Buffers in and fresh parity Buffers out,
// and `encodeInto(block, parity)`, called as @ronomon's `encode` is: the k shards back to back
// in one buffer, the parity written into one the caller owns (the like-for-like row). The
// other codecs' one encode figure stands beside both.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { Decoder, Encoder } from '../../dist/index.js'

const require = createRequire(import.meta.url)
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1' } } })
const SECONDS = Number(values.seconds)
if (!(SECONDS > 0)) {
  console.error('bench/codec: --seconds must be a positive number')
  process.exit(2)
}
// Many short rounds, best kept: on a shared machine the best round is the least disturbed one.
const ROUNDS = 20
const SHAPES = [[4, 12, 1200], [20, 5, 1200], [100, 25, 1200], [10, 4, 65536]]

/**
 * Best-of-ROUNDS seconds per op. Each round runs batches of calls between clock reads (a clock
 * read per call would cost as much as a small encode), sized to about a millisecond each.
 */
async function perOp(run) {
  let batch = 1
  for (;;) {
    const start = performance.now()
    await run(batch)
    if (performance.now() - start > 1) break
    batch *= 2
  }
  let best = Infinity
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0
    const start = performance.now()
    let elapsed = 0
    do {
      await run(batch)
      count += batch
      elapsed = (performance.now() - start) / 1000
    } while (elapsed < SECONDS / ROUNDS)
    best = Math.min(best, elapsed / count)
  }
  return best
}

/** Seconds per op of a synchronous function. */
const perOpSync = (fn) =>
  perOp((batch) => {
    for (let i = 0; i < batch; i++) fn()
  })

/** Seconds per op of a callback-style async function, one call in flight at a time. */
const perOpAsync = (fn) =>
  perOp(async (batch) => {
    for (let i = 0; i < batch; i++) await new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())))
  })

async function ours(k, m, size) {
  const data = Array.from({ length: k }, () => randomBytes(size))
  const encoder = new Encoder(k, k + m)
  const shards = encoder.encode(data)
  const lost = Math.min(m, k)
  const indices = Array.from({ length: k }, (_, i) => i + lost)
  const present = indices.map((i) => shards[i])
  const decoder = new Decoder(k, k + m)
  if (!decoder.decode(present, indices).every((s, i) => s.equals(data[i]))) throw new Error('perfect-socket decode mismatch')
  // @ronomon's layout: the data shards back to back in one buffer, parity into another.
  const block = Buffer.concat(data)
  const parity = Buffer.alloc(m * size)
  encoder.encodeInto(block, parity)
  if (!parity.equals(Buffer.concat(shards.slice(k)))) throw new Error('perfect-socket encodeInto mismatch')
  return {
    encode: await perOpSync(() => encoder.encode(data)),
    encodeInto: await perOpSync(() => encoder.encodeInto(block, parity)),
    decode: await perOpSync(() => decoder.decode(present, indices)),
  }
}

async function ronomon(k, m, size) {
  const RS = require('@ronomon/reed-solomon')
  if (k > RS.MAX_K || m > RS.MAX_M) return { unsupported: `k <= ${RS.MAX_K} and m <= ${RS.MAX_M} only` }
  const context = RS.create(k, m)
  const buffer = randomBytes(k * size)
  const parity = Buffer.alloc(m * size)
  const all = (from, to) => { let bits = 0; for (let i = from; i < to; i++) bits |= 1 << i; return bits }
  const run = (sources, targets) => (done) => RS.encode(context, sources, targets, buffer, 0, buffer.length, parity, 0, parity.length, done)
  const encode = await perOpAsync(run(all(0, k), all(k, k + m)))
  const lost = Math.min(m, k)
  const decode = await perOpAsync(run(all(lost, k + m), all(0, lost)))
  return { encode, decode }
}

function zfec(k, m, size) {
  const script = new URL('zfec_peer.py', import.meta.url).pathname
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', [script, k, m, size, SECONDS].map(String)).toString())
  } catch (error) {
    return { unsupported: `python3-zfec failed: ${String(error.message).split('\n')[0]}` }
  }
}

const gbps = (k, size, secondsPerOp) => (k * size) / secondsPerOp / 1e9
const cell = (value) => (value === undefined ? 'n/a' : value.toFixed(2))

console.log(`perfect-socket codec benchmark (${SECONDS}s per measurement, best of ${ROUNDS} rounds; GB/s of data)`)
const rows = []
for (const [k, m, size] of SHAPES) {
  const results = { 'perfect-socket': await ours(k, m, size), '@ronomon/reed-solomon': await ronomon(k, m, size), zfec: zfec(k, m, size) }
  for (const op of ['encode', 'encodeInto', 'decode']) {
    // The other codecs have one encode; it stands beside both of ours.
    const theirs = op === 'encodeInto' ? 'encode' : op
    const speed = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r[theirs] && gbps(k, size, r[theirs])]))
    const mine = gbps(k, size, results['perfect-socket'][op])
    rows.push({
      shape: `k=${k} m=${m} ${size}B`,
      op,
      'perfect-socket': cell(mine),
      '@ronomon (async)': results['@ronomon/reed-solomon'].unsupported ?? cell(speed['@ronomon/reed-solomon']),
      'x vs @ronomon': speed['@ronomon/reed-solomon'] ? `${(mine / speed['@ronomon/reed-solomon']).toFixed(1)}x` : '-',
      zfec: results.zfec.unsupported ?? cell(speed.zfec),
      'x vs zfec': speed.zfec ? `${(mine / speed.zfec).toFixed(1)}x` : '-',
      'us/op': (results['perfect-socket'][op] * 1e6).toFixed(2),
    })
  }
}
console.table(rows)
