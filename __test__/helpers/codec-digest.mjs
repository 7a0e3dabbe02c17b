// Prints {kernel, digest}: a hash over encodings and decodings at shard lengths that exercise
// every kernel's full blocks, ragged ends and short-shard path. Run natively and under an
// emulated older CPU, the digests must agree (the kernels differ, the field arithmetic not).
// Usage: node codec-digest.mjs [path/to/perfect-socket/dist/index.js]
import { createHash } from 'node:crypto'
import { pathToFileURL } from 'node:url'

const entry = process.argv[2] ? pathToFileURL(process.argv[2]).href : new URL('../../dist/index.js', import.meta.url).href
const { Encoder, Decoder, codecKernel } = await import(entry)

let state = 12345
const byte = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 16) & 0xff
const hash = createHash('sha256')
for (const [k, n] of [[1, 2], [4, 16], [20, 25], [100, 125]]) {
  for (const length of [1, 15, 16, 33, 64, 100, 1200, 4099]) {
    const data = Array.from({ length: k }, () => Buffer.from(Array.from({ length }, byte)))
    const shards = new Encoder(k, n).encode(data)
    for (const shard of shards.slice(k)) hash.update(shard)
    // Decode from the last k shards: as many parity shards as there are.
    const indices = Array.from({ length: k }, (_, i) => n - k + i)
    const decoded = new Decoder(k, n).decode(indices.map((i) => shards[i]), indices)
    if (!decoded.every((d, i) => d.equals(data[i]))) throw new Error(`decode mismatch at k=${k} n=${n} length=${length}`)
  }
}
console.log(JSON.stringify({ kernel: codecKernel(), digest: hash.digest('hex') }))
