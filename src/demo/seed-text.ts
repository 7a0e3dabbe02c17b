/**
 * Seed 000's text chain on loopback: generated lines, each Reed-Solomon encoded (k=4, n=16)
 * into seed-format datagrams, sent through the lossy proxy, decoded at the receiver from any
 * 4 of 16 fragments, and checked byte for byte.
 *
 *   node dist/demo/seed-text.js [--lines N] [--loss P]
 */
import { createSocket, type Socket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { decodeMessage, encodeMessage } from '../index.js'
import { LossyProxy } from '../proxy/proxy.js'

const K = 4
const N = 16
/** Seed 000's header: `>IBBBH` = batch_id, idx, k, n, orig_len. */
const HEADER = 9

function packet(batch: number, index: number, fragment: Buffer, origLen: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER + fragment.length)
  out.writeUInt32BE(batch, 0)
  out.writeUInt8(index, 4)
  out.writeUInt8(K, 5)
  out.writeUInt8(N, 6)
  out.writeUInt16BE(origLen, 7)
  fragment.copy(out, HEADER)
  return out
}

async function bound(): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return socket
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { lines: { type: 'string', default: '2000' }, loss: { type: 'string', default: '30' } } })
  const lines = Number(values.lines)
  const loss = Number(values.loss)
  if (!Number.isInteger(lines) || lines < 1 || !(loss >= 0 && loss <= 100)) {
    console.error('seed-text: --lines takes a positive integer, --loss a percentage 0-100')
    process.exit(2)
  }
  const messages = Array.from({ length: lines }, (_, i) => Buffer.from(`line ${i}: ${randomBytes(8 + (i % 40)).toString('base64')}`))

  const receiver = await bound()
  const proxy = new LossyProxy({
    listen: { host: '127.0.0.1', port: 0 },
    target: { host: '127.0.0.1', port: receiver.address().port },
    forward: { loss: loss / 100 },
  })
  const proxied = await proxy.listen()
  const sender = await bound()

  const pending = new Map<number, { fragments: Buffer[]; indices: number[] }>()
  const delivered = new Map<number, Buffer>()
  let recovered = 0
  receiver.on('message', (datagram) => {
    if (datagram.length < HEADER) return
    const batch = datagram.readUInt32BE(0)
    if (delivered.has(batch)) return
    const entry = pending.get(batch) ?? { fragments: [], indices: [] }
    pending.set(batch, entry)
    entry.fragments.push(datagram.subarray(HEADER))
    entry.indices.push(datagram.readUInt8(4))
    if (entry.fragments.length < K) return
    delivered.set(batch, decodeMessage(entry.fragments, entry.indices, K, N, datagram.readUInt16BE(7)))
    if (entry.indices.some((index) => index >= K)) recovered++
    pending.delete(batch)
  })

  for (let batch = 0; batch < lines; batch++) {
    const message = messages[batch]!
    encodeMessage(message, K, N).forEach((fragment, index) => {
      sender.send(packet(batch, index, fragment, message.length), proxied.port, proxied.address)
    })
    // Pace to about 16,000 datagrams a second, so the demo measures the proxy's loss, not
    // the socket buffers' (the proxy is single-threaded JavaScript).
    if (batch % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await new Promise((resolve) => setTimeout(resolve, 300))

  const intact = messages.filter((m, i) => delivered.get(i)?.equals(m)).length
  const stats = proxy.stats()
  console.log(`seed chain: sender -> proxy (${loss}% loss) -> receiver, k=${K} n=${N}, ${lines} lines`)
  console.log(`fragments sent ${lines * N}, reached the proxy ${stats.forward.received}, dropped by its loss model ${stats.forward.droppedLoss}`)
  console.log(`lines delivered intact ${intact}/${lines}; rebuilt from parity ${recovered}; lost ${lines - delivered.size}`)
  sender.close()
  receiver.close()
  await proxy.close()
  process.exitCode = intact === lines ? 0 : 1
}

await main()
