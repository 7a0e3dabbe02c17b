import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  checkTs,
  Collector,
  DATAGRAM_SIZE,
  generateTs,
  matchDelivery,
  muxRateFromPcr,
  pidAt,
  replay,
  splitDatagrams,
  syntheticTs,
  TS_PACKET_SIZE,
  type Arrival,
} from '../src/media/index.js';
import { runTool } from '../src/media/tool.js';

const HOST = '127.0.0.1';
/** Fast enough that 200 datagrams take about 100 ms, slow enough for loopback buffers. */
const BITRATE = 20_000_000;

async function collector(t: { teardown(fn: () => unknown): void }): Promise<Collector> {
  const c = await Collector.open();
  t.teardown(() => c.close());
  return c;
}

/**
 * A UDP hop between replayer and collector that passes each datagram through `edit`: return the
 * datagrams to forward in its place (none to drop it, two to duplicate it, altered bytes to
 * corrupt it).
 */
async function editingHop(
  t: { teardown(fn: () => unknown): void },
  to: number,
  edit: (data: Buffer, index: number) => Buffer[],
): Promise<number> {
  const s = createSocket('udp4');
  t.teardown(() => s.close());
  s.bind(0, HOST);
  await once(s, 'listening');
  let index = 0;
  s.on('message', (m) => {
    for (const out of edit(m, index++)) s.send(out, to, HOST);
  });
  return s.address().port;
}

test('syntheticTs makes 188-byte packets with sync bytes, PIDs and per-PID continuity counters', (t) => {
  const ts = syntheticTs({ packets: 50, pids: [0x100, 0x200] });
  t.is(ts.length, 50 * TS_PACKET_SIZE);
  const cc = new Map<number, number>();
  for (let off = 0; off < ts.length; off += TS_PACKET_SIZE) {
    t.is(ts[off], 0x47);
    const pid = pidAt(ts, off);
    t.true(pid === 0x100 || pid === 0x200);
    const counter = ts[off + 3]! & 0x0f;
    if (cc.has(pid)) t.is(counter, (cc.get(pid)! + 1) & 0x0f);
    cc.set(pid, counter);
  }
  t.deepEqual(syntheticTs({ packets: 50, pids: [0x100, 0x200] }), ts, 'same seed, same bytes');
  const datagrams = splitDatagrams(ts);
  t.is(datagrams.length, 8);
  t.is(datagrams[0]!.length, DATAGRAM_SIZE);
  t.is(datagrams[7]!.length, 1 * TS_PACKET_SIZE, 'the last datagram holds the remainder');
  t.throws(() => splitDatagrams(ts.subarray(1)), { instanceOf: RangeError });
});

test('replay -> collector on loopback: every datagram delivered, in order, byte-identical, at the set rate', async (t) => {
  const c = await collector(t);
  const datagrams = splitDatagrams(syntheticTs({ packets: 200 * 7 }));
  const started = performance.now();
  const sent = await replay(datagrams, { target: { host: HOST, port: c.port }, bitrate: BITRATE });
  const elapsed = performance.now() - started;
  t.true(await c.waitFor(datagrams.length, 2000));
  const report = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, c.arrivals);
  t.is(sent.sent, 200);
  t.is(report.datagramsDelivered, 200);
  t.is(report.tsPacketsSent, 1400);
  t.is(report.deliveredFraction, 1);
  t.deepEqual(report.missing, []);
  t.is(report.duplicates, 0);
  t.is(report.outOfOrder, 0);
  t.true(report.identical);
  t.deepEqual(c.concat(), Buffer.concat(datagrams));
  // The 200th datagram is due 199 datagram-times after the first.
  const schedule = (199 * DATAGRAM_SIZE * 8 * 1000) / BITRATE;
  t.true(elapsed >= schedule - 1, `took ${elapsed.toFixed(1)} ms for a ${schedule.toFixed(1)} ms schedule`);
  t.true(report.latencyMs!.p50 < 20, `loopback p50 ${report.latencyMs!.p50} ms`);
});

test('a dropped datagram is reported missing; duplicates and altered bytes are counted', async (t) => {
  const c = await collector(t);
  const hop = await editingHop(t, c.port, (data, i) => {
    if (i === 5) return [];
    if (i === 7) return [data, data];
    if (i === 9) return [Buffer.concat([data.subarray(0, 100), Buffer.from([data[100]! ^ 1]), data.subarray(101)])];
    return [data];
  });
  const datagrams = splitDatagrams(syntheticTs({ packets: 20 * 7 }));
  const sent = await replay(datagrams, { target: { host: HOST, port: hop }, bitrate: BITRATE });
  t.true(await c.waitFor(20, 2000));
  const report = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, c.arrivals);
  t.deepEqual(report.missing, [5, 9]);
  t.is(report.datagramsDelivered, 18);
  t.is(report.duplicates, 1);
  t.is(report.unmatched, 1);
  t.false(report.identical);
  t.is(report.deliveredFraction, 18 / 20);
});

test('identical datagrams match in order, and a lost one does not shift the ones after it', (t) => {
  const a = Buffer.alloc(DATAGRAM_SIZE, 0xff);
  const b = Buffer.alloc(DATAGRAM_SIZE, 0x11);
  const datagrams = [a, b, a, b, a, b];
  const sendTimes = [0, 10, 20, 30, 40, 50];
  // Index 2 (an `a`) is lost; everything else arrives 5 ms after it was sent, then index 5 again.
  const arrivals: Arrival[] = [0, 1, 3, 4, 5, 5].map((i) => ({ data: datagrams[i]!, at: sendTimes[i]! + 5 }));
  const report = matchDelivery({ datagrams, sendTimes }, arrivals);
  t.deepEqual(report.missing, [2]);
  t.is(report.duplicates, 1);
  t.is(report.outOfOrder, 0);
  t.is(report.latencyMs!.max, 5, 'the `a` sent at 40 ms is matched to itself, not to the lost one at 20 ms');
});

test('replay stops when aborted and reports what it sent', async (t) => {
  const c = await collector(t);
  const datagrams = splitDatagrams(syntheticTs({ packets: 1000 * 7 }));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 30);
  // 1 Mbit/s: about 10 ms per datagram, so only a few go before the abort.
  const sent = await replay(datagrams, { target: { host: HOST, port: c.port }, bitrate: 1_000_000, signal: controller.signal });
  t.true(sent.sent > 0 && sent.sent < 20, `sent ${sent.sent}`);
  await c.waitFor(sent.sent, 1000);
  const report = matchDelivery({ datagrams, sendTimes: sent.sendTimes }, c.arrivals);
  t.is(report.datagramsSent, sent.sent, 'unsent datagrams are not counted as lost');
  t.deepEqual(report.missing, []);
});

// ava wants every test declared synchronously, so probe the tools synchronously too.
const runs = (tool: string): boolean => spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0;
const haveFfmpeg = runs('ffmpeg') && runs('ffprobe');
const ffmpegTest = haveFfmpeg ? test : test.skip;
const skipNote = haveFfmpeg ? '' : ' (SKIPPED: ffmpeg or ffprobe is not on PATH)';

ffmpegTest(`generateTs makes a constant-rate MPEG-TS with a video stream, cached; checkTs sees losses${skipNote}`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'media-spec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const options = { dir, durationS: 1, width: 320, height: 240, bitrate: 1_000_000 };
  const made = await generateTs(options);
  t.false(made.cached);
  t.true((await generateTs(options)).cached);
  const probe = await runTool('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name:stream=codec_type', '-of', 'json', made.path]);
  const info = JSON.parse(probe.stdout) as { format: { format_name: string }; streams: { codec_type: string }[] };
  t.is(info.format.format_name, 'mpegts');
  t.true(info.streams.some((s) => s.codec_type === 'video'));
  const ts = readFileSync(made.path);
  const rate = muxRateFromPcr(ts)!;
  t.true(Math.abs(rate - 1_000_000) < 10_000, `PCR says ${rate} bit/s`);
  t.deepEqual(await checkTs(made.path), []);
  const lossy = Buffer.concat(splitDatagrams(ts).filter((_, i) => i % 10 !== 5));
  t.true((await checkTs(lossy)).length > 0, 'dropping every tenth datagram gives decode errors');
});
