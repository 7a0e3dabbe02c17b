/**
 * The coordinator's state server and live tree page (src/p2p/web/): the HTTP routes directly, and
 * the page in real headless Chromium (Debian `chromium`, driven by playwright-core) against a
 * generated state that changes while the page is open.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStateServer, type StateServer } from '../src/p2p/web/index.js';
import type { CoordinatorState, PeerState } from '../src/p2p/state.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A plausible state: `count` peers dealt round robin to `stripes` home stripes. In its home stripe
 * a peer sits in a ternary tree of that stripe's home peers under the root; in every other stripe
 * it is a leaf under one of that stripe's home peers. Loss varies by peer: a few lossy, a few
 * slightly lossy, most clean. `orphan` leaves one peer without a parent in stripe 1.
 */
function makeState(count: number, stripes: number, opts: { bps?: number; orphan?: string } = {}): CoordinatorState {
  const bps = opts.bps ?? 5_000_000;
  const ids = Array.from({ length: count }, (_, i) => `p${String(i).padStart(2, '0')}`);
  const homes = Array.from({ length: stripes }, (_, s) => ids.filter((_, i) => i % stripes === s));
  const parents = new Map<string, (string | null)[]>(ids.map((id) => [id, []]));
  const depth = new Map<string, number[]>(ids.map((id) => [id, []]));
  for (let s = 0; s < stripes; s++) {
    const home = homes[s];
    home.forEach((id, j) => {
      const parent = j === 0 ? 'root' : home[Math.floor((j - 1) / 3)];
      parents.get(id)![s] = parent;
      depth.get(id)![s] = parent === 'root' ? 1 : depth.get(parent)![s] + 1;
    });
    ids.filter((id) => !home.includes(id)).forEach((id, k) => {
      const parent = home[k % home.length];
      parents.get(id)![s] = parent;
      depth.get(id)![s] = depth.get(parent)![s] + 1;
    });
  }
  if (opts.orphan) {
    parents.get(opts.orphan)![1] = null;
  }
  const peers: PeerState[] = ids.map((id, i) => ({
    id,
    address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}:5000`,
    homeStripe: i % stripes,
    parents: parents.get(id)!,
    depth: depth.get(id)!,
    loss: i % 7 === 3 ? 0.02 : i % 5 === 4 ? 0.0005 : 0,
    rawLoss: i % 7 === 3 ? 0.08 : 0.01 + (i % 4) * 0.005,
    inBps: bps * (1.25 + (i % 3) * 0.01),
    outBps: i % stripes === 0 ? bps * 2 : bps * 0.6,
    rttMs: 20 + i,
    lastSeenMs: i === count - 1 ? 4500 : 300 + i * 10,
  }));
  const maxDepth = Math.max(...peers.flatMap((p) => p.depth));
  return {
    stream: { bitsPerSecond: bps, stripes, k: 8, n: 12, latencyMs: 400 },
    rootUploadBps: bps * 2,
    rootUploadRatio: 2,
    shape: {
      peers: count,
      maxDepth,
      minDepth: 3,
      meanDepth: peers.flatMap((p) => p.depth).reduce((a, b) => a + b, 0) / (count * stripes),
      rootChildren: stripes,
      borrowed: 0,
      orphaned: opts.orphan ? 1 : 0,
    },
    peers,
    counters: { joins: count, leaves: 0, crashes: 0, moves: 0 },
  };
}

/** Starts a server on a free loopback port over a mutable state. */
async function serve(initial: CoordinatorState, pushIntervalMs = 200) {
  const box = { state: initial, fail: false };
  const server = await startStateServer({
    host: '127.0.0.1',
    port: 0,
    pushIntervalMs,
    getState: () => {
      if (box.fail) throw new Error('snapshot failed');
      return box.state;
    },
  });
  const base = `http://127.0.0.1:${server.address.port}`;
  return { box, server, base };
}

/** Sends raw bytes and returns whatever the server answers before it closes or 2 s pass. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (got += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    setTimeout(() => socket.destroy(), 2000);
  });
}

test('state server: /state.json is the snapshot, bad routes 404, other methods 405, errors do not kill it', async (t) => {
  const { box, server, base } = await serve(makeState(30, 4));
  try {
    const res = await fetch(`${base}/state.json`);
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
    t.is(res.headers.get('cache-control'), 'no-store');
    t.deepEqual(await res.json(), box.state);

    const page = await fetch(`${base}/`);
    t.is(page.status, 200);
    t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
    t.truthy(page.headers.get('content-security-policy'));
    const html = await page.text();
    t.true(html.includes('<svg') || html.includes("svgEl('svg'"));
    t.false(/https?:\/\/(?!www\.w3\.org)/.test(html), 'the page loads nothing from the internet');

    const query = await fetch(`${base}/state.json?x=1`);
    t.is(query.status, 200, 'a query string does not change the route');
    await query.arrayBuffer();

    for (const path of ['/nope', '/state.json/', '/state', '/../etc/passwd', '/%zz', '//state.json']) {
      const r = await fetch(base + path);
      t.is(r.status, 404, path);
      t.deepEqual(await r.json(), { error: 'not found' });
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await fetch(`${base}/state.json`, { method, body: method === 'POST' || method === 'PUT' ? '{}' : undefined });
      t.is(r.status, 405, method);
      t.is(r.headers.get('allow'), 'GET, HEAD');
      await r.arrayBuffer();
    }
    const head = await fetch(`${base}/state.json`, { method: 'HEAD' });
    t.is(head.status, 200);
    t.is(await head.text(), '');
    t.true(Number(head.headers.get('content-length')) > 1000, 'HEAD announces the body it would send');

    // A snapshot that throws is a 500 for that request only.
    box.fail = true;
    const broken = await fetch(`${base}/state.json`);
    t.is(broken.status, 500);
    t.deepEqual(await broken.json(), { error: 'snapshot failed' });
    box.fail = false;

    // Malformed HTTP gets a 400 and the server keeps serving.
    t.regex(await raw(server.address.port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
    t.regex(await raw(server.address.port, `GET /state.json HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n`), /^HTTP\/1\.1 400/);
    t.regex(await raw(server.address.port, `GET ${'/a'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 (400|431|404)/);
    t.is((await fetch(`${base}/state.json`)).status, 200);
  } finally {
    await server.close();
  }
});

test('state server: /events pushes the state as Server-Sent Events until close()', async (t) => {
  const { box, server, base } = await serve(makeState(5, 2), 50);
  const res = await fetch(`${base}/events`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const states: CoordinatorState[] = [];
  // Change the state after the first push; the stream must carry the new one too.
  while (states.length < 3 || states.at(-1)!.counters.moves !== 7) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (frame.includes('event: state') && data) states.push(JSON.parse(data.slice(6)));
    }
    if (states.length >= 1 && box.state.counters.moves === 0) box.state = { ...box.state, counters: { ...box.state.counters, moves: 7 } };
  }
  t.true(states.length >= 3);
  t.is(states[0].counters.moves, 0);
  t.is(states.at(-1)!.counters.moves, 7);
  // close() must not hang on the open event stream, and the stream ends.
  await server.close();
  const ended = (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return true;
  })();
  t.true(await Promise.race([ended, sleep(2000).then(() => false)]), 'the event stream ends on close()');
});

const haveChromium = existsSync(CHROMIUM);
const browserTest = haveChromium
  ? test.serial
  : (title: string, _fn: unknown) =>
      test.skip(`${title} [skipped: no Chromium at ${CHROMIUM}; apt-get install chromium, or set CHROMIUM_PATH]`, () => {});

let browser: Browser | undefined;
test.after.always(async () => {
  await browser?.close();
});
async function openPage(url: string): Promise<Page> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  return page;
}
/** Text of the big figure in one summary card. */
function cardValue(page: Page, field: string) {
  return page.locator(`[data-field="${field}"] .v`).textContent();
}
function cardSub(page: Page, field: string) {
  return page.locator(`[data-field="${field}"] .s`).textContent();
}

browserTest('state page: draws every peer in every stripe tree, the summary figures, and updates live', async (t) => {
  const { box, server, base } = await serve(makeState(30, 4, { orphan: 'p05' }));
  const page = await openPage(base + '/');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    await page.waitForSelector('[data-field="peers"]');
    const state = box.state;
    const ids = state.peers.map((p) => p.id);

    // Every peer (and the root) appears once per stripe tree, with its id as a label.
    for (let s = 0; s < 4; s++) {
      const drawn = await page.locator(`svg[data-stripe="${s}"] g.node[data-peer]`).evaluateAll((gs) => gs.map((g) => g.getAttribute('data-peer')));
      t.deepEqual([...drawn].sort(), ['root', ...ids].sort(), `stripe ${s}`);
      const labels = await page.locator(`svg[data-stripe="${s}"] text.label`).allTextContents();
      t.deepEqual(labels.sort(), ['root', ...ids].sort());
      // Edges: one per peer, to its parent (or, orphaned, to the "no parent" marker).
      t.is(await page.locator(`svg[data-stripe="${s}"] path.edge`).count(), 30, `stripe ${s} edges`);
      t.is(await page.locator(`svg[data-stripe="${s}"] path.edge.orphan`).count(), s === 1 ? 1 : 0);
      t.is(await page.locator(`svg[data-stripe="${s}"] g.node.none`).count(), s === 1 ? 1 : 0);
    }
    // p05 is interior in stripe 1 (its home): orphaned, it keeps its subtree under "no parent".
    t.regex((await page.locator('figure[data-stripe="1"] figcaption').textContent()) ?? '', /1 orphaned/);

    // A node sits one row below its parent in stripe 0 (the layout follows the tree).
    const rowOf = (id: string) =>
      page.locator(`svg[data-stripe="0"] g.node[data-peer="${id}"]`).getAttribute('transform').then((tr) => Number(/,([\d.]+)\)/.exec(tr!)![1]));
    const p04 = state.peers.find((p) => p.id === 'p04')!;
    t.is((await rowOf('p04')) - (await rowOf(p04.parents[0]!)), 58);

    // Summary figures straight from the state.
    t.is(await cardValue(page, 'stream'), '5.00 Mbit/s');
    t.is(await cardSub(page, 'stream'), '4 stripes · RS k=8 n=12 · latency 400 ms');
    t.is(await cardValue(page, 'peers'), '30');
    t.is(await cardValue(page, 'depth'), `${state.shape.maxDepth} / 3`);
    t.is(await cardValue(page, 'root'), '2.00×');
    t.is(await cardSub(page, 'root'), '10.00 Mbit/s · 4 children');
    t.is(await cardValue(page, 'counters'), '30 / 0');
    t.regex((await page.locator('#status').textContent()) ?? '', /live/);

    // Per-peer loss and rate: colour by loss, rate under the label, the table row.
    const fill = (id: string) => page.locator(`svg[data-stripe="0"] g.node[data-peer="${id}"] circle`).getAttribute('fill');
    t.regex((await fill('p03'))!, /^hsl\(0,/, 'p03 loses 2%: red');
    t.regex((await fill('p00'))!, /^hsl\(120,/, 'p00 loses nothing: green');
    t.is(await page.locator('svg[data-stripe="0"] g.node[data-peer="p00"] text.rate').textContent(), '6.3M');
    t.is(await page.locator('#peers tbody tr').count(), 30);
    const worst = await page.locator('#peers tbody tr').first().locator('td').allTextContents();
    t.is(worst[0], 'p03');
    t.deepEqual(worst.slice(3, 5), ['2.0%', '8.0%']);
    t.true(await page.locator('svg[data-stripe="0"] g.node.stale[data-peer="p29"]').isVisible(), 'p29 silent 4.5 s: drawn stale');

    t.true((await page.screenshot({ path: docsShot() })).length > 20_000, 'the page paints');

    // The state changes: a peer joins, the rate and counters move; the page follows without reload.
    const before = Number(await page.evaluate(() => document.body.dataset.renders));
    const next = makeState(31, 4, { bps: 6_000_000 });
    next.counters = { joins: 33, leaves: 2, crashes: 1, moves: 5 };
    next.peers[3] = { ...next.peers[3], loss: 0 };
    box.state = next;
    await page.waitForFunction(() => document.querySelector('[data-field="peers"] .v')?.textContent === '31', null, { timeout: 5000 });
    t.true(Number(await page.evaluate(() => document.body.dataset.renders)) > before);
    t.is(await cardValue(page, 'stream'), '6.00 Mbit/s');
    t.is(await cardValue(page, 'counters'), '33 / 2');
    t.is(await cardSub(page, 'counters'), '1 crashes · 5 moves');
    for (let s = 0; s < 4; s++) t.is(await page.locator(`svg[data-stripe="${s}"] g.node[data-peer]`).count(), 32);
    t.is(await page.locator('svg g.node[data-peer="p30"]').count(), 4);
    t.regex((await fill('p03'))!, /^hsl\(120,/, 'p03 recovered: green');
    t.falsy(await page.locator('figure[data-stripe="1"] figcaption').textContent().then((c) => /orphaned/.test(c ?? '')));
    t.deepEqual(errors, []);
  } finally {
    await page.close();
    await server.close();
  }
});

browserTest('state page: many peers stay drawable; hostile ids are text; falls back to polling without SSE', async (t) => {
  const state = makeState(400, 4);
  state.peers[0] = { ...state.peers[0], id: '<img src=x onerror="window.pwned=1">', address: '<b>x</b>' };
  for (const p of state.peers) p.parents = p.parents.map((q) => (q === 'p00' ? state.peers[0].id : q));
  const { box, server, base } = await serve(state);
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // An endpoint that does not speak SSE (a proxy in the way): EventSource gives up, the page polls.
  await page.route('**/events', (route) => route.fulfill({ status: 404, body: 'no' }));
  try {
    await page.goto(base + '/');
    await page.waitForSelector('[data-field="peers"]');
    t.is(await cardValue(page, 'peers'), '400');
    for (let s = 0; s < 4; s++) t.is(await page.locator(`svg[data-stripe="${s}"] g.node[data-peer]`).count(), 401);
    // Leaves packed under their parents: 400 peers fit a 1280-pixel window without scrolling,
    // as dots (labels hidden, each node keeps its tooltip).
    for (let s = 0; s < 4; s++) {
      const overflow = await page.locator(`figure[data-stripe="${s}"]`).evaluate((f) => f.scrollWidth - f.clientWidth);
      t.true(overflow <= 0, `stripe ${s} overflows by ${overflow}px`);
    }
    t.is(await page.locator('svg.dense').count(), 4);
    t.regex((await page.locator('svg[data-stripe="0"] g.node[data-peer="p07"] title').textContent()) ?? '', /^p07 10\.0\.0\.9:5000\nloss/);
    t.is(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    t.is(await page.locator('#peers img').count(), 0);
    t.is(await page.locator('#peers tbody tr').count(), 200, 'the table caps at the 200 worst');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.mode === 'polling', null, { timeout: 5000 });
    box.state = { ...box.state, counters: { ...box.state.counters, moves: 99 } };
    await page.waitForFunction(() => /99 moves/.test(document.querySelector('[data-field="counters"] .s')?.textContent ?? ''), null, { timeout: 5000 });
    t.pass();
  } finally {
    await page.close();
    await server.close();
  }
});

browserTest('state page: drawn against a live coordinator with real peers, and follows a peer leaving', async (t) => {
  // The real thing: a coordinator with its state server, six peers on loopback, a ~2 Mbit/s source.
  const { startCoordinator } = await import('../src/p2p/coordinator.js');
  const { startPeer } = await import('../src/p2p/peer.js');
  const loopback = '127.0.0.1';
  const coordinator = await startCoordinator({ listen: { host: loopback, port: 0 }, from: { host: loopback, port: 0 }, web: { host: loopback, port: 0 } });
  const sink = createSocket('udp4');
  const source = createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, loopback, resolve));
  const peers: Awaited<ReturnType<typeof startPeer>>[] = [];
  const feed = setInterval(() => {
    for (let i = 0; i < 4; i++) source.send(Buffer.alloc(1316, i), coordinator.input.port, loopback);
  }, 20);
  let page: Page | undefined;
  try {
    for (let i = 0; i < 6; i++) {
      peers.push(await startPeer({ coordinator: { host: loopback, port: coordinator.address.port }, to: { host: loopback, port: sink.address().port }, bind: { host: loopback }, uploadRatio: 2 }));
    }
    page = await openPage(`http://${loopback}:${coordinator.web!.port}/`);
    await page.waitForFunction(() => document.querySelector('[data-field="peers"] .v')?.textContent === '6', null, { timeout: 10_000 });
    const ids = coordinator.state().peers.map((p) => p.id);
    const stripes = coordinator.state().stream.stripes;
    for (let s = 0; s < stripes; s++) {
      const drawn = await page.locator(`svg[data-stripe="${s}"] g.node[data-peer]`).evaluateAll((gs) => gs.map((g) => g.getAttribute('data-peer')));
      t.deepEqual([...drawn].sort(), ['root', ...ids].sort(), `stripe ${s}`);
    }
    // Reports arrive: the stream rate and per-peer rates show real traffic.
    await page.waitForFunction(() => /Mbit\/s|kbit\/s/.test(document.querySelector('[data-field="stream"] .v')?.textContent ?? ''), null, { timeout: 10_000 });
    t.is(await page.locator('#peers tbody tr').count(), 6);

    // A peer leaves gracefully: the page drops it without a reload.
    const gone = peers.pop()!;
    const goneId = gone.id;
    await gone.close();
    await page.waitForFunction(() => document.querySelector('[data-field="peers"] .v')?.textContent === '5', null, { timeout: 10_000 });
    t.is(await page.locator(`svg g.node[data-peer="${goneId}"]`).count(), 0);
    t.is(await cardValue(page, 'counters'), '6 / 1', 'joins / leaves');
  } finally {
    clearInterval(feed);
    await page?.close();
    for (const peer of peers) await peer.close();
    await coordinator.close();
    sink.close();
    source.close();
  }
});

/**
 * The screenshot is always taken (it proves the page paints), but only rewrites the committed
 * docs/p2p-state.png when asked (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
 */
function docsShot(): string | undefined {
  return process.env.UPDATE_SCREENSHOTS ? `${root}docs/p2p-state.png` : undefined;
}
