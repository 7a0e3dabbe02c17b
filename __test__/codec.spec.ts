import test from 'ava'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { Decoder, Encoder, decodeMessage, encodeMessage } from '../src/index.js'

interface VectorCase { name: string; k: number; n: number; shards_hex: string[]; message_utf8?: string }
const vectors: { cases: VectorCase[] } = JSON.parse(
  readFileSync(new URL('../../shared/vectors/zfec-shards.json', import.meta.url), 'utf8'),
)

/** A deterministic PRNG so a failing case can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13; state >>>= 0
    state ^= state >>> 17
    state ^= state << 5; state >>>= 0
    return state / 2 ** 32
  }
}

function sample(random: () => number, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[all[i], all[j]] = [all[j]!, all[i]!]
  }
  return all.slice(0, k)
}

test('every zfec vector is reproduced byte for byte', (t) => {
  t.true(vectors.cases.length >= 15)
  for (const c of vectors.cases) {
    const shards = c.shards_hex.map((h) => Buffer.from(h, 'hex'))
    const encoded = new Encoder(c.k, c.n).encode(shards.slice(0, c.k))
    t.is(encoded.length, c.n, c.name)
    encoded.forEach((s, i) => t.is(s.toString('hex'), c.shards_hex[i], `${c.name} shard ${i}`))
  }
})

test('every zfec vector decodes from random k-subsets', (t) => {
  const random = prng(7)
  for (const c of vectors.cases) {
    const shards = c.shards_hex.map((h) => Buffer.from(h, 'hex'))
    const decoder = new Decoder(c.k, c.n)
    for (let round = 0; round < 20; round++) {
      const indices = sample(random, c.n, c.k)
      const decoded = decoder.decode(indices.map((i) => shards[i]!), indices)
      t.deepEqual(decoded.map((d) => d.toString('hex')), c.shards_hex.slice(0, c.k), `${c.name} from ${indices}`)
    }
  }
})

test('the seed example round-trips through encodeMessage/decodeMessage', (t) => {
  const seed = vectors.cases.find((c) => c.message_utf8 !== undefined)!
  const message = Buffer.from(seed.message_utf8!)
  const fragments = encodeMessage(message, 4, 16)
  t.deepEqual(fragments.map((f) => f.toString('hex')), seed.shards_hex)
  const picked = [12, 5, 0, 15]
  t.is(decodeMessage(picked.map((i) => fragments[i]!), picked, 4, 16, message.length).toString(), 'Hello, World!')
})

test('thousands of random shapes, data and erasure patterns round-trip', (t) => {
  const random = prng(0xc0dec)
  for (let round = 0; round < 3000; round++) {
    const n = 1 + Math.floor(random() * 256)
    const k = 1 + Math.floor(random() * n)
    const length = Math.floor(random() * 64)
    const data = Array.from({ length: k }, () => randomBytes(length))
    const encoded = new Encoder(k, n).encode(data)
    const indices = sample(random, n, k)
    const decoded = new Decoder(k, n).decode(indices.map((i) => encoded[i]!), indices)
    if (!decoded.every((d, i) => d.equals(data[i]!))) t.fail(`k=${k} n=${n} len=${length} indices=${indices}`)
  }
  t.pass()
})

test('data shards come back as views of the input, parity as fresh buffers', (t) => {
  const data = [new Uint8Array([1, 2]), new Uint8Array([3, 4])]
  const encoded = new Encoder(2, 4).encode(data)
  t.true(encoded.every((s) => Buffer.isBuffer(s)))
  t.is(encoded[0]!.buffer, data[0]!.buffer)
  const again = new Encoder(2, 4).encode(data)
  again[2]![0] ^= 0xff
  t.not(encoded[2]![0], again[2]![0], 'parity of separate calls must not alias')
})

test('encodeInto writes the same parity as encode, from arrays or back-to-back blocks, at random shapes', (t) => {
  const random = prng(0x1a70)
  for (let round = 0; round < 500; round++) {
    const n = 1 + Math.floor(random() * 256)
    const k = 1 + Math.floor(random() * n)
    const m = n - k
    // Past 4096 bytes a shard is not staged: that path too.
    const length = random() < 0.1 ? 4097 : Math.floor(random() * 1500)
    const encoder = new Encoder(k, n)
    const block = randomBytes(k * length)
    const data = Array.from({ length: k }, (_, i) => block.subarray(i * length, (i + 1) * length))
    const expected = Buffer.concat(encoder.encode(data).slice(k))
    const eachParity = Array.from({ length: m }, () => Buffer.alloc(length, 0xaa))
    encoder.encodeInto(data, eachParity)
    const parityBlock = Buffer.alloc(m * length, 0x55)
    encoder.encodeInto(block, parityBlock)
    const parityFromArrays = Buffer.alloc(m * length, 0x33)
    encoder.encodeInto(data, parityFromArrays)
    if (!Buffer.concat(eachParity).equals(expected) || !parityBlock.equals(expected) || !parityFromArrays.equals(expected)) {
      t.fail(`k=${k} n=${n} len=${length}`)
    }
  }
  t.pass()
})

test('encodeInto refuses misshapen or overlapping buffers, naming them, and writes nothing', (t) => {
  const e = new Encoder(3, 5)
  const a = Buffer.alloc(4, 1)
  const block = Buffer.alloc(12, 1)
  const parity = Buffer.alloc(8, 0xee)
  const cases: Array<[() => unknown, RegExp]> = [
    [() => e.encodeInto(Buffer.alloc(13), parity), /data.*multiple of 3/],
    [() => e.encodeInto(block, Buffer.alloc(7)), /parity.*2 shards of 4 bytes/],
    [() => e.encodeInto(block, [Buffer.alloc(4), Buffer.alloc(5)]), /parity/],
    [() => e.encodeInto(block, [Buffer.alloc(4), 'x' as never]), /parity\[1\]/],
    [() => e.encodeInto(block, [parity.subarray(0, 4), parity.subarray(2, 6)]), /parity\[1\] overlaps/],
    [() => e.encodeInto(block, block.subarray(0, 8)), /parity\[0\] overlaps/],
    [() => e.encodeInto([a, a, Buffer.alloc(5)], parity), /shards\[2\]/],
    [() => e.encodeInto('abc' as never, parity), /data/],
    [() => e.encodeInto(block, 'abc' as never), /parity/],
  ]
  for (const [call, pattern] of cases) {
    const error = t.throws(call, { instanceOf: TypeError })
    t.regex(error!.message, pattern)
  }
  t.true(parity.every((b) => b === 0xee), 'a refused call writes nothing')
})

test('shards agree with a live zfec peer (python3-zfec) at random shapes', (t) => {
  const random = prng(99)
  const shapes = Array.from({ length: 40 }, () => {
    const n = 1 + Math.floor(random() * 256)
    return { k: 1 + Math.floor(random() * n), n, length: 1 + Math.floor(random() * 40) }
  })
  const inputs = shapes.map(({ k, n, length }) => ({ k, n, data: Array.from({ length: k }, () => randomBytes(length).toString('hex')) }))
  const script = `
import json, sys, zfec
out = []
for case in json.load(sys.stdin):
    blocks = [bytes.fromhex(h) for h in case["data"]]
    out.append([b.hex() for b in zfec.Encoder(case["k"], case["n"]).encode(blocks)])
json.dump(out, sys.stdout)`
  const zfec: string[][] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(inputs) }).toString())
  inputs.forEach(({ k, n, data }, i) => {
    const ours = new Encoder(k, n).encode(data.map((h) => Buffer.from(h, 'hex'))).map((s) => s.toString('hex'))
    t.deepEqual(ours, zfec[i], `k=${k} n=${n}`)
  })
})

test('bad arguments throw TypeError or RangeError naming the argument', (t) => {
  const e = new Encoder(3, 5)
  const d = new Decoder(3, 5)
  const a = Buffer.alloc(4)
  const cases: Array<[() => unknown, typeof TypeError | typeof RangeError, RegExp]> = [
    [() => new Encoder(0, 4), RangeError, /\bk\b/],
    [() => new Encoder(3, 257), RangeError, /\bn\b/],
    [() => new Encoder(5, 4), RangeError, /k.*n/],
    [() => new Encoder(2.5, 4), RangeError, /\bk\b/],
    [() => new Decoder('3' as never, 4), TypeError, /\bk\b/],
    [() => e.encode([a, a]), TypeError, /shards/],
    [() => e.encode([a, a, Buffer.alloc(5)]), TypeError, /shards\[2\]/],
    [() => e.encode([a, 'x' as never, a]), TypeError, /shards\[1\]/],
    [() => e.encode('abc' as never), TypeError, /shards/],
    [() => d.decode([a, a], [0, 1]), TypeError, /shards/],
    [() => d.decode([a, a, a], [0, 1]), TypeError, /indices/],
    [() => d.decode([a, a, a], [0, 1, 1]), RangeError, /indices\[2\]/],
    [() => d.decode([a, a, a], [0, 1, 5]), RangeError, /indices\[2\]/],
    [() => d.decode([a, a, a], [0, 1, -1]), RangeError, /indices\[2\]/],
    [() => d.decode([a, a, a], [0, 1, 'x' as never]), TypeError, /indices\[2\]/],
    [() => encodeMessage(Buffer.alloc(70000), 4, 8), RangeError, /65535/],
    [() => decodeMessage([a, a, a], [0, 1, 2], 3, 5, 13), RangeError, /origLen|orig_len/],
  ]
  for (const [call, kind, pattern] of cases) {
    const error = t.throws(call, { instanceOf: kind })
    t.regex(error!.message, pattern)
  }
})
