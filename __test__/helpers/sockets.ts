import type { ExecutionContext } from 'ava';
import { once } from 'node:events';
import { createSocket, type PerfectSocket, type SocketOptions } from '../../src/index.js';

/** A PerfectSocket bound on loopback (or `host`), closed when the test ends. */
export async function bound(t: ExecutionContext, options: Partial<SocketOptions> = {}, host = '127.0.0.1'): Promise<PerfectSocket> {
  const s = createSocket({ type: 'udp4', ...options });
  t.teardown(() => {
    try {
      s.close();
    } catch {
      // closed by the test
    }
  });
  s.bind(0, host);
  await once(s, 'listening');
  return s;
}
