// One end of the path MTU spec (run inside network namespaces by mtu-path.sh):
//   receive HOST PORT   binds there and answers until killed
//   send HOST PORT      sends a message every 50 ms until the MTU search settles (or 10 s),
//                       then prints {"pathMtu":…, "mtuProbesSent":…} and exits
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSocket } from '../../src/index.js';

const [role, host, port] = process.argv.slice(2);
const socket = createSocket({ type: 'udp4', tcpFallback: false });
if (role === 'receive') {
  socket.bind(Number(port), host);
  await once(socket, 'listening');
  console.log('listening');
} else {
  socket.bind(0);
  await once(socket, 'listening');
  let settledFor = 0;
  let last = -1;
  for (let i = 0; i < 200 && settledFor < 20; i++) {
    socket.send(Buffer.alloc(100, i), Number(port), host);
    await sleep(50);
    const { mtuProbesSent } = socket.stats();
    settledFor = mtuProbesSent === last && mtuProbesSent > 0 ? settledFor + 1 : 0;
    last = mtuProbesSent;
  }
  const { pathMtu, mtuProbesSent } = socket.stats();
  console.log(JSON.stringify({ pathMtu, mtuProbesSent }));
  socket.close();
}
