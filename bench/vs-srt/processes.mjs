// Child processes for the benchmark: start, wait until their UDP port is bound, stop by signal.
import { spawn } from 'node:child_process'
import { setPriority } from 'node:os'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Children still running, ended if the benchmark itself is interrupted or exits early. */
const live = new Set()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => {
    for (const child of live) child.kill('SIGTERM')
    process.exit(code)
  })
}

/** Keeps the tail of a process's output: enough to explain a failure, bounded in memory. */
const OUTPUT_TAIL = 8192

/** Whether this process could raise its priority, so its children start raised too. */
let raised = false

/**
 * Every process of a run (this one, which replays and collects; the proxy; each contender's
 * sides) runs at the same raised priority (nice -10) when the OS allows it (root): background
 * work on the shared machine interferes less, and no process of the run is favoured over
 * another. Children start under `nice`, so every thread they create inherits it.
 */
export function raisePriority() {
  try {
    setPriority(0, -10)
    raised = true
  } catch {
    // Not allowed: measure anyway, with the noise.
  }
}

/**
 * Starts `command args`, collecting the tail of stdout and stderr (the pipes must be drained or
 * a chatty child blocks). `exited` resolves with { code, signal } once it ends, or with
 * { error } when it could not be started at all.
 */
export function startProcess(name, command, args) {
  const [program, argv] = raised ? ['nice', ['-n', '-10', command, ...args]] : [command, args]
  const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }))
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  let ended
  exited.then((how) => {
    ended = how
    live.delete(child)
  })
  return {
    name,
    command: [command, ...args].join(' '),
    pid: child.pid,
    exited,
    /** The output's tail. */
    get output() {
      return output
    },
    /** How it ended, or undefined while it runs. */
    get ended() {
      return ended
    },
    /**
     * Sends SIGTERM (the tools write their stats files on it) and waits; SIGKILL after
     * `graceMs`. Resolves with how it ended, `killed: true` when it had to be killed.
     */
    async stop(graceMs = 3000) {
      if (ended) return ended
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const how = await exited
      clearTimeout(timer)
      return how.signal === 'SIGKILL' ? { ...how, killed: true } : how
    },
  }
}

/** A UDP port free right now on 127.0.0.1 (bound, read, released: racy, but fine on a test box). */
export async function freeUdpPort() {
  const s = createSocket('udp4')
  s.bind(0, '127.0.0.1')
  await once(s, 'listening')
  const { port } = s.address()
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** True when some socket has `port` bound for UDP, per /proc/net/udp (Linux). */
async function udpPortBound(port) {
  const table = await readFile('/proc/net/udp', 'utf8')
  // Each row's second field is the local address, ADDR:PORT in hex.
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  return table.split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix) ?? false)
}

/**
 * Waits until `proc` has bound UDP `port`, so what is sent next is not lost to a socket that does
 * not exist yet (srt-live-transmit -q prints nothing when ready). Where /proc/net/udp is missing,
 * waits `fallbackMs`. Throws when the process dies first or the port stays unbound.
 */
export async function waitForUdpPort(proc, port, timeoutMs = 5000, fallbackMs = 500) {
  const end = performance.now() + timeoutMs
  for (;;) {
    if (proc.ended) throw new Error(`${proc.name} exited (${describeExit(proc.ended)}) before binding port ${port}: ${lastLines(proc.output)}`)
    try {
      if (await udpPortBound(port)) return
    } catch {
      await sleep(fallbackMs)
      return
    }
    if (performance.now() > end) throw new Error(`${proc.name} did not bind UDP port ${port} within ${timeoutMs} ms: ${lastLines(proc.output)}`)
    await sleep(20)
  }
}

/** Waits for a line matching `pattern` in the process's output; returns the match. */
export async function waitForOutput(proc, pattern, timeoutMs = 5000) {
  const end = performance.now() + timeoutMs
  for (;;) {
    const m = pattern.exec(proc.output)
    if (m) return m
    if (proc.ended) throw new Error(`${proc.name} exited (${describeExit(proc.ended)}): ${lastLines(proc.output)}`)
    if (performance.now() > end) throw new Error(`${proc.name} printed no ${pattern} within ${timeoutMs} ms: ${lastLines(proc.output)}`)
    await sleep(20)
  }
}

/** "exit 2", "signal SIGKILL" or the spawn error. */
export function describeExit(how) {
  if (how.error) return how.error
  return how.signal ? `signal ${how.signal}` : `exit ${how.code}`
}

/** The last few lines of an output tail, on one line, for an error message. */
export function lastLines(output, n = 3) {
  const lines = output.trim().split('\n').filter(Boolean)
  return lines.length === 0 ? '(no output)' : lines.slice(-n).join(' / ')
}

/** Runs a command to completion, true when it exits 0 (used to probe for tools and subcommands). */
export async function succeeds(command, args) {
  const proc = startProcess(command, command, args)
  const how = await proc.exited
  return how.code === 0
}
