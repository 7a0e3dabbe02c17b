import { setTimeout as sleep } from 'node:timers/promises';

/** Waits until `cond()` holds, checking every 5 ms; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out waiting for condition');
    await sleep(5);
  }
}
