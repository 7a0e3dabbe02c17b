/**
 * The browser viewer (issue 9), part 1: the shared Reed-Solomon module against the native codec,
 * the symbol format, the parent/child bookkeeping, and a real headless Chromium playing a real
 * H.264 MPEG-TS stream through mpegts.js, alone and as a browser child with simulated loss.
 * The three-browser chain is in p2p-viewer-chain.spec.ts.
 *
 * `VIEWER_SCREENSHOT=docs/viewer.png npx ava __test__/p2p-viewer.spec.ts` also saves the page.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Decoder, Encoder } from '../src/index.js';
import { generateTs, replay, splitDatagrams } from '../src/media/index.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { BlockFramer, createViewer, pushFeed, startViewerServer, SYMBOL_HEADER, udpFeed, ViewerTree } from '../src/p2p/viewer/index.js';
// @ts-expect-error plain browser JS module without type declarations
import * as zfec from '../src/p2p/viewer/static/zfec.js';
// @ts-expect-error plain browser JS module without type declarations
import { Assembler as AssemblerJs } from '../src/p2p/viewer/static/assembler.js';
import { browserReady, CHROMIUM, CHROMIUM_ARGS, longestStall, skipOrFail, snap, type Snapshot } from './helpers/viewer-page.js';
import { until } from './helpers/wait.js';

/** A live stream: generated H.264 TS replayed at its mux rate into a UDP feed, plus a viewer server. */
async function liveViewer(opts: { maxParents?: number; width?: number; height?: number; bitrate?: number } = {}) {
  const ts = await generateTs({ durationS: 30, width: opts.width ?? 640, height: opts.height ?? 360, bitrate: opts.bitrate ?? 1_500_000 });
  const datagrams = splitDatagrams(readFileSync(ts.path));
  const feed = await udpFeed({ host: '127.0.0.1', port: 0 });
  const viewer = await startViewerServer({ host: '127.0.0.1', port: 0, feed, maxParents: opts.maxParents });
  const abort = new AbortController();
  const replaying = replay(datagrams, { target: { host: '127.0.0.1', port: feed.address.port }, bitrate: ts.bitrate, signal: abort.signal });
  return {
    viewer,
    bitrate: ts.bitrate,
    async close() {
      abort.abort();
      await replaying;
      await viewer.close();
      await feed.close();
    },
  };
}

test('zfec.js is byte-identical to the native Encoder and rebuilds from any k shards', (t) => {
  for (const [k, n] of [[1, 1], [1, 3], [4, 16], [8, 10], [8, 12], [20, 30], [100, 256]] as const) {
    const data = Array.from({ length: k }, () => randomBytes(1318));
    const native = new Encoder(k, n).encode(data);
    const js = zfec.encode(k, n, data) as Uint8Array[];
    for (let i = 0; i < n; i++) t.true(Buffer.from(js[i]!).equals(native[i]!), `k=${k} n=${n} shard ${i}`);
    for (let trial = 0; trial < 5; trial++) {
      const picked = [...Array(n).keys()].sort(() => Math.random() - 0.5).slice(0, k);
      const out = zfec.decode(k, n, picked.map((i) => native[i]!), picked, 1318) as Uint8Array[];
      for (let i = 0; i < k; i++) t.true(Buffer.from(out[i]!).equals(data[i]!), `k=${k} n=${n} decode ${i} from ${picked}`);
    }
  }
});

test('zfec.js treats short source shards as zero-padded, as the native codec sees padded ones', (t) => {
  const k = 8, n = 10, size = 1474;
  const data = Array.from({ length: k }, (_, i) => randomBytes(i === 7 ? 2 : 100 + i * 150));
  const padded = data.map((d) => Buffer.concat([d, Buffer.alloc(size - d.length)]));
  const native = new Encoder(k, n).encode(padded);
  const repairs = [8, 9].map((i) => zfec.encodeRepair(k, n, data, i, size) as Uint8Array);
  t.true(Buffer.from(repairs[0]!).equals(native[8]!));
  t.true(Buffer.from(repairs[1]!).equals(native[9]!));
  // The native decoder rebuilds what the browser's repairs protect, and vice versa.
  const nat = new Decoder(k, n).decode([native[8]!, native[9]!, ...padded.slice(2)], [8, 9, 2, 3, 4, 5, 6, 7]);
  t.true(Buffer.from(nat[0]!).equals(padded[0]!));
  const js = zfec.decode(k, n, [repairs[0], repairs[1], ...data.slice(2)], [8, 9, 2, 3, 4, 5, 6, 7], size) as Uint8Array[];
  t.true(Buffer.from(js[1]!).equals(padded[1]!));
});

test('BlockFramer numbers symbols into blocks and pads a block shut', (t) => {
  const framer = new BlockFramer({ k: 3, n: 5, maxDatagram: 1316 });
  const s0 = framer.frame(new Uint8Array([1, 2, 3]), 1234.5)!;
  t.is(s0.length, SYMBOL_HEADER + 2 + 3);
  const v = new DataView(s0.buffer);
  t.deepEqual([s0[0], s0[1], s0[2], s0[3], v.getUint32(4), v.getFloat64(8), v.getUint16(16)], [1, 3, 5, 0, 0, 1234.5, 3]);
  t.is(framer.frame(new Uint8Array(1317), 0), undefined);
  t.is(framer.dropped, 1);
  framer.frame(new Uint8Array(10), 0);
  const pads = framer.pad(0);
  t.is(pads.length, 1);
  t.is(pads[0]![3], 2);
  t.is(new DataView(pads[0]!.buffer).getUint16(16), 0);
  const next = framer.frame(new Uint8Array(1), 0)!;
  t.deepEqual([next[3], new DataView(next.buffer).getUint32(4)], [0, 1]);
  t.is(framer.pad(5).length, 2, 'padding fills the rest of the block');
  t.deepEqual(framer.pad(5), [], 'and then nothing is open');
});

test('ViewerTree: earlier playing viewers feed later ones, two parents and two children at most', (t) => {
  const tree = new ViewerTree();
  for (const id of ['a', 'b', 'c', 'd', 'e']) tree.join(id);
  t.deepEqual(tree.fill(0), [], 'no one plays yet: all on the WebSocket');
  tree.get('a')!.playing = true;
  t.deepEqual(tree.fill(0).map((l) => `${l.parent}>${l.child}`), ['a>b', 'a>c']);
  for (const id of ['b', 'c']) tree.get(id)!.playing = true;
  const links = tree.fill(0).map((l) => `${l.parent}>${l.child}`);
  t.deepEqual(links, ['b>c', 'c>d', 'b>d', 'c>e'], 'fewest children first');
  for (const node of tree.nodes()) {
    t.true(node.parents.size <= 2 && node.children.size <= 2, node.id);
    for (const p of node.parents) t.true(tree.get(p)!.seq < node.seq, 'parents arrived earlier');
  }
  t.deepEqual(tree.leave('b').sort(), ['c', 'd']);
  tree.dropLink('c', 'e', 0);
  t.false(tree.get('e')!.parents.has('c'));
  const refill = tree.fill(1).map((l) => `${l.parent}>${l.child}`);
  t.deepEqual(refill, ['a>d'], 'd gets a back; e is not offered c, which it reported lost');
  t.deepEqual(tree.fill(2000).map((l) => `${l.parent}>${l.child}`), [], 'not while avoided');
  t.deepEqual(tree.fill(3000).map((l) => `${l.parent}>${l.child}`), ['c>e'], 'until the avoidance expires');
});

/** The browser's assembler on a fake clock, fed by the server's framer (k=8, n=10). */
interface AssemblerRig {
  push(symbol: Uint8Array): boolean;
  tick(): void;
  recovered: number;
  lost: number;
  released: number;
  asks: number;
  next: { block: number; index: number } | null;
}
function assemblerRig(withChild = false) {
  const clock = { now: 0 };
  const out: Buffer[] = [];
  const asked: number[] = [];
  const forwarded: Uint8Array[] = [];
  const asm = new AssemblerJs({
    symbolSize: 2 + 1472,
    latencyMs: 300,
    now: () => clock.now,
    onDatagram: (d: Uint8Array) => out.push(Buffer.from(d)),
    onAsk: (b: number) => asked.push(b),
    children: () => (withChild ? [(s: Uint8Array) => forwarded.push(s)] : []),
  }) as AssemblerRig;
  const framer = new BlockFramer({ k: 8, n: 10, maxDatagram: 1472 });
  const datagrams = Array.from({ length: 800 }, (_, i) => Buffer.concat([Buffer.from([0x47, i >> 8, i & 255]), randomBytes(i % 7 === 0 ? 100 : 1313)]));
  const symbols = datagrams.map((d) => framer.frame(d, 1000)!);
  return { clock, out, asked, forwarded, asm, datagrams, symbols };
}

test('assembler: in order, first copy wins, and a parent adds the repairs a lossy child needs', (t) => {
  const parent = assemblerRig(true);
  for (const s of parent.symbols) parent.asm.push(s);
  for (const s of parent.symbols.slice(0, 80)) t.false(parent.asm.push(s), 'a second copy is ignored');
  t.is(parent.out.length, 800);
  t.true(parent.out.every((d, i) => d.equals(parent.datagrams[i]!)));
  t.is(parent.forwarded.length, 1000, '800 sources and 2 repairs per block of 8, each once');
  // The repairs are zfec's: the native decoder rebuilds a block from them.
  const block0 = parent.forwarded.filter((s) => new DataView(s.buffer, s.byteOffset).getUint32(4) === 0);
  const shards = block0.map((s) => Buffer.concat([Buffer.from(s.subarray(SYMBOL_HEADER)), Buffer.alloc(2 + 1472 + SYMBOL_HEADER - s.length)]));
  const decoded = new Decoder(8, 10).decode([shards[8]!, shards[9]!, ...shards.slice(2, 8)], [8, 9, 2, 3, 4, 5, 6, 7]);
  t.true(decoded[0]!.subarray(2, 2 + parent.datagrams[0]!.length).equals(parent.datagrams[0]!));

  // A child that loses 2 of every block's 10 symbols gets every datagram back.
  const child = assemblerRig();
  parent.forwarded.forEach((s, i) => {
    if (i % 10 === 4 || i % 10 === 7 + (Math.floor(i / 10) % 3)) return; // two sources, or a source and a repair
    child.asm.push(s);
  });
  t.is(child.out.length, 800);
  t.true(child.out.every((d, i) => d.equals(parent.datagrams[i]!)));
  t.true(child.asm.recovered > 100);
  t.is(child.asm.lost, 0);
});

test('assembler: waits for a missing datagram, asks again at a third of the budget, skips a gap at once', (t) => {
  const { clock, out, asked, asm, symbols, datagrams } = assemblerRig();
  for (const s of symbols.slice(0, 16)) asm.push(s);
  // Lose blocks 2..31 (240 datagrams) entirely, and one source in block 32 with no repairs.
  for (const s of symbols.slice(256, 264)) if (s !== symbols[258]) asm.push(s);
  t.is(out.length, 16, 'held at the gap');
  clock.now = 99;
  asm.tick();
  t.deepEqual(asked, []);
  clock.now = 100;
  asm.tick();
  t.deepEqual(asked, [2], 'asked for the first missing block');
  clock.now = 299;
  asm.tick();
  t.is(out.length, 16, 'still within the budget');
  clock.now = 300;
  asm.tick();
  // The whole 30-block gap went at once; block 32 released up to its own hole.
  t.is(out.length, 18);
  t.true(out[16]!.equals(datagrams[256]!));
  t.is(asm.lost, 240);
  // The hole in block 32 was noticed at 300: its own budget, then skipped.
  clock.now = 600;
  asm.tick();
  t.is(out.length, 23);
  t.is(asm.lost, 241);
  t.deepEqual(asked, [2, 32]);
  // And the stream carries on in order.
  for (const s of symbols.slice(264, 280)) asm.push(s);
  t.is(out.length, 39);
  t.true(out[38]!.equals(datagrams[279]!));
});

test('assembler: joins at a block boundary and ignores malformed symbols', (t) => {
  const { out, asm, symbols, datagrams } = assemblerRig();
  asm.push(symbols[3]!); // mid-block: its block's earlier datagrams are not coming
  t.deepEqual(asm.next, { block: 1, index: 0 });
  for (const s of symbols.slice(8, 16)) asm.push(s);
  t.is(out.length, 8);
  t.true(out[0]!.equals(datagrams[8]!));
  const bad = Uint8Array.from(symbols[16]!);
  bad[1] = 9; // a different k for the same block
  asm.push(symbols[17]!);
  t.false(asm.push(bad));
  t.false(asm.push(new Uint8Array(10)));
});

test('pushFeed delivers to each subscriber until it unsubscribes', (t) => {
  const feed = pushFeed();
  const got: number[] = [];
  const off = feed.subscribe((d) => got.push(d[0]!));
  feed.push(new Uint8Array([1]));
  off();
  feed.push(new Uint8Array([2]));
  t.deepEqual(got, [1]);
});

test('createViewer mounts under a path on an existing server; the WebSocket greets and streams symbols', async (t) => {
  const feed = pushFeed();
  const viewer = createViewer({ feed, basePath: '/watch/', k: 2, n: 3 });
  const server = createServer((req, res) => {
    if (!viewer.handleRequest(req, res)) res.writeHead(418).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!viewer.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const redirect = await fetch(`${base}/watch`, { redirect: 'manual' });
    t.is(redirect.status, 301);
    t.is(redirect.headers.get('location'), '/watch/');
    t.regex(await (await fetch(`${base}/watch/`)).text(), /<video/);
    for (const asset of ['viewer.js', 'assembler.js', 'zfec.js', 'mpegts.js']) t.is((await fetch(`${base}/watch/${asset}`)).status, 200, asset);
    t.is((await fetch(`${base}/state.json`)).status, 418, 'paths outside basePath are left to the host server');
    const ws = new WebSocket(`${base.replace('http', 'ws')}/watch/ws`);
    const messages: (string | Buffer)[] = [];
    ws.on('message', (data, isBinary) => messages.push(isBinary ? (data as Buffer) : data.toString()));
    await new Promise((r) => ws.once('open', r));
    await new Promise((r) => setTimeout(r, 100));
    feed.push(new Uint8Array([0x47, 1, 2]));
    await new Promise((r) => setTimeout(r, 100));
    ws.close();
    const hello = JSON.parse(messages[0] as string);
    t.like(hello, { t: 'hello', id: 'v1', k: 2, n: 3, symbolSize: 1474 });
    const symbol = messages.find((m) => Buffer.isBuffer(m)) as Buffer;
    t.deepEqual([...symbol.subarray(0, 4)], [1, 2, 3, 0]);
    t.deepEqual([...symbol.subarray(SYMBOL_HEADER)], [0, 3, 0x47, 1, 2]);
    const state = viewer.state();
    t.is(state.datagrams, 1);
    t.true(state.egressBytes >= symbol.length + 2 + (messages[0] as string).length);
  } finally {
    viewer.close();
    await new Promise((r) => server.close(r));
  }
});


test.serial('headless Chromium plays the live stream from the WebSocket', async (t) => {
  if (!browserReady) return skipOrFail(t);
  const shot = process.env.VIEWER_SCREENSHOT;
  const live = await liveViewer(shot ? { width: 1280, height: 720, bitrate: 5_000_000 } : {});
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 960, height: 540 } });
    t.true(await page.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001f"')), 'this Chromium has H.264 in MSE');
    await page.goto(live.viewer.url);
    await page.waitForFunction(() => '__viewer' in globalThis);
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).currentTime > 0.5, undefined, { timeout: 15_000 });
    const { stallMs, advancedS } = await longestStall(page, 5000);
    const s = await snap(page);
    t.log(`advanced ${advancedS.toFixed(2)} s in 5 s, longest stall ${stallMs} ms, ${s.framesDecoded} frames decoded, ${s.framesDropped} dropped, ${s.width}x${s.height}, age ${s.ageMs} ms`);
    t.true(advancedS > 4, 'currentTime advances at about real time');
    t.true(s.framesDecoded > 25 * 4, 'frames decoded');
    t.true(s.framesDropped <= Math.max(3, s.framesDecoded * 0.02), 'few frames dropped');
    t.true(s.width > 0 && s.height > 0);
    t.true(s.wsFeed && s.bytesByFeed.ws! > 0);
    t.is(s.lost, 0, 'nothing missing on a lossless WebSocket');
    const state = live.viewer.state();
    t.is(state.viewers.length, 1);
    t.true(state.viewers[0]!.playing, 'the page told the server it plays');
    const overlay = await page.textContent('#overlay');
    t.regex(overlay ?? '', /feed\s+WebSocket/);
    t.regex(overlay ?? '', /latency\s+\d+ ms/);
    if (shot) await page.screenshot({ path: shot });
  } finally {
    await browser?.close();
    await live.close();
  }
});

test.serial('a browser child rebuilds symbols lost on its data channel with Reed-Solomon', async (t) => {
  if (!browserReady) return skipOrFail(t);
  const live = await liveViewer();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const first = await browser.newPage({ viewport: { width: 640, height: 360 } });
    await first.goto(live.viewer.url);
    await first.waitForFunction(() => '__viewer' in globalThis);
    await first.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).currentTime > 0.3, undefined, { timeout: 15_000 });
    const second = await browser.newPage({ viewport: { width: 640, height: 360 } });
    await second.goto(`${live.viewer.url}?loss=0.05`);
    await second.waitForFunction(() => '__viewer' in globalThis);
    await second.waitForFunction(
      () => (globalThis as unknown as { __viewer: { snapshot(): Snapshot } }).__viewer.snapshot().activeParents.length > 0,
      undefined,
      { timeout: 15_000 },
    );
    await sleep(1000); // past the switch from the WebSocket
    const before = await snap(second);
    const { stallMs, advancedS } = await longestStall(second, 5000);
    const s = await snap(second);
    t.log(`child: ${s.simulatedDrops - before.simulatedDrops} symbols dropped on purpose, ${s.recovered - before.recovered} datagrams rebuilt, ${s.resendAsks - before.resendAsks} blocks asked again, ${s.lost - before.lost} lost of ${s.released - before.released}; advanced ${advancedS.toFixed(2)} s in 5 s, longest stall ${stallMs} ms; frames ${s.framesDecoded} decoded ${s.framesDropped} dropped`);
    t.deepEqual(s.activeParents, [(await snap(first)).id], 'fed by the first browser');
    t.false(s.wsFeed, 'and not by the server');
    t.true(s.simulatedDrops - before.simulatedDrops > 20, 'symbols were dropped');
    t.true(s.recovered - before.recovered > 10, 'Reed-Solomon rebuilt datagrams');
    // 5% loss on k=8, n=10 blocks: ~1.2% of blocks lose more than FEC rebuilds; those are
    // asked again from the server's history, well within the budget.
    t.is(s.lost - before.lost, 0, 'nothing lost: FEC, then a resend, repaired it all');
    t.true(advancedS > 3.5, 'the child keeps playing'); // loose: a loaded 2-core VM; the stall bound is the sharp check
    // Sanity only: the chain spec holds repair to the 1 s budget; here a loaded CI VM's decoder hiccups show.
    t.true(stallMs < 2000, `longest stall ${stallMs} ms`);
  } finally {
    await browser?.close();
    await live.close();
  }
});

test.serial('the page comes back by itself after the server restarts', async (t) => {
  if (!browserReady) return skipOrFail(t);
  const ts = await generateTs({ durationS: 30, width: 640, height: 360, bitrate: 1_500_000 });
  const feed = await udpFeed({ host: '127.0.0.1', port: 0 });
  let viewer = await startViewerServer({ host: '127.0.0.1', port: 0, feed });
  const abort = new AbortController();
  const replaying = replay(splitDatagrams(readFileSync(ts.path)), { target: { host: '127.0.0.1', port: feed.address.port }, bitrate: ts.bitrate, signal: abort.signal });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
    await page.goto(viewer.url);
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).currentTime > 0.3, undefined, { timeout: 15_000 });
    const port = viewer.address.port;
    await viewer.close();
    await page.waitForFunction(() => document.querySelector('#overlay')?.textContent?.includes('DISCONNECTED'), undefined, { timeout: 5000 });
    viewer = await startViewerServer({ host: '127.0.0.1', port, feed });
    await until(async () => viewer.state().viewers.length === 1, 10_000, { everyMs: 100 });
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).currentTime > 0.3, undefined, { timeout: 15_000 });
    t.true((await snap(page)).currentTime > 0.3, 'plays again');
  } finally {
    await browser?.close();
    abort.abort();
    await replaying;
    await viewer.close();
    await feed.close();
  }
});

