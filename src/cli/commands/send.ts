import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { lookupHost } from '../../socket/resolve.js';
import type { PerfectSocket } from '../../socket/socket.js';
import { parseEndpointUrl } from '../../url.js';
import { SECURITY_USAGE, securitySpecs, withSecurityFlags } from '../security-flags.js';
import { parseDuration, parseFlags, parseNumber, UsageError } from '../args.js';

/** One line for the command overview. */
export const summary = 'send stdin lines as protected messages, one message per line';

/** Text for `perfect-socket send --help`. */
export const usage = `usage: perfect-socket send --to psock://HOST:PORT[?settings] [--rate N] [--linger D]

Reads lines from stdin and sends each (without its line ending) as one message to --to,
protected with Reed-Solomon FEC. When stdin ends, waits --linger so the last block's repair
symbols go out (and, if the receiver has not answered yet, until UDP is known to reach it or
the lines have gone over TCP instead), prints the socket's counters as one JSON line to stderr
and exits 0.

  --to URL        psock://HOST:PORT?k=..&n=..&redundancy=..&latency=..&blocktime=..&compat=seed|v1&tcp=1|0
                  (HOST an IPv4 address, [IPv6] or name; settings as the receiver's; tcp=0:
                  no TCP fallback where UDP is blocked)
  --rate N        at most N lines per second (default: as fast as stdin delivers them)
  --linger D      wait after the last line before closing: 200ms, 1s (default blocktime + 50ms)
${SECURITY_USAGE}  -h, --help      show this help
`;

const specs = {
  to: { type: 'string' },
  rate: { type: 'string' },
  linger: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...securitySpecs,
} as const;

/** The engine's default block time, for the default linger. */
const DEFAULT_BLOCK_TIME_MS = 5;

/** Sends every line of stdin, `rate` lines per second at most. */
async function sendLines(socket: PerfectSocket, port: number, host: string, rate: number | undefined): Promise<number> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const start = performance.now();
  let sent = 0;
  for await (const line of lines) {
    socket.send(line, port, host);
    sent++;
    if (rate === undefined) continue;
    // Pace against the start time, not the previous line, so timer slack does not accumulate.
    const wait = start + (sent * 1000) / rate - performance.now();
    if (wait >= 1) await sleep(wait);
  }
  return sent;
}

/**
 * Waits while it is not known whether UDP reaches the receiver: closing then would lose the
 * lines a TCP fallback is about to carry. Bounded by the fallback's timeouts.
 */
async function fallbackSettled(socket: PerfectSocket): Promise<void> {
  while (socket.stats().fallbackPending > 0) await sleep(20);
}

/** Runs the sender until stdin ends. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, specs);
  if (values.to === undefined) throw new UsageError('missing --to psock://HOST:PORT; accepted: e.g. --to psock://127.0.0.1:5000?k=8');
  const to = parseEndpointUrl(values.to, '--to', { schemes: ['psock'] });
  const rate = values.rate === undefined ? undefined : parseNumber(values.rate, '--rate', { min: 0.001, max: 1e7 });
  const blockTime = to.options.blockTime ?? DEFAULT_BLOCK_TIME_MS;
  const linger = values.linger === undefined ? blockTime + 50 : parseDuration(values.linger, '--linger', { max: 60_000 });

  // Loaded here, not at the top, so help and the overview work without the native addon.
  const { createSocket } = await import('../../socket/socket.js');
  const { address, type } = await lookupHost(to.host);
  const socket = createSocket({ type, ...withSecurityFlags(to.options, values) });
  // A socket failure ends the run with its message (exit 1); nothing else is thrown at us.
  const failed = once(socket, 'error').then(([err]) => Promise.reject(err as Error));
  const sent = await Promise.race([sendLines(socket, to.port, address, rate), failed]);
  await Promise.race([sleep(linger), failed]);
  await Promise.race([fallbackSettled(socket), failed]);
  socket.close();
  process.stderr.write(`${JSON.stringify({ lines: sent, ...socket.stats() })}\n`);
  return 0;
}
