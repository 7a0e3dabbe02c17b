/**
 * The browser viewer (issue 9), part 2: three headless Chromium pages on one live stream. The
 * second takes it from the first and the third from the second over WebRTC data channels, so the
 * server sends it about once (egress counted on its WebSockets); then the middle page closes and
 * the third must keep playing, through another parent or the WebSocket, without a long stall.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { generateTs, replay, splitDatagrams } from '../src/media/index.js';
import { startViewerServer, udpFeed, type ViewerServer } from '../src/p2p/viewer/index.js';
import { browserReady, CHROMIUM, CHROMIUM_ARGS, longestStall, skipOrFail, snap, type Snapshot } from './helpers/viewer-page.js';
import { until } from './helpers/wait.js';

/** The P2P latency budget (the coordinator's default): a repair must not stall playback longer. */
const BUDGET_MS = 1000;

/** Runs the three-page scenario; `check` gets the pages and the server once all three play. */
async function threeViewers(
  maxParents: number,
  check: (pages: Page[], viewer: ViewerServer) => Promise<void>,
): Promise<void> {
  const ts = await generateTs({ durationS: 40, width: 640, height: 360, bitrate: 1_500_000 });
  const datagrams = splitDatagrams(readFileSync(ts.path));
  const feed = await udpFeed({ host: '127.0.0.1', port: 0 });
  const viewer = await startViewerServer({ host: '127.0.0.1', port: 0, feed, maxParents });
  const abort = new AbortController();
  const replaying = replay(datagrams, { target: { host: '127.0.0.1', port: feed.address.port }, bitrate: ts.bitrate, signal: abort.signal });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const pages: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
      await page.goto(viewer.url);
      await page.waitForFunction(() => '__viewer' in globalThis); // the module script has run
      pages.push(page);
      // Each joins once the one before plays, so it can be a parent: playing on the page, and
      // known to the server to play (its 'playing' message can lag the video; a page opened
      // before it lands gets an earlier parent, as one clean-clone run showed).
      await until(async () => (await snap(page)).currentTime > 0.3, 20_000, { what: `page ${i + 1} to play`, everyMs: 100 });
      const { id } = await snap(page);
      await until(() => viewer.state().viewers.some((v) => v.id === id && v.playing), 20_000, { what: `the server to know page ${i + 1} plays` });
    }
    await check(pages, viewer);
  } finally {
    await browser?.close();
    abort.abort();
    await replaying;
    await viewer.close();
    await feed.close();
  }
}

test.serial('three browsers in a chain: the third is fed by the second, the server sends the stream once, and survives the second closing', async (t) => {
  if (!browserReady) return skipOrFail(t);
  // One parent each makes the chain strict: v1 <- WebSocket, v2 <- v1, v3 <- v2.
  await threeViewers(1, async (pages, viewer) => {
    const [first, second, third] = pages as [Page, Page, Page];
    const [id1, id2, id3] = await Promise.all(pages.map(async (p) => (await snap(p)).id));
    let last: Snapshot[] = [];
    await until(
      async () => {
        last = await Promise.all(pages.map(snap));
        return last[0]!.wsFeed && !last[1]!.wsFeed && !last[2]!.wsFeed && last[2]!.activeParents.length > 0;
      },
      30_000,
      { what: 'the chain to settle', everyMs: 100 },
    ).catch((err: Error) => {
      for (const s of last) t.log(`${s.id}: ws ${s.wsFeed} parents ${s.activeParents} | ${s.log.slice(-8).join(' | ')}`);
      throw err;
    });
    const tree = viewer.state().viewers;
    t.deepEqual(tree.map((v) => [v.id, v.parents, v.wsFeed]), [[id1, [], true], [id2, [id1], false], [id3, [id2], false]], 'signalling state');

    // Egress over a steady window against the stream over the same window.
    const s0 = viewer.state();
    const b0 = await snap(third);
    await sleep(8000);
    const s1 = viewer.state();
    const b1 = await snap(third);
    const ratio = (s1.egressBytes - s0.egressBytes) / (s1.streamBytes - s0.streamBytes);
    const fromSecond = b1.bytesByFeed[`peer:${id2}`]! - (b0.bytesByFeed[`peer:${id2}`] ?? 0);
    const fromServer = (b1.bytesByFeed.ws ?? 0) - (b0.bytesByFeed.ws ?? 0);
    t.log(`server egress ${(s1.egressBytes - s0.egressBytes) / 1e6} MB for ${(s1.streamBytes - s0.streamBytes) / 1e6} MB of stream: ${ratio.toFixed(3)}x with 3 viewers`);
    t.log(`third page in 8 s: ${(fromSecond / 1e6).toFixed(2)} MB from ${id2}, ${fromServer} B from the server; frames ${b1.framesDecoded} decoded, ${b1.framesDropped} dropped`);
    t.true(ratio < 1.5, `server egress ${ratio.toFixed(3)}x the stream (limit 1.5x)`);
    t.true(fromSecond > 0.8 * (s1.streamBytes - s0.streamBytes), 'the third page got the stream from the second');
    t.is(fromServer, 0, 'and nothing from the server');
    t.deepEqual(b1.activeParents, [id2]);
    t.true(b1.currentTime - b0.currentTime > 7, 'and played it');

    // The middle tab closes; the third must repair without stalling past the budget.
    await second.close();
    const { stallMs, advancedS } = await longestStall(third, 6000);
    const after = await snap(third);
    const feedNow = after.activeParents.length > 0 ? `browser ${after.activeParents.join(',')}` : 'WebSocket';
    t.log(`after closing ${id2}: third advanced ${advancedS.toFixed(2)} s in 6 s, longest stall ${stallMs} ms, now fed by ${feedNow}; lost ${after.lost}`);
    t.log(after.log.slice(-6).join(' | '));
    t.true(stallMs < BUDGET_MS, `longest stall ${stallMs} ms < ${BUDGET_MS} ms`);
    t.true(advancedS > 4.5, 'the third keeps playing');
    t.deepEqual(viewer.state().viewers.map((v) => v.id), [id1, id3]);
    t.true((await snap(first)).currentTime > 0);
  });
});

test.serial('with two parents each (the default), the third loses nothing when one closes', async (t) => {
  if (!browserReady) return skipOrFail(t);
  await threeViewers(2, async (pages, viewer) => {
    const [, second, third] = pages as [Page, Page, Page];
    const [id1, id2, id3] = await Promise.all(pages.map(async (p) => (await snap(p)).id));
    await until(async () => (await snap(third)).activeParents.length === 2, 20_000, { what: 'the third to use both parents', everyMs: 100 });
    // The tree as the server sees it: waited for rather than sampled once, since on a loaded
    // machine a page may drop a parent for a moment and take it back.
    const sorted = (ids: string[] | undefined) => [...(ids ?? [])].sort().join(',');
    const shaped = () => {
      const tree = viewer.state().viewers;
      return (
        sorted(tree.find((v) => v.id === id3)?.parents) === sorted([id1, id2]) &&
        sorted(tree.find((v) => v.id === id1)?.children) === sorted([id2, id3])
      );
    };
    await until(shaped, 20_000, { what: 'the third to take both earlier pages, and the first to feed both others', everyMs: 100 });
    const s0 = viewer.state();
    await sleep(4000);
    const s1 = viewer.state();
    const ratio = (s1.egressBytes - s0.egressBytes) / (s1.streamBytes - s0.streamBytes);
    t.log(`server egress ${ratio.toFixed(3)}x the stream with 3 viewers`);
    t.true(ratio < 1.5);
    const before = await snap(third);
    await second.close();
    const { stallMs, advancedS } = await longestStall(third, 5000);
    const after = await snap(third);
    t.log(`after closing ${id2}: advanced ${advancedS.toFixed(2)} s in 5 s, longest stall ${stallMs} ms, lost ${after.lost - before.lost}, fed by ${after.activeParents.join(',') || 'WebSocket'}`);
    t.true(stallMs < BUDGET_MS);
    t.true(advancedS > 4);
    t.deepEqual(after.activeParents, [id1], 'the remaining parent carries on');
  });
});

test.serial('a parent that hangs with its sockets open is given up after its silence, and the third keeps playing', async (t) => {
  if (!browserReady) return skipOrFail(t);
  await threeViewers(1, async (pages, viewer) => {
    const [first, second, third] = pages as [Page, Page, Page];
    const [id1, id2, id3] = await Promise.all(pages.map(async (p) => (await snap(p)).id));
    // Usually the second page feeds the third; on a slow machine the first may have got it.
    let parent: string | undefined;
    await until(
      async () => {
        parent = (await snap(third)).activeParents[0];
        return parent === id1 || parent === id2;
      },
      20_000,
      { what: 'the third to be fed by a browser', everyMs: 100 },
    );
    const [hung, hungId, other] = parent === id2 ? [second, id2, id1] : [first, id1, id2];
    // Pause the parent page's JavaScript in the debugger: it stops forwarding, but its WebSocket
    // and data channels stay open, so only the child's silence detection can notice (a hung
    // tab). A busy loop did the same, but took a whole core of a 2-core machine from the pages
    // and the server whose recovery is measured (one clean-clone run stalled 1.3 s that way).
    const debug = await hung.context().newCDPSession(hung);
    await debug.send('Debugger.enable');
    await debug.send('Debugger.pause');
    const { stallMs, advancedS } = await longestStall(third, 5000);
    const after = await snap(third);
    t.log(`while ${hungId} hangs: third advanced ${advancedS.toFixed(2)} s in 5 s, longest stall ${stallMs} ms, fed by ${after.activeParents.join(',') || 'WebSocket'}, lost ${after.lost}`);
    t.log(after.log.slice(-5).join(' | '));
    t.true(after.log.some((l) => l.includes(`parent ${hungId} lost (silent)`)), 'the silence was noticed');
    t.true(stallMs < BUDGET_MS, `longest stall ${stallMs} ms < ${BUDGET_MS} ms`);
    t.true(advancedS > 3.5, 'keeps playing'); // loose: a loaded 2-core VM; the stall bound is the sharp check
    // The server gives it the other page, or (when the first page hung, starving the second
    // too) the WebSocket; never the hung one again.
    const parents = viewer.state().viewers.find((v) => v.id === id3)!.parents;
    t.true(parents.length === 0 || (parents.length === 1 && parents[0] === other), `the server gave it ${parents.join(',') || 'the WebSocket'} instead of ${hungId}`);
    await debug.send('Debugger.resume');
    await debug.detach();
  });
});

test.serial('contrast: with browser parents off, the server sends the stream to each of the three', async (t) => {
  if (!browserReady) return skipOrFail(t);
  // The egress count is what the 1.5x check above relies on: here it must come out near 3x.
  await threeViewers(0, async (pages, viewer) => {
    const s0 = viewer.state();
    await sleep(4000);
    const s1 = viewer.state();
    const ratio = (s1.egressBytes - s0.egressBytes) / (s1.streamBytes - s0.streamBytes);
    t.log(`server egress ${ratio.toFixed(3)}x the stream with 3 viewers, all on the WebSocket`);
    t.true(ratio > 2.8 && ratio < 3.3);
    t.true(viewer.state().viewers.every((v) => v.wsFeed && v.parents.length === 0));
    t.true((await snap(pages[2]!)).currentTime > 0);
  });
});
