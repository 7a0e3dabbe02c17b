import { spawn } from 'node:child_process';

/** What an external tool printed and how it ended. */
export interface ToolResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion, feeding it `stdin` if given, and collects its output.
 * @throws Error when the program cannot be started (e.g. not installed), naming it
 */
export function runTool(command: string, args: string[], stdin?: Uint8Array): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', (e) => reject(new Error(`cannot run ${command}: ${e.message}`)));
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    // A tool that stops reading early (it found what it needed) closes the pipe: not our error.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/** True when `command -version` runs and exits 0 (ffmpeg, ffprobe). */
export async function toolAvailable(command: string): Promise<boolean> {
  try {
    return (await runTool(command, ['-version'])).code === 0;
  } catch {
    return false;
  }
}
