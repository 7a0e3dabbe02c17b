import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { ffmpegAvailable } from '../../src/media/index.js';

/** Debian's Chromium, which .ci/run installs. */
export const CHROMIUM = '/usr/bin/chromium';
/** Headless playback, and loopback WebRTC between pages: real host candidates instead of mDNS names, loopback allowed. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
];
export const browserReady = existsSync(CHROMIUM) && ffmpegAvailable();
/** In CI (.ci/run installs both) a missing browser is a failure, not a skip. */
export const skipOrFail = (t: { pass(m: string): void; fail(m: string): void }): void =>
  process.env.CI ? t.fail(`${CHROMIUM} or ffmpeg missing in CI`) : t.pass(`skipped: needs ${CHROMIUM} and ffmpeg`);

/** What the viewer page reports about itself (`window.__viewer.snapshot()`, static/viewer.js). */
export interface Snapshot {
  id: string;
  wsFeed: boolean;
  bytesByFeed: Record<string, number>;
  parents: string[];
  activeParents: string[];
  children: string[];
  currentTime: number;
  framesDecoded: number;
  framesDropped: number;
  recovered: number;
  lost: number;
  simulatedDrops: number;
  resendAsks: number;
  released: number;
  ageMs: number;
  bufferedS: number;
  width: number;
  height: number;
  log: string[];
}

/** The page's snapshot. */
export const snap = (page: Page): Promise<Snapshot> =>
  page.evaluate(() => (globalThis as unknown as { __viewer: { snapshot(): Snapshot } }).__viewer.snapshot());

/** Samples currentTime every 100 ms for `ms`; returns the longest stretch without progress. */
export async function longestStall(page: Page, ms: number): Promise<{ stallMs: number; advancedS: number }> {
  let last = (await snap(page)).currentTime;
  const start = last;
  let lastMoved = Date.now();
  let stallMs = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(100);
    const now = (await snap(page)).currentTime;
    if (now > last) {
      stallMs = Math.max(stallMs, Date.now() - lastMoved);
      lastMoved = Date.now();
      last = now;
    }
  }
  return { stallMs: Math.max(stallMs, Date.now() - lastMoved), advancedS: last - start };
}
