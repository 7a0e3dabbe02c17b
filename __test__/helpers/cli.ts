import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI, what `perfect-socket` runs (`npm test` builds it first). */
export const BUILT_MAIN = join(root, 'dist/cli/main.js');

/** A `perfect-socket` child process and what it printed so far. */
export interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Waits until stderr says "listening on 127.0.0.1:PORT"; returns the port. */
  listening: () => Promise<number>;
}

/**
 * Runs `perfect-socket ARGS`, from the TypeScript sources through tsx (`from: 'src'`, the
 * default) or from dist/ (`'dist'`); killed when the test ends.
 */
export function cli(t: ExecutionContext, args: string[], from: 'src' | 'dist' = 'src'): Cli {
  const entry = from === 'src' ? ['--import', 'tsx', 'src/cli/main.ts'] : [BUILT_MAIN];
  const child = spawn(process.execPath, [...entry, ...args], { cwd: root });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const listening = async (): Promise<number> => {
    const end = Date.now() + 15_000;
    for (;;) {
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(err)?.[1];
      if (port) return Number(port);
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no "listening on" from ${args.join(' ')}: ${err}`);
      await sleep(10);
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, listening };
}
