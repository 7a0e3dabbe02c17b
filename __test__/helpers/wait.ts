import { setTimeout as sleep } from 'node:timers/promises';

/** How {@link until} reports and paces itself. */
export interface UntilOptions {
  /** What is awaited, for the timeout's message. */
  what?: string;
  /** Pause between checks, ms (default 5; a check that asks a browser wants more). */
  everyMs?: number;
}

/** Waits until `cond()` holds (it may be async), checking every `everyMs`; throws after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, options: UntilOptions = {}): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${options.what ?? 'condition'}`);
    await sleep(options.everyMs ?? 5);
  }
}
