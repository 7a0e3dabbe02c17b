import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkTs, Collector, ffmpegAvailable, generateTs, matchDelivery, replay, splitDatagrams } from '../src/media/index.js';
import { LossyProxy } from '../src/proxy/proxy.js';
import { applySettings, planRelay } from '../src/relay/plan.js';
import type { RelayStats } from '../src/relay/relay.js';
import { BUILT_MAIN, cli as runCli, type Cli } from './helpers/cli.js';

const MAIN = BUILT_MAIN;
const HOST = '127.0.0.1';

/** Runs `perfect-socket ARGS` from dist/, so the test covers what the binary runs. */
function cli(t: ExecutionContext, args: string[]): Cli {
  return runCli(t, args, 'dist');
}

/** The relay's final counters: the last stderr line, JSON. */
function finalStats(stderr: string): RelayStats {
  return JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}') as RelayStats;
}

test.before((t) => {
  if (!existsSync(MAIN)) t.fail(`${MAIN} is missing: build the TypeScript first (npm run build:ts)`);
});

test.serial(
  'ffmpeg -> relay -> proxy (5% loss, 20 ms delay, both ways) -> relay -> UDP: every TS packet, in order, decodes clean',
  async (t) => {
    t.timeout(60_000);
    if (!(await ffmpegAvailable())) {
      t.fail('ffmpeg is required for this test (bash .ci/run installs it)');
      return;
    }
    // A live-encoder-like stream: x264 zerolatency with AAC, muxed at a constant 3 Mbit/s.
    const source = await generateTs({ durationS: 5, bitrate: 3_000_000, width: 640, height: 360 });
    const ts = readFileSync(source.path);
    const datagrams = splitDatagrams(ts);
    const dir = mkdtempSync(join(tmpdir(), 'relay-spec-'));
    const statsFile = join(dir, 'receiver.json');

    const collector = await Collector.open();
    t.teardown(() => collector.close());
    const receiver = cli(t, ['relay', '--from', `psock://${HOST}:0`, '--to', `udp://${HOST}:${collector.port}`, '--stats-json', statsFile]);
    const proxy = new LossyProxy({
      listen: { host: HOST, port: 0 },
      target: { host: HOST, port: await receiver.listening() },
      forward: { loss: 0.05, delayMs: 20 },
      back: { loss: 0.05, delayMs: 20 },
      seed: 7,
    });
    t.teardown(() => proxy.close());
    const proxied = await proxy.listen();
    const sender = cli(t, ['relay', '--from', `udp://${HOST}:0`, '--to', `psock://${HOST}:${proxied.port}`, '--quiet']);

    const sent = await replay(datagrams, { target: { host: HOST, port: await sender.listening() }, bitrate: source.bitrate });
    t.is(sent.sent, datagrams.length);
    // The tail waits out at most the latency budget (120 ms) plus a retransmission or two.
    await collector.waitFor(datagrams.length, 3000);

    sender.child.kill('SIGTERM');
    receiver.child.kill('SIGTERM');
    t.is(await sender.exited, 0, sender.stderr());
    t.is(await receiver.exited, 0, receiver.stderr());
    await proxy.close();
    const tx = finalStats(sender.stderr());
    const rx = finalStats(receiver.stderr());
    const path = proxy.stats();
    const report = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, collector.arrivals);
    t.log(`stream: ${datagrams.length} datagrams, ${ts.length} bytes at ${source.bitrate / 1e6} Mbit/s; replayer late by up to ${sent.maxLateMs.toFixed(1)} ms`);
    t.log(`proxy: forward dropped ${path.forward.droppedLoss} of ${path.forward.received}, back dropped ${path.back.droppedLoss} of ${path.back.received}`);
    t.log(`sender: ${tx.psock.sent} sent, ${tx.psock.repairsSent} repairs, ${tx.psock.retransmitted} retransmitted, redundancy ${tx.psock.redundancy}, k ${tx.psock.blockSources}, rtt ${tx.psock.rttMs} ms`);
    t.log(`receiver: ${rx.out.packets} forwarded, ${rx.psock.recovered} FEC recovered, ${rx.psock.retransmitsReceived} retransmits received, ${rx.psock.lost} lost, ${rx.psock.late} late, loss seen ${(rx.psock.lossRate * 100).toFixed(1)}%`);
    t.log(`delivered ${report.tsPacketsDelivered}/${report.tsPacketsSent} TS packets; latency p50 ${report.latencyMs?.p50.toFixed(1)} ms, p99 ${report.latencyMs?.p99.toFixed(1)} ms; missing ${report.missing.slice(0, 10).join(',')}`);

    t.is(tx.in.packets, datagrams.length, 'sender relay took every datagram');
    t.is(report.tsPacketsDelivered, report.tsPacketsSent, 'every TS packet delivered');
    t.is(report.outOfOrder, 0, 'in order');
    t.is(report.duplicates, 0, 'no datagram twice');
    const received = collector.concat();
    t.is(received.length, ts.length);
    t.true(received.equals(ts), 'received bytes identical to the stream sent');
    // --stats-json was left behind with the final counters.
    t.is((JSON.parse(readFileSync(statsFile, 'utf8')) as RelayStats).out.packets, rx.out.packets);

    const receivedPath = join(dir, 'received.ts');
    writeFileSync(receivedPath, received);
    const errors = await checkTs(receivedPath);
    t.deepEqual(errors.slice(0, 5), [], `ffmpeg found ${errors.length} decode errors in what arrived`);
  },
);

test('relay: bad flags and URLs exit 2 with one line saying what is accepted', async (t) => {
  const to = `psock://${HOST}:5000`;
  const from = `udp://${HOST}:0`;
  const cases: Array<[string[], RegExp]> = [
    [[], /missing --from/],
    [['--from', from], /missing --to/],
    [['--from', from, '--to', `udp://${HOST}:5000`], /exactly one psock:\/\/ side/],
    [['--from', `psock://${HOST}:0`, '--to', to], /exactly one psock:\/\/ side/],
    [['--from', 'tcp://127.0.0.1:0', '--to', to], /--from "tcp:\/\/127\.0\.0\.1:0" is not a valid endpoint/],
    [['--from', from, '--to', `psock://${HOST}:0`], /port out of range/],
    [['--from', from, '--to', `${to}?bogus=1`], /unknown setting "bogus"/],
    [['--from', from, '--to', to, '--nack', 'maybe'], /--nack "maybe" is not valid/],
    [['--from', from, '--to', to, '--latency', 'soon'], /--latency "soon" is not valid/],
    [['--from', from, '--to', to, '--rate', '5'], /--rate "5" has no unit/],
    [['--from', from, '--to', to, '--k', '0'], /--k "0" is out of range/],
    [['--from', from, '--to', to, '--redundancy', '0.5', '--n', '20'], /--redundancy and --n/],
    [['--from', from, '--to', to, '--stats'], /unknown flag --stats/],
    [['--from', from, '--to', to, 'extra'], /unexpected argument "extra"/],
  ];
  await Promise.all(
    cases.map(async ([args, pattern]) => {
      const run = cli(t, ['relay', ...args]);
      t.is(await run.exited, 2, args.join(' '));
      const lines = run.stderr().trim().split('\n');
      t.is(lines.length, 1, run.stderr());
      t.regex(lines[0]!, pattern);
      t.regex(lines[0]!, /accepted/);
    }),
  );
});

test('relay --help lists the flags and exits 0', async (t) => {
  const run = cli(t, ['relay', '--help']);
  t.is(await run.exited, 0);
  t.regex(run.stdout(), /--from URL/);
  t.regex(run.stdout(), /--stats-json/);
});

test('settings given apart win over the psock URL; n and redundancy replace each other', (t) => {
  t.deepEqual(applySettings({ k: 8, n: 12, latency: 200 }, { redundancy: 0.5, latency: 80 }), { k: 8, redundancy: 0.5, latency: 80 });
  t.deepEqual(applySettings({ redundancy: 0.5, nack: true }, { n: 20, nack: false }), { n: 20, nack: false });
  t.deepEqual(applySettings({ k: 8 }, { latency: undefined }), { k: 8 });
  const plan = planRelay(`psock://${HOST}:0?k=8&n=12`, `udp://${HOST}:9`, { redundancy: 0.25 });
  t.is(plan.mode, 'psock->udp');
  t.deepEqual(plan.protection, { k: 8, redundancy: 0.25 });
  t.throws(() => planRelay(`udp://${HOST}:0`, `psock://${HOST}:9`, { k: 40, n: 20 }), { instanceOf: RangeError, message: /^n must be/ });
});

test('relay --stats-json is rewritten every second, so a killed relay leaves its counters behind', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'relay-spec-')), 'stats.json');
  const relay = cli(t, ['relay', '--from', `udp://${HOST}:0`, '--to', `psock://${HOST}:9`, '--stats-json', file, '--quiet']);
  await relay.listening();
  await sleep(1300);
  relay.child.kill('SIGKILL');
  await relay.exited;
  const stats = JSON.parse(readFileSync(file, 'utf8')) as RelayStats;
  t.is(stats.mode, 'udp->psock');
  t.is(stats.in.packets, 0);
});
