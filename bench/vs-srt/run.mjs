// Live MPEG-TS through a lossy link: plain UDP, SRT (srt-live-transmit) and perfect-socket's relay
// (psock) side by side, the same stream, the same proxy seed. See README.md here.
//
//   npm run build:ts && node bench/vs-srt/run.mjs [--only srt,psock] [--scenario loss5-rtt40]
//       [--duration 20] [--bitrate 5mbit] [--latency 120] [--seed 1] [--json FILE] [--markdown]
//       [--no-decode]
//
// Per run: a collector (this process) <- receiver side <- lossy proxy <- sender side <- replayer
// (this process), so latency is measured on one clock. Exits 0 whether or not targets are met.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseDuration, parseInteger, parseNumber, parseRate, UsageError } from '../../dist/cli/args.js'
import { checkTs, Collector, ffmpegAvailable, generateTs, matchDelivery, muxRateFromPcr, replay, splitDatagrams, syntheticTs, TS_PACKET_SIZE } from '../../dist/media/index.js'
import { CLI_PATH, CONTENDERS } from './contenders.mjs'
import { describeExit, freeUdpPort, lastLines, raisePriority, startProcess, waitForOutput, waitForUdpPort } from './processes.mjs'
import { formatMarkdown, formatText, notes, scenarioTable, summaryTable } from './report.mjs'
import { proxyImpairments, SCENARIOS } from './scenarios.mjs'

raisePriority()

const HOST = '127.0.0.1'
/** After the sender side starts and before the replay: SRT's handshake, psock's first exchange. */
const WARMUP_MS = 1000
/** Added to latency + RTT before stopping: the last datagrams' repair and release. */
const DRAIN_MARGIN_MS = 500

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line) => process.stderr.write(`${line}\n`)

const FLAGS = {
  only: { type: 'string' },
  scenario: { type: 'string', multiple: true },
  duration: { type: 'string' },
  bitrate: { type: 'string' },
  latency: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'string' },
  markdown: { type: 'boolean' },
  'no-decode': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}
const ACCEPTED =
  `--only ${Object.keys(CONTENDERS).join(',')} (any of them, comma-separated), ` +
  `--scenario NAME (repeatable or comma list: ${SCENARIOS.map((s) => s.name).join(', ')}), ` +
  '--duration SECONDS (1-3600, default 20), --bitrate RATE (e.g. 5mbit, default), --latency MS (default 120), ' +
  '--seed N (proxy seed, default 1), --json FILE, --markdown, --no-decode, --help'

/** Flags -> settings; a mistake exits 2 with one line saying what is accepted. */
function settings(argv) {
  let values
  try {
    ;({ values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }))
  } catch (err) {
    throw new UsageError(`${err.message.split('\n')[0]}; accepted: ${ACCEPTED}`)
  }
  if (values.help) {
    process.stdout.write(`usage: node bench/vs-srt/run.mjs [flags]\naccepted: ${ACCEPTED}\n`)
    process.exit(0)
  }
  const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean)
  const only = values.only === undefined ? Object.keys(CONTENDERS) : list(values.only)
  const unknownContender = only.find((c) => !Object.hasOwn(CONTENDERS, c))
  if (unknownContender !== undefined || only.length === 0) {
    throw new UsageError(`--only ${JSON.stringify(values.only)} names an unknown contender; accepted: ${ACCEPTED}`)
  }
  const names = values.scenario === undefined ? SCENARIOS.map((s) => s.name) : values.scenario.flatMap(list)
  const unknownScenario = names.find((n) => !SCENARIOS.some((s) => s.name === n))
  if (unknownScenario !== undefined) throw new UsageError(`--scenario ${JSON.stringify(unknownScenario)} is unknown; accepted: ${ACCEPTED}`)
  return {
    // Keep the canonical orders, so tables read the same whatever the flags' order.
    contenders: Object.keys(CONTENDERS).filter((c) => only.includes(c)),
    scenarios: SCENARIOS.filter((s) => names.includes(s.name)),
    durationS: values.duration === undefined ? 20 : parseNumber(values.duration, '--duration', { min: 1, max: 3600 }),
    bitrate: values.bitrate === undefined ? 5_000_000 : parseRate(values.bitrate, '--bitrate'),
    latencyMs: values.latency === undefined ? 120 : parseDuration(values.latency, '--latency', { min: 1, max: 10_000 }),
    seed: values.seed === undefined ? 1 : parseInteger(values.seed, '--seed', { max: 0xffffffff }),
    json: values.json,
    markdown: values.markdown === true,
    decode: values['no-decode'] !== true,
  }
}

/** The stream every run replays: ffmpeg's test pattern, or synthetic packets without ffmpeg. */
async function input(opts) {
  if (await ffmpegAvailable()) {
    const made = await generateTs({ durationS: opts.durationS, bitrate: opts.bitrate })
    const ts = readFileSync(made.path)
    const measured = muxRateFromPcr(ts)
    return {
      source: `${made.path}${made.cached ? ' (cached)' : ''}`,
      datagrams: splitDatagrams(ts),
      // The PCRs say what rate the muxer really kept; -muxrate asked for `bitrate`.
      bitrate: measured ?? made.bitrate,
      decodable: true,
    }
  }
  log('ffmpeg not found: replaying synthetic TS packets (no decode check)')
  const packets = Math.ceil((opts.bitrate * opts.durationS) / 8 / TS_PACKET_SIZE)
  return { source: 'synthetic', datagrams: splitDatagrams(syntheticTs({ packets })), bitrate: opts.bitrate, decodable: false }
}

/**
 * One contender through one scenario. Start order is receiving end first, so nothing the
 * sender emits is lost to a socket not yet bound: collector, receiver side, proxy, sender side.
 */
async function runOne(scenario, name, stream, opts, dir) {
  const contender = CONTENDERS[name]
  const errors = []
  const procs = []
  const statsFile = (side) => join(dir, `${scenario.name}-${name}-${side}.json`)
  const collector = await Collector.open({ host: HOST })
  try {
    const [inPort, listenPort] = await Promise.all([freeUdpPort(), freeUdpPort()])
    const ctx = { inPort, listenPort, outPort: collector.port, latencyMs: opts.latencyMs, statsFile, proxyPort: 0 }
    const start = async (side, [command, args], port) => {
      const proc = startProcess(`${name} ${side}`, command, args)
      procs.push(proc)
      await waitForUdpPort(proc, port)
      return proc
    }
    const receiverCmd = contender.receiver(ctx)
    if (receiverCmd) await start('receiver', receiverCmd, listenPort)
    const proxy = startProcess('proxy', process.execPath, [
      CLI_PATH, 'proxy', '--listen', `${HOST}:0`, '--to', `${HOST}:${receiverCmd ? listenPort : collector.port}`,
      ...proxyImpairments(scenario), '--seed', String(opts.seed), '--stats-json', statsFile('proxy'),
    ])
    procs.push(proxy)
    ctx.proxyPort = Number((await waitForOutput(proxy, /listening on \S+:(\d+)\n/))[1])
    const senderCmd = contender.sender(ctx)
    if (senderCmd) await start('sender', senderCmd, inPort)
    await sleep(WARMUP_MS)

    const sent = await replay(stream.datagrams, { target: { host: HOST, port: senderCmd ? inPort : ctx.proxyPort }, bitrate: stream.bitrate })
    await sleep((receiverCmd ? opts.latencyMs : 0) + scenario.rttMs + DRAIN_MARGIN_MS)

    for (const p of procs) if (p.ended) errors.push(`${p.name} exited during the run (${describeExit(p.ended)}): ${lastLines(p.output)}`)
    // Sender side first (nothing more to send), then the receiver, then the proxy, whose
    // counters then cover every byte either side put on the link.
    const stopped = {}
    for (const p of [...procs].reverse().filter((p) => p !== proxy).concat(proxy)) {
      const how = await p.stop()
      stopped[p.name] = describeExit(how)
      if (how.killed) errors.push(`${p.name} ignored SIGTERM and was killed`)
    }
    const proxyStats = JSON.parse(readFileSync(statsFile('proxy'), 'utf8'))
    const delivery = matchDelivery({ datagrams: stream.datagrams, sendTimes: sent.sendTimes }, collector.arrivals)
    if (contender.twoWay && proxyStats.back.received === 0) {
      errors.push('nothing came back through the proxy: the connection did not form through it')
    }
    const decodeLines = opts.decode && stream.decodable ? await checkTs(collector.concat()) : null
    const readSide = (side) => {
      try {
        return JSON.parse(readFileSync(statsFile(side), 'utf8'))
      } catch {
        return undefined
      }
    }
    return {
      scenario: scenario.name,
      contender: name,
      delivery: { ...delivery, missing: delivery.missing.length },
      // Where the losses fell (all at the start means a slow connection setup, not the link).
      missingIndices: delivery.missing,
      overhead: (proxyStats.forward.receivedBytes + proxyStats.back.receivedBytes) / sent.bytes,
      proxy: proxyStats,
      replay: { sent: sent.sent, bytes: sent.bytes, sendErrors: sent.sendErrors, maxLateMs: sent.maxLateMs },
      decodeErrors: decodeLines === null ? null : decodeLines.length,
      decodeSample: decodeLines?.slice(0, 3),
      sides: { sender: readSide('sender'), receiver: readSide('receiver') },
      stopped,
      errors,
    }
  } catch (err) {
    return { scenario: scenario.name, contender: name, errors: [...errors, err.message] }
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
    await collector.close()
  }
}

function headline(run) {
  if (run.skipped) return 'skipped'
  if (!run.delivery) return `failed: ${run.errors.join('; ')}`
  const l = run.delivery.latencyMs
  return (
    `delivered ${(run.delivery.deliveredFraction * 100).toFixed(6)}%, p50 ${l ? l.p50.toFixed(1) : '-'} ms, ` +
    `p99 ${l ? l.p99.toFixed(1) : '-'} ms, overhead ${run.overhead.toFixed(3)}x${run.errors.length ? ` (${run.errors.join('; ')})` : ''}`
  )
}

/** The round with the median p99 latency, carrying every round's p99 as `p99Rounds`. */
function medianRound(runs) {
  if (runs.length === 1) return runs[0]
  const p99 = (run) => run.delivery?.latencyMs?.p99 ?? Infinity
  const sorted = [...runs].sort((a, b) => p99(a) - p99(b))
  return { ...sorted[(sorted.length - 1) >> 1], p99Rounds: runs.map(p99) }
}

async function main() {
  const opts = settings(process.argv.slice(2))
  const unavailable = Object.fromEntries(await Promise.all(opts.contenders.map(async (c) => [c, await CONTENDERS[c].unavailable()])))
  const stream = await input(opts)
  const bytes = stream.datagrams.reduce((n, d) => n + d.length, 0)
  const about =
    `input: ${stream.source}; ${stream.datagrams.length} datagrams (${bytes / TS_PACKET_SIZE} TS packets) ` +
    `replayed at ${(stream.bitrate / 1e6).toFixed(3)} Mbit/s (${((bytes * 8) / stream.bitrate).toFixed(1)} s); ` +
    `latency ${opts.latencyMs} ms for SRT and psock; proxy seed ${opts.seed}`
  log(about)
  const dir = mkdtempSync(join(tmpdir(), 'vs-srt-'))
  const results = []
  try {
    for (const scenario of opts.scenarios) {
      // Rounds alternate the contenders (plain, srt, psock, plain, ...), so slow drifts in the
      // machine's load fall on all of them; each contender's median-p99 round is reported.
      const rounds = Object.fromEntries(opts.contenders.map((name) => [name, []]))
      for (let round = 1; round <= (scenario.rounds ?? 1); round++) {
        for (const name of opts.contenders) {
          let run
          if (unavailable[name]) run = { scenario: scenario.name, contender: name, skipped: unavailable[name] }
          else {
            log(`[${scenario.name}] ${name}: running (${scenario.describe})${scenario.rounds ? `, round ${round} of ${scenario.rounds}` : ''}`)
            run = await runOne(scenario, name, stream, opts, dir)
          }
          log(`[${scenario.name}] ${name}: ${headline(run)}`)
          rounds[name].push(run)
        }
      }
      results.push({ scenario, runs: opts.contenders.map((name) => medianRound(rounds[name])) })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  const out = [opts.markdown ? `_${about}_` : about, '']
  if (opts.markdown) out.push(formatMarkdown(summaryTable(results, opts.contenders)), '')
  for (const { scenario, runs } of results) {
    const table = scenarioTable(scenario, opts.contenders, runs)
    out.push(opts.markdown ? `**${scenario.name}**: ${scenario.describe}` : `== ${scenario.name}: ${scenario.describe}`, '')
    out.push(opts.markdown ? formatMarkdown(table) : formatText(table), '')
    const problems = notes(runs)
    if (problems.length) out.push(...problems.map((n) => `note: ${n}`), '')
  }
  process.stdout.write(`${out.join('\n')}\n`)
  if (opts.json) {
    const labelled = (s) => ({ ...s, targets: s.targets.map((t) => `${t.row} ${t.label}`) })
    const report = {
      settings: { ...opts, scenarios: opts.scenarios.map((s) => s.name) },
      input: { source: stream.source, datagrams: stream.datagrams.length, bytes, bitrate: stream.bitrate },
      results: results.map((r) => ({ scenario: labelled(r.scenario), runs: r.runs })),
    }
    writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`)
  }
}

try {
  await main()
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`bench/vs-srt: ${err.message}\n`)
    process.exit(2)
  }
  throw err
}
