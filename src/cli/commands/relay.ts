import { planRelay, RELAY_SHAPES, type RelayPlan } from '../../relay/plan.js';
import type { Relay } from '../../relay/relay.js';
import { writeJsonFile } from '../../relay/stats-file.js';
import { formatStatsLine, outcome, StatusLine } from '../../relay/stats-line.js';
import type { ProtectionOptions } from '../../socket/options.js';
import { readSetting } from '../../url.js';
import { formatEndpoint, parseFlags, parseNumber, parsePercent, UsageError, type FlagValues } from '../args.js';
import { signalled } from '../signals.js';

/** One line for the command overview. */
export const summary = 'relay plain UDP into a protected stream (udp->psock) or back out of one (psock->udp)';

/** Text for `perfect-socket relay --help`. */
export const usage = `usage: perfect-socket relay --from URL --to URL [settings] [--stats-json FILE] [--quiet]

Carries datagrams one for one between plain UDP and a protected endpoint; exactly one side is
psock://. Between ffmpeg and ffplay:

  ffmpeg -re -i in.mp4 -f mpegts udp://127.0.0.1:12345
  perfect-socket relay --from udp://127.0.0.1:12345 --to psock://RECEIVER:5405     # sender side
  perfect-socket relay --from psock://0.0.0.0:5405 --to udp://127.0.0.1:23456      # receiver side
  ffplay -fflags nobuffer -flags low_delay -i udp://127.0.0.1:23456

  --from URL       where to listen: udp://HOST:PORT or psock://HOST:PORT?settings (port 0: any)
  --to URL         where to forward: psock://HOST:PORT?settings or udp://HOST:PORT
settings (override the psock URL's query; give the same on both sides):
  --latency MS     receiver latency budget: 120, 120ms, 0.5s (default 120ms)
  --redundancy R   repair symbols per source: 0.25 or 25% (default 0.25)
  --k K            source symbols per block, 1-255 (default 16)
  --n N            symbols per block, sources and repairs (instead of --redundancy)
  --code CODE      repair code the sender side uses: rs (Reed-Solomon, default), xor or lt
  --rate RATE      pacing cap of what is sent: 500kbit, 20mbit, 10Mbps (default unpaced)
  --nack on|off    NACK-driven retransmission within the latency budget (default on)
  --passphrase P   authenticate and encrypt (10-79 characters; the same on both sides)
  --encrypt MODE   none, control (media authenticated in the clear) or all (default with a passphrase)
options:
  --stats-json F   write the counters as JSON to file F every second and on exit
  --quiet          no live status line
  -h, --help       show this help

Prints "listening on HOST:PORT" to stderr once bound, then a status line every second (rate,
complete, dropped, FEC recovered, retransmitted, late, lost, loss seen, redundancy, RTT;
rewritten in place on a terminal). The receiver side delivers in order within the latency
budget (add ordered=0 to its URL to forward as soon as each arrives). On SIGINT or SIGTERM it
closes, prints the final counters (a status line, then JSON) to stderr and exits 0.
`;

const specs = {
  from: { type: 'string' },
  to: { type: 'string' },
  latency: { type: 'string' },
  redundancy: { type: 'string' },
  k: { type: 'string' },
  n: { type: 'string' },
  code: { type: 'string' },
  rate: { type: 'string' },
  nack: { type: 'string' },
  passphrase: { type: 'string' },
  encrypt: { type: 'string' },
  'stats-json': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = FlagValues<typeof specs>;

/** The settings flags, in the order they are checked. */
const SETTINGS = ['latency', 'redundancy', 'k', 'n', 'code', 'rate', 'nack', 'passphrase', 'encrypt'] as const;

/**
 * The settings flags, each read as the psock URL reads its query key of the same name, except
 * `--redundancy`, whose percent form stops at 100%.
 */
function readSettings(values: Values): ProtectionOptions {
  const settings: ProtectionOptions = {};
  if (values.redundancy !== undefined && values.n !== undefined) {
    throw new UsageError('--redundancy and --n both fix the block shape; accepted: --redundancy R or --k K --n N');
  }
  for (const key of SETTINGS) {
    const text = values[key];
    if (text === undefined) continue;
    const flag = `--${key}`;
    if (key === 'redundancy') {
      settings.redundancy = text.endsWith('%') ? parsePercent(text, flag) : parseNumber(text, flag, { max: 255 });
    } else {
      Object.assign(settings, readSetting(key, text, flag));
    }
  }
  return settings;
}

/** Runs the relay until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, specs);
  const settings = readSettings(values);
  if (values.from === undefined || values.to === undefined) {
    throw new UsageError(`missing --${values.from === undefined ? 'from' : 'to'}; accepted: ${RELAY_SHAPES}`);
  }
  let plan: RelayPlan;
  try {
    plan = planRelay(values.from, values.to, settings);
  } catch (err) {
    // Bad URLs are UsageErrors already; the socket's checks throw TypeError or RangeError.
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  if (plan.protection.tcpFallback === true) {
    // The data path runs on the engine's I/O thread, which speaks UDP only; say so rather than
    // let a relay run without the fallback its URL asked for.
    throw new UsageError('tcp=1 is not available in a relay (it carries datagrams natively over UDP); accepted: tcp=0 or no tcp key');
  }
  const statsFile = values['stats-json'];
  const quiet = values.quiet === true;

  // Loaded here, not at the top, so help and usage errors work without the native addon.
  const { startRelay } = await import('../../relay/relay.js');
  // Listen for signals before announcing, so a signal right after the line is handled.
  const stopped = signalled();
  const relay: Relay = await startRelay({ from: plan.from, to: plan.to, settings });
  const { address, port } = relay.address;
  process.stderr.write(`listening on ${formatEndpoint(address, port)}\n`);
  process.stderr.write(`relaying ${values.from} -> ${values.to}; settings ${JSON.stringify(relay.settings)}\n`);

  const status = new StatusLine();
  let fileFailed = false;
  const report = (): void => {
    const stats = relay.stats();
    if (!quiet) status.show(formatStatsLine(stats));
    if (statsFile === undefined || fileFailed) return;
    try {
      writeJsonFile(statsFile, stats);
    } catch (err) {
      // Said once; the relay itself keeps going.
      fileFailed = true;
      status.end();
      process.stderr.write(`perfect-socket relay: cannot write --stats-json: ${(err as Error).message}\n`);
    }
  };
  report();
  const ticker = setInterval(report, 1000);

  await stopped;
  clearInterval(ticker);
  await relay.close();
  const stats = relay.stats();
  status.end();
  const { complete, dropped, recovered } = outcome(stats);
  process.stderr.write(`${formatStatsLine(stats)}\n`);
  process.stderr.write(`${complete} complete, ${dropped} dropped, ${recovered} FEC recovered\n`);
  process.stderr.write(`${JSON.stringify(stats)}\n`);
  if (statsFile !== undefined && !fileFailed) writeJsonFile(statsFile, stats);
  return 0;
}
