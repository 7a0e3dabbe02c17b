/**
 * `npm run sim`: runs the P2P fan-out simulator at 10,000 and 100,000 peers with 10% churn per
 * minute, prints the table, and writes docs/p2p-sim.svg and docs/p2p-sim.json. Flags:
 * --peers 10000,100000  --minutes 3  --churn 0.1  --seed 1  --backfill  --out DIR  --quiet
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SIM } from './config.js';
import { chart, table } from './report.js';
import { simulate, type SimResult } from './simulate.js';

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '10000,100000' },
    minutes: { type: 'string', default: String(DEFAULT_SIM.minutes) },
    churn: { type: 'string', default: String(DEFAULT_SIM.churnPerMinute) },
    seed: { type: 'string', default: String(DEFAULT_SIM.seed) },
    backfill: { type: 'boolean', default: false },
    out: { type: 'string', default: new URL('../../../docs/', import.meta.url).pathname },
    quiet: { type: 'boolean', default: false },
  },
});

function number(text: string, name: string, min: number, max: number): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || v > max) {
    process.stderr.write(`--${name} ${JSON.stringify(text)} is not valid; accepted: a number ${min}..${max}\n`);
    process.exit(2);
  }
  return v;
}

const peerCounts = values.peers.split(',').map((p) => Math.round(number(p.trim(), 'peers', 1, 1_000_000)));
const results: SimResult[] = [];
for (const peers of peerCounts) {
  const config = {
    ...DEFAULT_SIM,
    peers,
    minutes: number(values.minutes, 'minutes', 0.1, 60),
    churnPerMinute: number(values.churn, 'churn', 0, 5),
    seed: Math.round(number(values.seed, 'seed', 0, 2 ** 32 - 1)),
    backfill: values.backfill,
  };
  process.stderr.write(`simulating ${peers.toLocaleString('en-US')} peers, ${config.minutes} min of ${config.churnPerMinute * 100}%/min churn...\n`);
  const result = simulate(config, values.quiet ? undefined : (line) => process.stderr.write(`  ${line}\n`));
  results.push(result);
}
process.stdout.write(`${table(results)}\n`);
for (const r of results) {
  const k = r.counters;
  process.stdout.write(
    `${r.config.peers.toLocaleString('en-US')} peers: ${k.joins} joins, ${k.graceful} leaves, ${k.crashes} crashes; ` +
      `${k.repairs} stripe repairs (${k.backupSwitches} by backup, ${k.coordinatorAnswers} by the coordinator, ${k.orphanedStripes} waited for a rebalance); ` +
      `${k.moves} moves; mean slots ${r.slots.peerMean.toFixed(2)} (root ${r.slots.root}, one stripe copy = ${r.slots.stripeCopyRate.toFixed(3)}x the stream)\n`,
  );
}
mkdirSync(values.out, { recursive: true });
writeFileSync(new URL('p2p-sim.svg', `file://${values.out.endsWith('/') ? values.out : `${values.out}/`}`), chart(results));
writeFileSync(
  new URL('p2p-sim.json', `file://${values.out.endsWith('/') ? values.out : `${values.out}/`}`),
  `${JSON.stringify({ command: `npm run sim -- ${process.argv.slice(2).join(' ')}`.trim(), runs: results }, null, 1)}\n`,
);
process.stderr.write(`wrote ${values.out}p2p-sim.svg and p2p-sim.json\n`);
