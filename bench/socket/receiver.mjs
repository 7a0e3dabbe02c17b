// The receiving side of bench/socket, in its own process so it has its own JS thread: binds
// a plain node:dgram or a PerfectSocket, counts messages and bytes, reports over IPC. For
// node:dgram the options are its own: `recvBufferSize`, or none for the kernel's default.
import { createSocket as createDgram } from 'node:dgram'
import { createSocket } from '../../dist/index.js'

const [kind, optionsJson] = process.argv.slice(2)
const options = JSON.parse(optionsJson)
const socket = kind === 'dgram' ? createDgram({ type: 'udp4', ...options }) : createSocket({ type: 'udp4', ...options })
let messages = 0
let bytes = 0
let first = 0
let last = 0
socket.on('message', (msg) => {
  last = performance.now()
  if (messages === 0) first = last
  messages++
  bytes += msg.length
})
socket.bind(0, '127.0.0.1', () => process.send({ port: socket.address().port }))
process.on('message', (command) => {
  if (command !== 'report') return
  const cpu = process.cpuUsage()
  process.send({
    messages,
    bytes,
    seconds: (last - first) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stats: kind === 'dgram' ? undefined : socket.stats(),
  })
  socket.close()
  setTimeout(() => process.exit(0), 50)
})
