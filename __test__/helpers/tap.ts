import type { ExecutionContext } from 'ava';
import { createSocket as createDgram, type Socket as DgramSocket } from 'node:dgram';
import { once } from 'node:events';

/**
 * A middlebox on loopback: the client sends to `address`, the tap forwards from its own socket
 * to the server (which sees the tap as its peer) and the answers back, recording everything the
 * client sent. `alter` may change or drop (return null) a datagram on its way to the server.
 * Its server-side socket can replay the capture from the very address the server knows.
 */
export interface Tap {
  port: number;
  /** Datagrams the client sent, as they were before `alter`. */
  captured: Buffer[];
  alter: (datagram: Buffer) => Buffer | null;
  /** Sends `datagram` to the server from the tap's address. */
  inject(datagram: Buffer): Promise<void>;
}

export async function tap(t: ExecutionContext, serverPort: number): Promise<Tap> {
  const front: DgramSocket = createDgram('udp4');
  const back: DgramSocket = createDgram('udp4');
  t.teardown(() => {
    front.close();
    back.close();
  });
  front.bind(0, '127.0.0.1');
  back.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(back, 'listening')]);
  let client: { address: string; port: number } | undefined;
  const result: Tap = {
    port: front.address().port,
    captured: [],
    alter: (datagram) => datagram,
    inject: (datagram) => new Promise((resolve) => back.send(datagram, serverPort, '127.0.0.1', () => resolve())),
  };
  front.on('message', (datagram, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    result.captured.push(Buffer.from(datagram));
    const altered = result.alter(datagram);
    if (altered !== null) back.send(altered, serverPort, '127.0.0.1');
  });
  back.on('message', (datagram) => {
    if (client !== undefined) front.send(datagram, client.port, client.address);
  });
  return result;
}
