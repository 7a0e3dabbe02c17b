/**
 * One run of the TCP fallback end to end, for __test__/tcp-fallback.spec.ts, which starts it in
 * a fresh network namespace (with or without UDP to the server dropped). A server socket binds
 * 127.0.0.1:PORT and echoes every hundredth message; a client sends COUNT numbered messages over
 * about two seconds, so some go before the fallback decision and some after. Prints one JSON
 * line: what the server got (in order), the echoes, and both sockets' stats.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSocket } from '../../src/index.js';

const HOST = '127.0.0.1';
const COUNT = 1000;
const port = Number(process.argv[2]);

const server = createSocket({ type: 'udp4', ordered: true });
const got: number[] = [];
const senders = new Set<string>();
server.on('message', (msg, rinfo) => {
  const i = msg.readUInt32BE(0);
  got.push(i);
  senders.add(`${rinfo.family} ${rinfo.address} size ${rinfo.size}`);
  if (i % 100 === 0) server.send(msg, rinfo.port, rinfo.address);
});
server.bind(port, HOST);
await once(server, 'listening');

const client = createSocket({ type: 'udp4' });
let echoes = 0;
client.on('message', (_msg, rinfo) => {
  if (rinfo.port === port && rinfo.address === HOST) echoes++;
});
for (let i = 0; i < COUNT; i++) {
  const msg = Buffer.alloc(200, i % 256);
  msg.writeUInt32BE(i, 0);
  client.send(msg, port, HOST);
  if (i % 10 === 9) await sleep(20);
}
for (const end = Date.now() + 10_000; (got.length < COUNT || echoes < COUNT / 100) && Date.now() < end; ) await sleep(20);
// A little longer, so that duplicates would show.
await sleep(300);
client.close();
server.close();
process.stdout.write(`${JSON.stringify({ got, echoes, senders: [...senders], client: client.stats(), server: server.stats() })}\n`);
