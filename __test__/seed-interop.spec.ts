import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { createSocket } from '../src/index.js'

// A seed-000 peer written in Python from the seed's text, with Debian's python3-zfec.
const PEER = fileURLToPath(new URL('../interop/seed_peer.py', import.meta.url))
const PYTHON = '/usr/bin/python3'
const LINES = Array.from({ length: 500 }, (_, i) => `line ${i}: ${'x'.repeat(i % 97)}`)

test('the Python seed peer sends and we receive every message (compat=seed, k=4, n=16)', async (t) => {
  const socket = createSocket({ type: 'udp4', compat: 'seed', k: 4, n: 16 })
  const got: string[] = []
  socket.on('message', (msg) => got.push(msg.toString()))
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  const peer = spawn(PYTHON, [PEER, 'send', '127.0.0.1', String(socket.address().port), '4', '16', '0.2'])
  peer.stdin.end(LINES.join('\n') + '\n')
  const [code] = await once(peer, 'exit')
  t.is(code, 0)
  for (let i = 0; i < 100 && got.length < LINES.length; i++) await sleep(20)
  socket.close()
  t.deepEqual(got, LINES)
  t.is(socket.stats().malformed, 0)
})

test('we send and the Python seed peer receives every message', async (t) => {
  const peer = spawn(PYTHON, [PEER, 'recv', '127.0.0.1', '0', String(LINES.length), '10'])
  let output = ''
  peer.stdout.on('data', (chunk) => (output += chunk))
  while (!output.includes('\n')) await sleep(10)
  const port = Number(output.split('\n')[0])
  const socket = createSocket({ type: 'udp4', compat: 'seed', k: 4, n: 16 })
  for (const [i, line] of LINES.entries()) {
    socket.send(line, port, '127.0.0.1')
    // A few messages a turn: the Python peer reads one datagram per call.
    if (i % 10 === 9) await sleep(2)
  }
  const [code] = await once(peer, 'exit')
  socket.close()
  t.is(code, 0)
  t.deepEqual(output.trimEnd().split('\n').slice(1), LINES)
})
