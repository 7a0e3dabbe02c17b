import { writeFileSync } from 'node:fs';
import type { LinkSettings, LinkStats } from '../../proxy/link.js';
import { burstFeasible, minBurstLength } from '../../proxy/loss-model.js';
import { LossyProxy, type ProxyStats } from '../../proxy/proxy.js';
import {
  formatEndpoint,
  parseDuration,
  parseEndpoint,
  parseFlags,
  parseInteger,
  parseNumber,
  parsePercent,
  parseRate,
  UsageError,
  type FlagSpec,
} from '../args.js';
import { signalled } from '../signals.js';

/** One line for the command overview. */
export const summary = 'lossy UDP proxy: loss, bursts, delay, jitter, reorder, duplicates, rate cap';

/** Text for `perfect-socket proxy --help`. */
export const usage = `usage: perfect-socket proxy --listen HOST:PORT --to HOST:PORT [impairments] [options]

Relays UDP datagrams from clients at --listen to --to, and the target's replies back to the
client that caused them, impairing each direction on the way.

impairments, client->target (add -back for target->client, e.g. --loss-back 2%):
  --loss P         drop probability in percent, 0-100: 5% or 5 (bare number = percent)
  --burst B        mean loss-burst length in packets (>= 1): Gilbert-Elliott model with
                   long-run loss --loss; without it losses are independent
  --delay D        one-way delay: 250us, 20ms, 1s (bare number = ms)
  --jitter D       delay varies uniformly within +-D; packet order is kept
  --reorder P      percent of packets held back until the next packet has passed them
  --duplicate P    percent of packets delivered twice
  --rate R         bottleneck rate of UDP payload: 500kbit, 20mbit, 10Mbps (bits/s), 2MB/s (bytes/s)
  --queue D        bottleneck queue limit as time at --rate (default 100ms); excess tail-dropped
options:
  --symmetric      apply the client->target impairments to both directions (no -back flags then)
  --seed N         PRNG seed 0-4294967295; same seed and traffic, same decisions (default random)
  --idle D         forget a client after D without traffic (default 60s)
  --max-clients N  at most N clients at once, least recently active evicted (default 1024)
  --stats-json F   on exit, write the counters as JSON to file F
  -h, --help       show this help

Prints "listening on HOST:PORT" to stderr once bound. On SIGINT or SIGTERM prints the counters
to stderr and exits 0.
`;

const IMPAIRMENTS = ['loss', 'burst', 'delay', 'jitter', 'reorder', 'duplicate', 'rate', 'queue'] as const;
type Impairment = (typeof IMPAIRMENTS)[number];

const value: FlagSpec = { type: 'string' };
const specs: Record<string, FlagSpec> = { listen: value, to: value };
for (const name of IMPAIRMENTS) {
  specs[name] = value;
  specs[`${name}-back`] = value;
}
Object.assign(specs, {
  symmetric: { type: 'boolean' },
  seed: value,
  idle: value,
  'max-clients': value,
  'stats-json': value,
  help: { type: 'boolean', short: 'h' },
} satisfies Record<string, FlagSpec>);

type Values = Record<string, string | boolean | undefined>;

function text(values: Values, flag: string): string | undefined {
  const v = values[flag];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A mean loss-burst length flag, checked against the long-run loss it must produce (a
 * Gilbert-Elliott chain cannot make short bursts at high loss); `lossGiven` names the loss flag
 * as typed, for the message.
 */
export function parseBurst(text: string, flag: string, loss: number, lossGiven: string): number {
  const burst = parseNumber(text, flag, { min: 1, max: 1e6 });
  if (!burstFeasible(loss, burst)) {
    const min = minBurstLength(loss);
    throw new UsageError(`${flag} ${JSON.stringify(text)} is too short for ${lossGiven}; accepted: at least ${min.toFixed(2)}`);
  }
  return burst;
}

function readImpairments(values: Values, suffix: '' | '-back'): LinkSettings {
  const get = (name: Impairment): string | undefined => text(values, name + suffix);
  const flag = (name: Impairment): string => `--${name}${suffix}`;
  const settings: LinkSettings = {};
  const loss = get('loss');
  if (loss !== undefined) settings.loss = parsePercent(loss, flag('loss'));
  const burst = get('burst');
  if (burst !== undefined) settings.burst = parseBurst(burst, flag('burst'), settings.loss ?? 0, `${flag('loss')} ${loss}`);
  const delay = get('delay');
  if (delay !== undefined) settings.delayMs = parseDuration(delay, flag('delay'), { max: 60_000 });
  const jitter = get('jitter');
  if (jitter !== undefined) settings.jitterMs = parseDuration(jitter, flag('jitter'), { max: 60_000 });
  const reorder = get('reorder');
  if (reorder !== undefined) settings.reorder = parsePercent(reorder, flag('reorder'));
  const duplicate = get('duplicate');
  if (duplicate !== undefined) settings.duplicate = parsePercent(duplicate, flag('duplicate'));
  const rate = get('rate');
  if (rate !== undefined) settings.rateBps = parseRate(rate, flag('rate'));
  const queue = get('queue');
  if (queue !== undefined) settings.queueMs = parseDuration(queue, flag('queue'), { max: 60_000 });
  return settings;
}

function describe(s: LinkSettings): string {
  const parts: string[] = [];
  const pct = (p: number): string => `${+(p * 100).toFixed(4)}%`;
  if (s.loss) parts.push(`loss ${pct(s.loss)}${s.burst ? ` in bursts of ${s.burst}` : ''}`);
  if (s.delayMs) parts.push(`delay ${s.delayMs}ms`);
  if (s.jitterMs) parts.push(`jitter ${s.jitterMs}ms`);
  if (s.reorder) parts.push(`reorder ${pct(s.reorder)}`);
  if (s.duplicate) parts.push(`duplicate ${pct(s.duplicate)}`);
  if (s.rateBps) parts.push(`rate ${s.rateBps / 1e6}mbit queue ${s.queueMs ?? 100}ms`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function counters(s: LinkStats): string {
  return (
    `rx=${s.received} tx=${s.forwarded} loss=${s.droppedLoss} queue=${s.droppedQueue} ` +
    `dup=${s.duplicated} reorder=${s.reordered} bytes=${s.receivedBytes}/${s.forwardedBytes} errors=${s.sendErrors}`
  );
}

/** The one-line counter summary printed on exit. */
export function formatStats(stats: ProxyStats): string {
  return (
    `stats forward ${counters(stats.forward)}; back ${counters(stats.back)}; ` +
    `clients-opened=${stats.clientsOpened} expired=${stats.clientsExpired} evicted=${stats.clientsEvicted} ` +
    `foreign=${stats.foreign} socket-errors=${stats.socketErrors}`
  );
}

/** Runs the proxy until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, specs);
  // Check the values given before complaining about flags missing, so the first mistake named
  // is the one the user typed.
  const forward = readImpairments(values, '');
  let back: LinkSettings;
  if (values.symmetric === true) {
    const stray = IMPAIRMENTS.find((n) => values[`${n}-back`] !== undefined);
    if (stray) throw new UsageError(`--${stray}-back conflicts with --symmetric; accepted: one or the other`);
    back = { ...forward };
  } else {
    back = readImpairments(values, '-back');
  }
  const listenText = text(values, 'listen');
  const toText = text(values, 'to');
  const listen = listenText === undefined ? undefined : parseEndpoint(listenText, '--listen', { allowPortZero: true });
  const target = toText === undefined ? undefined : parseEndpoint(toText, '--to');
  const seedText = text(values, 'seed');
  const idleText = text(values, 'idle');
  const maxText = text(values, 'max-clients');
  const statsFile = text(values, 'stats-json');
  const seed = seedText === undefined ? undefined : parseInteger(seedText, '--seed', { max: 0xffffffff });
  const idleTimeoutMs = idleText === undefined ? undefined : parseDuration(idleText, '--idle', { min: 1 });
  const maxClients = maxText === undefined ? undefined : parseInteger(maxText, '--max-clients', { min: 1, max: 65536 });
  if (listen === undefined) throw new UsageError('missing --listen HOST:PORT; accepted: e.g. --listen 127.0.0.1:5000');
  if (target === undefined) throw new UsageError('missing --to HOST:PORT; accepted: e.g. --to 127.0.0.1:6000');

  const proxy = new LossyProxy({
    listen,
    target,
    forward,
    back,
    seed,
    idleTimeoutMs,
    maxClients,
  });
  // Listen for signals before announcing, so a test that signals right after the line is safe.
  const stopped = signalled();
  const bound = await proxy.listen();
  process.stderr.write(`listening on ${formatEndpoint(bound.address, bound.port)}\n`);
  process.stderr.write(
    `forwarding to ${formatEndpoint(target.host, target.port)}; seed ${proxy.seed}; ` +
      `forward: ${describe(forward)}; back: ${describe(back)}\n`,
  );
  await stopped;
  await proxy.close();
  const stats = proxy.stats();
  process.stderr.write(`${formatStats(stats)}\n`);
  if (statsFile !== undefined) {
    writeFileSync(statsFile, `${JSON.stringify({ seed: proxy.seed, ...stats }, null, 2)}\n`);
  }
  return 0;
}
