import { readFileSync } from 'node:fs';
import {
  checkTs,
  Collector,
  ffmpegAvailable,
  generateTs,
  matchDelivery,
  replay,
  splitDatagrams,
  syntheticTs,
  type DeliveryReport,
} from '../../media/index.js';
import type { LinkSettings } from '../../proxy/link.js';
import { randomSeed } from '../../proxy/prng.js';
import { LossyProxy, type ProxyStats } from '../../proxy/proxy.js';
import type { RelayStats } from '../../relay/relay.js';
import { writeJsonFile } from '../../relay/stats-file.js';
import { formatShape, formatStatsLine, StatusLine } from '../../relay/stats-line.js';
import { parseDuration, parseFlags, parseInteger, parsePercent } from '../args.js';
import { parseBurst } from './proxy.js';

/** One line for the command overview. */
export const summary = 'the whole video chain on loopback: test stream -> relay -> lossy proxy -> relay, with a report';

/** Text for `perfect-socket demo --help`. */
export const usage = `usage: perfect-socket demo [--loss P] [--burst B] [--delay D] [--duration D] [--latency D] [--json FILE]

Runs the chain of seed 000 in one process, on loopback:

  test video -> relay udp->psock -> lossy proxy -> relay psock->udp -> collector

The video is an ffmpeg test pattern (x264 + AAC, constant mux rate) when ffmpeg is installed,
a synthetic transport stream otherwise; it is replayed as 1316-byte datagrams at its mux rate.
The same stream also goes through an identical proxy as plain UDP, for contrast. Ends with a
summary: TS packets delivered, latency, FEC recoveries, retransmissions, losses, overhead,
redundancy and RTT at the end, and (with ffmpeg) decode errors in what arrived.

  --loss P        loss per direction, percent: 5% or 5 (default 5%)
  --burst B       mean loss-burst length in packets (>= 1; default: independent losses)
  --delay D       one-way delay per direction: 20ms, 0.1s (default 20ms)
  --duration D    length of the test video: 10s, 1m (default 10s)
  --latency D     receiver latency budget: 120ms (default 120ms)
  --seed N        proxy PRNG seed (default random)
  --json FILE     write the results as JSON to FILE
  -h, --help      show this help
`;

const specs = {
  loss: { type: 'string' },
  burst: { type: 'string' },
  delay: { type: 'string' },
  duration: { type: 'string' },
  latency: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HOST = '127.0.0.1';
/** Mux rate of the synthetic stream (the ffmpeg one has its own). */
const SYNTHETIC_BITRATE = 5_000_000;

interface DemoSettings {
  link: LinkSettings;
  durationS: number;
  latencyMs: number;
  seed: number | undefined;
  json: string | undefined;
}

function readSettings(argv: string[]): DemoSettings {
  const { values } = parseFlags(argv, specs);
  const loss = values.loss === undefined ? 0.05 : parsePercent(values.loss, '--loss');
  const link: LinkSettings = { loss };
  if (values.burst !== undefined) link.burst = parseBurst(values.burst, '--burst', loss, `--loss ${loss * 100}%`);
  link.delayMs = values.delay === undefined ? 20 : parseDuration(values.delay, '--delay', { max: 10_000 });
  const durationMs = values.duration === undefined ? 10_000 : parseDuration(values.duration, '--duration', { min: 1000, max: 600_000 });
  const latencyMs = values.latency === undefined ? 120 : parseDuration(values.latency, '--latency', { min: 1, max: 60_000 });
  const seed = values.seed === undefined ? undefined : parseInteger(values.seed, '--seed', { max: 0xffffffff });
  return { link, durationS: durationMs / 1000, latencyMs, seed, json: values.json };
}

/** The test stream, and how it was made. */
interface Stream {
  ts: Buffer;
  bitrate: number;
  /** Made by ffmpeg (decodable), or synthetic (delivery only). */
  decodable: boolean;
  description: string;
}

async function makeStream(durationS: number): Promise<Stream> {
  if (await ffmpegAvailable()) {
    const made = await generateTs({ durationS });
    return {
      ts: readFileSync(made.path),
      bitrate: made.bitrate,
      decodable: true,
      description: `ffmpeg testsrc2 720p25, x264 + AAC at ${made.bitrate / 1e6} Mbit/s`,
    };
  }
  const packets = Math.round((durationS * SYNTHETIC_BITRATE) / 8 / 188);
  return {
    ts: syntheticTs({ packets }),
    bitrate: SYNTHETIC_BITRATE,
    decodable: false,
    description: `synthetic TS at ${SYNTHETIC_BITRATE / 1e6} Mbit/s (ffmpeg not found: no decode check)`,
  };
}

/** One trip of the stream through a proxy. */
interface Trip {
  report: DeliveryReport;
  proxy: ProxyStats;
  /** ffmpeg's decode errors in what arrived (undefined without ffmpeg). */
  decodeErrors: number | undefined;
}

interface ProtectedTrip extends Trip {
  sender: RelayStats;
  receiver: RelayStats;
}

/** Everything closed at the end, in order, whatever happened. */
type Closer = () => Promise<void> | void;

/**
 * Replays the stream through a lossy proxy into a collector, either straight (plain UDP) or
 * between two relays, and measures what arrived. `closers` collects what to close; `status`
 * shows the receiving relay's counters every second.
 */
async function trip(stream: Stream, settings: DemoSettings, protectedPath: boolean, closers: Closer[], status?: StatusLine): Promise<Trip | ProtectedTrip> {
  // Loaded here, not at the top: `perfect-socket --help` loads every command for its summary,
  // and should not need the native addon.
  const { startRelay } = await import('../../relay/relay.js');
  const datagrams = splitDatagrams(stream.ts);
  const collector = await Collector.open();
  closers.push(() => collector.close());
  const relaySettings = { latency: settings.latencyMs };
  const receiver = protectedPath
    ? await startRelay({ from: `psock://${HOST}:0`, to: `udp://${HOST}:${collector.port}`, settings: relaySettings })
    : undefined;
  if (receiver) closers.push(() => receiver.close());
  const proxy = new LossyProxy({
    listen: { host: HOST, port: 0 },
    target: { host: HOST, port: receiver?.address.port ?? collector.port },
    forward: settings.link,
    back: settings.link,
    seed: settings.seed,
  });
  closers.push(() => proxy.close());
  const proxied = await proxy.listen();
  const sender = protectedPath
    ? await startRelay({ from: `udp://${HOST}:0`, to: `psock://${HOST}:${proxied.port}`, settings: relaySettings })
    : undefined;
  if (sender) closers.push(() => sender.close());

  const show = (): void => {
    if (receiver && sender) status?.show(`${formatStatsLine(receiver.stats())} | sender ${formatShape(sender.stats().psock)}`);
  };
  const ticker = status ? setInterval(show, 1000) : undefined;
  try {
    const sent = await replay(datagrams, { target: { host: HOST, port: sender?.address.port ?? proxied.port }, bitrate: stream.bitrate });
    // The last datagrams may wait out the latency budget and a retransmission or two.
    await collector.waitFor(datagrams.length, settings.latencyMs + 2 * (settings.link.delayMs ?? 0) + 1000);
    const report = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, collector.arrivals);
    const decodeErrors = stream.decodable ? (await checkTs(collector.concat())).length : undefined;
    const result: Trip = { report, proxy: proxy.stats(), decodeErrors };
    return sender && receiver ? { ...result, sender: sender.stats(), receiver: receiver.stats() } : result;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

const count = (n: number): string => n.toLocaleString('en-US');
const percent = (f: number): string => `${(f * 100).toFixed(f === 1 ? 0 : 3)}%`;

function delivered(r: DeliveryReport): string {
  return `${count(r.tsPacketsDelivered)} / ${count(r.tsPacketsSent)} (${percent(r.deliveredFraction)})`;
}

function describeLink(l: LinkSettings): string {
  const burst = l.burst ? ` in bursts of ${l.burst}` : '';
  return `loss ${+((l.loss ?? 0) * 100).toFixed(3)}%${burst}, delay ${l.delayMs ?? 0} ms, both ways`;
}

function formatSummary(stream: Stream, settings: DemoSettings, seed: number, p: ProtectedTrip, plain: Trip): string {
  const tx = p.sender.psock;
  const rx = p.receiver.psock;
  const payload = p.report.bytesSent;
  const proxied = p.proxy.forward.receivedBytes + p.proxy.back.receivedBytes;
  const latency = p.report.latencyMs;
  const rows: Array<[string, string]> = [
    ['TS packets delivered', delivered(p.report)],
    ['latency', latency ? `p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms` : '-'],
    ['recovered by FEC', count(rx.recovered)],
    ['retransmitted', `${count(tx.retransmitted)} (NACKs ${count(rx.nacksSent)})`],
    ['late / lost', `${count(rx.late)} / ${count(rx.lost)}`],
    ['overhead', `${(proxied / payload).toFixed(2)}x payload (proxy bytes both ways / payload bytes)`],
    ['at the end', `redundancy ${tx.redundancy.toFixed(2)}, k ${tx.blockSources}, RTT ${tx.rttMs.toFixed(1)} ms`],
  ];
  if (p.decodeErrors !== undefined) rows.push(['ffmpeg decode errors', count(p.decodeErrors)]);
  const plainRows: Array<[string, string]> = [['TS packets delivered', delivered(plain.report)]];
  if (plain.decodeErrors !== undefined) plainRows.push(['ffmpeg decode errors', count(plain.decodeErrors)]);
  const table = (r: Array<[string, string]>): string[] => r.map(([k, v]) => `  ${k.padEnd(22)}${v}`);
  return [
    `perfect-socket demo: ${settings.durationS} s of ${stream.description}`,
    `proxy: ${describeLink(settings.link)}, seed ${seed}`,
    '',
    `protected (relay -> proxy -> relay, latency ${settings.latencyMs} ms):`,
    ...table(rows),
    'plain UDP through the same proxy:',
    ...table(plainRows),
    '',
  ].join('\n');
}

/** Runs the demo; prints the summary to stdout. */
export async function run(argv: string[]): Promise<number> {
  const settings = readSettings(argv);
  // One seed for both proxies, so both runs meet the same loss pattern.
  const seed = settings.seed ?? randomSeed();
  const seeded = { ...settings, seed };
  const stream = await makeStream(settings.durationS);
  process.stderr.write(`streaming ${settings.durationS} s of test video through both chains...\n`);
  const status = new StatusLine();
  const closers: Closer[] = [];
  // Both at once: the demo takes the video's length, not twice it. Settled, not raced, so a
  // failure in one never closes sockets under the other.
  const settled = await Promise.allSettled([trip(stream, seeded, true, closers, status), trip(stream, seeded, false, closers)]);
  status.end();
  for (const close of closers.reverse()) await close();
  const [protectedTrip, plain] = settled.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  }) as [ProtectedTrip, Trip];
  process.stdout.write(formatSummary(stream, settings, seed, protectedTrip, plain));
  if (settings.json !== undefined) {
    const omitMissing = ({ report: { missing, ...report }, ...rest }: Trip): object => ({ ...rest, report: { ...report, missingCount: missing.length } });
    writeJsonFile(settings.json, {
      settings: { ...settings.link, durationS: settings.durationS, latencyMs: settings.latencyMs, seed },
      stream: { description: stream.description, bitrate: stream.bitrate, bytes: stream.ts.length },
      protected: omitMissing(protectedTrip),
      plain: omitMissing(plain),
    });
  }
  return 0;
}
