// The receiving side of bench/socket, in its own process so it has its own JS thread: binds
// a plain node:dgram or a PerfectSocket, counts messages and bytes, reports over IPC. For
// node:dgram the options are its own: `recvBufferSize`, or none for the kernel's default.
import { createSocket as createDgram } from 'node:dgram'
import { createSocket } from '../../dist/index.js'

const [kind, optionsJson, progress] = process.argv.slice(2)
const options = JSON.parse(optionsJson)
const socket = kind === 'dgram' ? createDgram({ type: 'udp4', ...options }) : createSocket({ type: 'udp4', ...options })
let messages = 0
let bytes = 0
// The clock is read every SAMPLE-th message, and goodput taken over the bytes between the first
// reading and the last: a read per message cost about 0.13 us, which would be a fifth of a
// PerfectSocket receiver's JavaScript per message and would not measure the socket.
const SAMPLE = 256
let first = 0
let last = 0
let bytesAtLast = 0
socket.on('message', (msg) => {
  if (messages % SAMPLE === 0) {
    last = performance.now()
    if (messages === 0) first = last
    bytesAtLast = bytes
  }
  messages++
  bytes += msg.length
})
socket.bind(0, '127.0.0.1', () => process.send({ port: socket.address().port }))
// For the sender of --window: how far delivery has got.
if (progress) setInterval(() => process.send({ delivered: messages }), 2).unref()
process.once('message', (command) => {
  if (command !== 'report') return
  const cpu = process.cpuUsage()
  process.send({
    messages,
    bytes,
    /** Delivered between the first clock reading and the last, over `seconds`. */
    measuredBytes: bytesAtLast,
    seconds: (last - first) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stats: kind === 'dgram' ? undefined : socket.stats(),
  })
  socket.close()
  setTimeout(() => process.exit(0), 50)
})
