import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, toolAvailable } from './tool.js';

/** How to make a test stream with {@link generateTs}. Every field is part of the cache key. */
export interface GenerateTsOptions {
  /** Length in seconds (default 20). */
  durationS?: number;
  /** Constant mux rate in bits per second, padding included (ffmpeg `-muxrate`; default 5 000 000). */
  bitrate?: number;
  /** Picture size (default 1280x720). */
  width?: number;
  height?: number;
  /** Frames per second (default 25). */
  fps?: number;
  /** Cache directory (default `<os tmpdir>/perfect-socket-media`). */
  dir?: string;
  /** The ffmpeg binary (default `ffmpeg` on PATH). */
  ffmpeg?: string;
}

/** A generated stream on disk. */
export interface GeneratedTs {
  /** Path of the .ts file. */
  path: string;
  /** Its constant mux rate, bits per second: the rate to replay it at. */
  bitrate: number;
  durationS: number;
  /** Bytes in the file. */
  bytes: number;
  /** True when an earlier call had already made it. */
  cached: boolean;
}

function checked(value: number, name: string, min: number, max: number): number {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new RangeError(`${name} must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Bumped whenever the ffmpeg recipe changes, so stale cached files are not reused. */
const RECIPE = 1;

/**
 * Makes an MPEG-TS test stream with ffmpeg: lavfi `testsrc2` video (libx264, `-tune zerolatency`,
 * so no B-frames and no lookahead, as a live encoder sends) with a sine tone (AAC), muxed at a
 * constant rate with null-packet padding so it can be replayed at a fixed datagram rate. The
 * file is cached in a temp directory under a name made of its parameters.
 *
 * On this project's 2-core VM the default 20 s at 720p25 takes about 4 s to encode.
 * @throws RangeError for a parameter out of range; Error when ffmpeg is missing or fails
 */
export async function generateTs(options: GenerateTsOptions = {}): Promise<GeneratedTs> {
  const durationS = checked(options.durationS ?? 20, 'durationS', 0.1, 3600);
  const bitrate = Math.round(checked(options.bitrate ?? 5_000_000, 'bitrate', 300_000, 100_000_000));
  const width = checked(options.width ?? 1280, 'width', 16, 3840);
  const height = checked(options.height ?? 720, 'height', 16, 2160);
  const fps = checked(options.fps ?? 25, 'fps', 1, 120);
  const ffmpeg = options.ffmpeg ?? 'ffmpeg';
  const dir = options.dir ?? join(tmpdir(), 'perfect-socket-media');
  const path = join(dir, `testsrc2-${width}x${height}-${fps}fps-${bitrate}bps-${durationS}s-r${RECIPE}.ts`);
  try {
    return { path, bitrate, durationS, bytes: statSync(path).size, cached: true };
  } catch {
    // Not made yet.
  }
  mkdirSync(dir, { recursive: true });
  // Audio and TS/PES headers take their share; the video gets the rest minus a margin so the
  // muxer always has room (a stream above -muxrate breaks the constant rate).
  const audio = bitrate >= 2_000_000 ? 128_000 : 64_000;
  const video = Math.round(bitrate * 0.78 - audio);
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const args = [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000',
    '-t', String(durationS), '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-b:v', String(video), '-maxrate', String(video), '-bufsize', String(Math.round(video / 2)),
    '-g', String(Math.round(fps * 2)),
    '-c:a', 'aac', '-b:a', String(audio),
    '-f', 'mpegts', '-muxrate', String(bitrate), tmp,
  ];
  const result = await runTool(ffmpeg, args);
  if (result.code !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`ffmpeg failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }
  // Rename last, so a concurrent caller never sees a half-written file under the cache name.
  renameSync(tmp, path);
  return { path, bitrate, durationS, bytes: statSync(path).size, cached: false };
}

/** True when ffmpeg can be run (`ffmpeg -version` exits 0). */
export function ffmpegAvailable(ffmpeg = 'ffmpeg'): Promise<boolean> {
  return toolAvailable(ffmpeg);
}
