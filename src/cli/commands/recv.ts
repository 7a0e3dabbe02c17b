import { once } from 'node:events';
import { lookupHost } from '../../socket/resolve.js';
import { parseEndpointUrl } from '../../url.js';
import { SECURITY_USAGE, securitySpecs, withSecurityFlags } from '../security-flags.js';
import { formatEndpoint, parseFlags, parseInteger, UsageError } from '../args.js';
import { signalled } from '../signals.js';

/** One line for the command overview. */
export const summary = 'receive protected messages and print each as one line';

/** Text for `perfect-socket recv --help`. */
export const usage = `usage: perfect-socket recv --listen psock://HOST:PORT[?settings] [--count N]

Receives protected messages at --listen and writes each to stdout followed by a newline.
Prints "listening on HOST:PORT" to stderr once bound. On SIGINT or SIGTERM, or after --count
messages, prints the socket's counters as one JSON line to stderr and exits 0.

  --listen URL    psock://HOST:PORT?latency=..&compat=seed|v1&tcp=1|0 (port 0: any free port;
                  HOST an IPv4 address, [IPv6] or name; settings as the sender's; tcp=0: no
                  TCP listener for senders whose UDP is blocked)
  --count N       exit after N messages
${SECURITY_USAGE}  -h, --help      show this help
`;

const specs = {
  listen: { type: 'string' },
  count: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...securitySpecs,
} as const;

/**
 * Output waiting for a slow stdout, at most; past it messages are dropped and counted
 * (`outputDropped`) rather than held without bound.
 */
const MAX_PENDING_OUTPUT = 64 * 1024 * 1024;

const NEWLINE = Buffer.from('\n');

/** Runs the receiver until a signal or --count messages. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, specs);
  if (values.listen === undefined) {
    throw new UsageError('missing --listen psock://HOST:PORT; accepted: e.g. --listen psock://0.0.0.0:5000');
  }
  const listen = parseEndpointUrl(values.listen, '--listen', { allowPortZero: true, schemes: ['psock'] });
  const count = values.count === undefined ? Infinity : parseInteger(values.count, '--count', { min: 1 });

  // Loaded here, not at the top, so help and the overview work without the native addon.
  const { createSocket } = await import('../../socket/socket.js');
  const { address, type } = await lookupHost(listen.host);
  // A stream to stdout wants the sender's order; `?ordered=0` turns it off.
  const socket = createSocket({ type, ordered: true, ...withSecurityFlags(listen.options, values) });
  let received = 0;
  let outputDropped = 0;
  let pending: Buffer[] = [];
  let reachedCount: () => void = () => {};
  const counted = new Promise<void>((resolve) => (reachedCount = resolve));

  // Lines are gathered per event-loop turn and written once, not one write per message.
  const writeOut = (): void => {
    if (pending.length === 0) return;
    if (process.stdout.writableLength > MAX_PENDING_OUTPUT) outputDropped += pending.length / 2;
    else process.stdout.write(Buffer.concat(pending));
    pending = [];
  };
  socket.on('message', (msg) => {
    if (received >= count) return;
    received++;
    if (pending.length === 0) setImmediate(writeOut);
    pending.push(msg, NEWLINE);
    if (received === count) reachedCount();
  });

  const failed = once(socket, 'error').then(([err]) => Promise.reject(err as Error));
  // Listen for signals before announcing, so a signal right after the line is handled.
  const stopped = signalled();
  socket.bind(listen.port, address);
  await Promise.race([once(socket, 'listening'), failed]);
  const bound = socket.address();
  process.stderr.write(`listening on ${formatEndpoint(bound.address, bound.port)}\n`);
  await Promise.race([stopped, counted, failed]);
  socket.close();
  writeOut();
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.stderr.write(`${JSON.stringify({ ...socket.stats(), outputDropped })}\n`);
  return 0;
}
