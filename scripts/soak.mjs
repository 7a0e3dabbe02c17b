#!/usr/bin/env node
// Soak test (not part of `npm test`): a live stream through the whole relay chain for a long
// time, watching that memory stays flat and that what the loss model lets through arrives.
//
//   plain UDP source -> relay (sender) -> proxy (--loss) -> relay (receiver) -> plain UDP sink
//
// The source sends 1316-byte datagrams (7 TS packets, what ffmpeg sends) at --rate, each
// numbered; the sink counts distinct numbers in a sliding window, so memory here stays flat
// too. Every 10 s it prints the relays' and the proxy's RSS; at the end a summary, and it exits
// 1 if the RSS of a relay grew by more than --max-growth after warm-up or less than --min-delivered
// of the datagrams arrived within the latency budget.
//
// usage: node scripts/soak.mjs [--duration 600] [--rate 50mbit] [--loss 5] [--latency 120]
//                              [--max-growth 50] [--min-delivered 99.9]      (after npm run build)
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const usage = 'usage: node scripts/soak.mjs [--duration SECONDS] [--rate 50mbit] [--loss PERCENT] [--latency MS] [--max-growth MB] [--min-delivered PERCENT]';
let values;
try {
  ({ values } = parseArgs({
    options: {
      duration: { type: 'string', default: '600' },
      rate: { type: 'string', default: '50mbit' },
      loss: { type: 'string', default: '5' },
      latency: { type: 'string', default: '120' },
      'max-growth': { type: 'string', default: '50' },
      'min-delivered': { type: 'string', default: '99.9' },
    },
  }));
} catch (err) {
  console.error(`soak: ${err.message}; ${usage}`);
  process.exit(2);
}
const number = (name, text) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`soak: --${name} must be a number, got ${text}; ${usage}`);
    process.exit(2);
  }
  return value;
};
const rateMatch = /^(\d+(?:\.\d+)?)(k|m)bit$/i.exec(values.rate);
if (!rateMatch) {
  console.error(`soak: --rate must look like 50mbit or 800kbit, got ${values.rate}; ${usage}`);
  process.exit(2);
}
const bitrate = Number(rateMatch[1]) * (rateMatch[2].toLowerCase() === 'm' ? 1e6 : 1e3);
const durationS = number('duration', values.duration);
const latencyMs = number('latency', values.latency);
const maxGrowthMb = number('max-growth', values['max-growth']);
const minDelivered = number('min-delivered', values['min-delivered']);
const loss = number('loss', values.loss);

const HOST = '127.0.0.1';
const SIZE = 1316;
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** Starts `perfect-socket ARGS`; resolves with the child and the port it listens on. */
async function start(args) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const m = /listening on [^\s:]+:(\d+)/.exec(err);
    if (m) return { child, port: Number(m[1]), stderr: () => err };
  }
  throw new Error(`perfect-socket ${args.join(' ')} did not start: ${err}`);
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// The sink: counts distinct datagram numbers, and those later than the budget allows.
const sink = createSocket('udp4');
sink.bind(0, HOST);
await once(sink, 'listening');
// The receiving relay releases in order, so a repaired gap lets out up to a latency budget's
// worth at once (750 KB at 50 Mbit/s): more than a default receive buffer holds.
sink.setRecvBufferSize(16 << 20);
const WINDOW = 1 << 20;
const seen = new Uint8Array(WINDOW);
let highest = -1;
let delivered = 0;
let duplicates = 0;
let late = 0;
sink.on('message', (msg) => {
  const n = msg.readUInt32BE(0);
  const sentAt = msg.readDoubleBE(4);
  if (n > highest) {
    for (let i = highest + 1; i <= n; i++) seen[i % WINDOW] = 0;
    highest = n;
  } else if (highest - n >= WINDOW || seen[n % WINDOW]) {
    duplicates++;
    return;
  }
  seen[n % WINDOW] = 1;
  delivered++;
  if (performance.now() - sentAt > latencyMs + 100) late++;
});

const receiver = await start(['relay', '--from', `psock://${HOST}:0`, '--to', `udp://${HOST}:${sink.address().port}`, '--latency', String(latencyMs), '--quiet']);
const proxy = await start(['proxy', '--listen', `${HOST}:0`, '--to', `${HOST}:${receiver.port}`, '--loss', String(loss), '--loss-back', String(loss), '--delay', '10ms', '--delay-back', '10ms']);
const sender = await start(['relay', '--from', `udp://${HOST}:0`, '--to', `psock://${HOST}:${proxy.port}`, '--latency', String(latencyMs), '--quiet']);
const children = { 'sender relay': sender, proxy, 'receiver relay': receiver };

// The source: numbered datagrams on an absolute schedule.
const source = createSocket('udp4');
source.connect(sender.port, HOST);
await once(source, 'connect');
const interval = (SIZE * 8 * 1000) / bitrate;
const payload = Buffer.alloc(SIZE, 0x47);
let sent = 0;
const t0 = performance.now();
const end = t0 + durationS * 1000;
const samples = [];
let nextSample = t0;
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    if (now >= nextSample) {
      const row = Object.fromEntries(Object.entries(children).map(([name, c]) => [name, rssMb(c.child.pid)]));
      samples.push({ t: Math.round((now - t0) / 1000), ...row });
      console.log(`${String(Math.round((now - t0) / 1000)).padStart(5)} s  sent ${sent}  delivered ${delivered}  RSS MB: ${Object.entries(row).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
      nextSample += 10_000;
    }
    if (now >= end) return resolve();
    const due = Math.floor((Math.min(now, end) - t0) / interval);
    for (; sent < due; sent++) {
      payload.writeUInt32BE(sent, 0);
      payload.writeDoubleBE(performance.now(), 4);
      source.send(payload);
    }
    setTimeout(tick, 1);
  };
  tick();
});
await new Promise((r) => setTimeout(r, latencyMs * 3 + 500));
source.close();
sink.close();
for (const c of Object.values(children)) c.child.kill('SIGINT');
await Promise.all(Object.values(children).map((c) => once(c.child, 'close')));

const warm = samples.find((s) => s.t >= Math.min(60, durationS / 3)) ?? samples[0];
const last = samples.at(-1);
const growth = Object.fromEntries(Object.keys(children).map((k) => [k, last[k] - warm[k]]));
const deliveredPct = (100 * delivered) / sent;
const expected = 100; // adaptive FEC + NACK repair independent loss of this size completely
console.log(`\nsoak: ${durationS} s at ${bitrate / 1e6} Mbit/s, ${loss}% loss each way, latency ${latencyMs} ms`);
console.log(`  datagrams sent ${sent}, delivered ${delivered} (${deliveredPct.toFixed(4)}%; the model's expectation ~${expected}%), later than budget + 100 ms ${late}, duplicates ${duplicates}`);
console.log(`  RSS growth after warm-up (t=${warm.t} s -> ${last.t} s), MB: ${Object.entries(growth).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
const relayGrowth = Math.max(growth['sender relay'], growth['receiver relay']);
const ok = relayGrowth <= maxGrowthMb && deliveredPct >= minDelivered;
console.log(ok ? '  PASS' : `  FAIL (relay RSS growth <= ${maxGrowthMb} MB and delivered >= ${minDelivered}% required)`);
process.exit(ok ? 0 : 1);
