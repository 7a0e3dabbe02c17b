import { runTool } from './tool.js';

/**
 * Decodes a transport stream with ffmpeg (`ffmpeg -v error -i INPUT -f null -`) and returns the
 * error lines it printed: none for an intact stream; lost packets show up as continuity-counter
 * and decoder errors.
 * @param input - a file path, or the stream's bytes (fed on stdin)
 * @param ffmpeg - the ffmpeg binary (default `ffmpeg` on PATH)
 * @throws Error when ffmpeg cannot be started
 */
export async function checkTs(input: string | Uint8Array, ffmpeg = 'ffmpeg'): Promise<string[]> {
  const fromStdin = typeof input !== 'string';
  const args = ['-nostdin', '-v', 'error', '-f', 'mpegts', '-i', fromStdin ? 'pipe:0' : input, '-f', 'null', '-'];
  if (fromStdin) args.splice(0, 1); // -nostdin would stop it reading the stream
  const result = await runTool(ffmpeg, args, fromStdin ? input : undefined);
  const lines = result.stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
  if (result.code !== 0 && lines.length === 0) lines.push(`ffmpeg exited with code ${result.code}`);
  return lines;
}
