// The transports compared. Each has an optional sender side (plain UDP in, protocol out to the
// proxy) and receiver side (protocol in from the proxy, plain UDP out to the collector); the
// runner starts, waits for and stops them the same way for all.
import { fileURLToPath } from 'node:url'
import { succeeds } from './processes.mjs'

const NODE = process.execPath
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))
const SRT = 'srt-live-transmit'

/**
 * SRT socket options for both sides: the same latency for receiving and for the peer (`latency`
 * sets both), 1316-byte payloads (7 TS packets, SRT's live-mode default, stated for clarity).
 * Everything else stays at SRT's defaults: in particular the bandwidth cap (SRTO_MAXBW, a live-mode
 * default of about 1 Gbit/s, so retransmissions are never throttled here; the 25% SRTO_OHEADBW
 * only applies when maxbw=0), too-late packet drop and NAK reports on.
 */
const srtQuery = (mode, latencyMs) => `mode=${mode}&latency=${latencyMs}&payloadsize=1316`

/**
 * srt-live-transmit flags: quiet, statistics and bandwidth reports off, read at most 1316 bytes
 * per step (one UDP datagram of 7 TS packets becomes one SRT packet).
 */
const SRT_FLAGS = ['-q', '-s:0', '-r:0', '-c:1316']

const psockUrl = (port, latencyMs) => `psock://127.0.0.1:${port}?latency=${latencyMs}`

/**
 * name -> contender. `twoWay`: the protocol cannot work without replies (a handshake), so a run
 * with nothing coming back through the proxy is an error. `receiver(ctx)` / `sender(ctx)` return [command, args] or undefined when the
 * contender has no such side; ctx = { inPort, proxyPort, listenPort, outPort, latencyMs,
 * statsFile(side) }. `unavailable()` resolves to a reason to skip it, or undefined.
 */
export const CONTENDERS = {
  plain: {
    label: 'plain UDP',
    twoWay: false,
    unavailable: async () => undefined,
    receiver: () => undefined,
    sender: () => undefined,
  },
  srt: {
    label: 'SRT (srt-live-transmit)',
    twoWay: true,
    unavailable: async () => ((await succeeds(SRT, ['-version'])) ? undefined : `${SRT} not found (Debian: apt-get install srt-tools)`),
    receiver: ({ listenPort, outPort, latencyMs }) => [
      SRT,
      [...SRT_FLAGS, `srt://127.0.0.1:${listenPort}?${srtQuery('listener', latencyMs)}`, `udp://127.0.0.1:${outPort}`],
    ],
    sender: ({ inPort, proxyPort, latencyMs }) => [
      SRT,
      [...SRT_FLAGS, `udp://127.0.0.1:${inPort}`, `srt://127.0.0.1:${proxyPort}?${srtQuery('caller', latencyMs)}`],
    ],
  },
  psock: {
    label: 'perfect-socket relay',
    // FEC alone needs no reply path; NACKs and receiver reports use it when the relay has them.
    twoWay: false,
    unavailable: async () =>
      (await succeeds(NODE, [CLI, 'relay', '--help'])) ? undefined : 'no relay command in dist/cli yet (npm run build:ts once it lands)',
    receiver: ({ listenPort, outPort, latencyMs, statsFile }) => [
      NODE,
      [CLI, 'relay', '--quiet', '--from', psockUrl(listenPort, latencyMs), '--to', `udp://127.0.0.1:${outPort}`, '--stats-json', statsFile('receiver')],
    ],
    sender: ({ inPort, proxyPort, latencyMs, statsFile }) => [
      NODE,
      [CLI, 'relay', '--quiet', '--from', `udp://127.0.0.1:${inPort}`, '--to', psockUrl(proxyPort, latencyMs), '--stats-json', statsFile('sender')],
    ],
  },
}

/** Path of the CLI, for the proxy. */
export const CLI_PATH = CLI

