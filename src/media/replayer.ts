import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

/** Where and how fast {@link replay} sends. */
export interface ReplayOptions {
  /** Destination; an IP literal avoids a DNS lookup. */
  target: { host: string; port: number };
  /** Send rate in bits per second of datagram payload: the stream's constant mux rate. */
  bitrate: number;
  /** Local address to send from (default: all interfaces, any free port). */
  bind?: { host?: string; port?: number };
  /** Stops sending early; the result then covers the datagrams sent so far. */
  signal?: AbortSignal;
}

/** What {@link replay} did. */
export interface ReplayResult {
  /** `sendTimes[i]` is `performance.now()` just before datagram i was handed to the socket; NaN if never sent. */
  sendTimes: Float64Array;
  /** Datagrams sent (fewer than given only when aborted). */
  sent: number;
  /** Payload bytes sent. */
  bytes: number;
  /** Send calls the socket failed. */
  sendErrors: number;
  /** The schedule's origin: datagram i was due at `startedAt + bytesBefore(i) * 8000 / bitrate` ms. */
  startedAt: number;
  /** Largest lateness against the schedule, ms (timer and event-loop delays). */
  maxLateMs: number;
}

/** Sends whatever is due within this margin now, rather than arming a sub-millisecond timer. */
const EARLY_MS = 0.25;

/**
 * Sends datagrams to a target at a constant bit rate, the way a live encoder's UDP output does:
 * datagram i is due at t0 + (bytes before it) x 8 / bitrate, all equal-sized datagrams being
 * evenly spaced. The schedule is absolute, so a late timer makes the replayer catch up (send
 * everything already due at once) without drifting. Each datagram's actual send time is
 * recorded for latency measurement, so the receiver must share this process's clock.
 *
 * The socket is connected to the target, so each send goes to the kernel at once without an
 * address lookup.
 */
export async function replay(datagrams: readonly Buffer[], options: ReplayOptions): Promise<ReplayResult> {
  const { target, bitrate, signal } = options;
  if (!(bitrate > 0 && Number.isFinite(bitrate))) throw new RangeError(`bitrate must be a finite number > 0, got ${bitrate}`);
  const socket = createSocket('udp4');
  try {
    socket.bind(options.bind?.port ?? 0, options.bind?.host);
    await once(socket, 'listening');
    socket.connect(target.port, target.host);
    await once(socket, 'connect');
    return await paced(socket, datagrams, bitrate, signal);
  } finally {
    socket.close();
  }
}

function paced(socket: Socket, datagrams: readonly Buffer[], bitrate: number, signal?: AbortSignal): Promise<ReplayResult> {
  const msPerByte = 8000 / bitrate;
  const sendTimes = new Float64Array(datagrams.length).fill(Number.NaN);
  const startedAt = performance.now();
  let next = 0;
  let bytesBefore = 0;
  let pending = 0;
  let sendErrors = 0;
  let maxLateMs = 0;
  return new Promise((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished || pending > 0) return;
      finished = true;
      signal?.removeEventListener('abort', finish);
      resolve({ sendTimes, sent: next, bytes: bytesBefore, sendErrors, startedAt, maxLateMs });
    };
    const onSent = (err: Error | null): void => {
      if (err) sendErrors++;
      pending--;
      if (next === datagrams.length || signal?.aborted) finish();
    };
    const tick = (): void => {
      if (signal?.aborted) return finish();
      let now = performance.now();
      while (next < datagrams.length) {
        const due = startedAt + bytesBefore * msPerByte;
        if (due > now + EARLY_MS) {
          setTimeout(tick, due - now);
          return;
        }
        maxLateMs = Math.max(maxLateMs, now - due);
        const d = datagrams[next]!;
        sendTimes[next] = now;
        pending++;
        socket.send(d, onSent);
        bytesBefore += d.length;
        next++;
        now = performance.now();
      }
      finish();
    };
    signal?.addEventListener('abort', finish);
    tick();
  });
}
