import { maxSourcesPerBlock } from '../../p2p/stripe/shape.js';
import { lookupHost } from '../../socket/resolve.js';
import { parseEndpointUrl } from '../../url.js';
import { formatEndpoint, parseDuration, parseEndpoint, parseFlags, parseInteger, parseNumber, parseRate, UsageError } from '../args.js';
import { signalled } from '../signals.js';
import { SECURITY_USAGE, securityFlags, securitySpecs } from '../security-flags.js';

/** One line for the command overview. */
export const summary = 'take a live stream and fan it out to peers through a tree of relaying peers (P2P)';

/** Text for `perfect-socket coordinator --help`. */
export const usage = `usage: perfect-socket coordinator --listen HOST:PORT --from udp://HOST:PORT [flags]

Takes a live stream as plain UDP datagrams (e.g. MPEG-TS from ffmpeg), cuts it into
Reed-Solomon blocks dealt over stripes, and serves it to peers ('perfect-socket peer'), which
relay it to each other; the coordinator places them (one round trip), sends the first copies
itself within its upload budget, and re-homes the children of peers that leave or crash.

  ffmpeg -re -i in.mp4 -c copy -f mpegts 'udp://127.0.0.1:5000?pkt_size=1316'
  perfect-socket coordinator --listen 0.0.0.0:7000 --from udp://127.0.0.1:5000 --web 127.0.0.1:8080
  perfect-socket peer --coordinator COORDINATOR:7000 --to udp://127.0.0.1:5004   # each viewer
  ffplay udp://127.0.0.1:5004

  --listen HOST:PORT   where peers reach the coordinator (port 0: any free port)
  --from URL           udp://HOST:PORT the stream comes in at
  --web HOST:PORT      serve the state page (/), /state.json and the browser viewer (/watch/) here
                       (no authentication: keep it private)
  --stripes S          stripes, 2-16 (default 4)
  --k K                datagrams per block (default 9; up to 127 with 4 stripes; each stripe then
                       carries n/(k*S) of the stream, n the least with any S-1 stripes holding k)
  --block-time MS      a block closes this long after its first datagram (default 50ms)
  --latency MS         end-to-end latency budget at the peers (default 1s)
  --root-upload R      the coordinator's upload budget as a multiple of the stream (default 2)
  --bitrate RATE       the stream's rate, for peers giving --upload in bits/s (default: measured)
${SECURITY_USAGE}
  -h, --help           show this help

Prints "listening on HOST:PORT" and "input on HOST:PORT" to stderr once bound, then a status
line every 5 s (peers, input rate, own upload). On SIGINT or SIGTERM it stops, prints its
counters as JSON to stderr and exits 0.
`;

const specs = {
  listen: { type: 'string' },
  from: { type: 'string' },
  web: { type: 'string' },
  stripes: { type: 'string' },
  k: { type: 'string' },
  'block-time': { type: 'string' },
  latency: { type: 'string' },
  'root-upload': { type: 'string' },
  bitrate: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...securitySpecs,
} as const;

/** Runs the coordinator until a signal. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, specs);
  if (values.listen === undefined) throw new UsageError('missing --listen HOST:PORT; accepted: e.g. --listen 0.0.0.0:7000');
  if (values.from === undefined) throw new UsageError('missing --from udp://HOST:PORT; accepted: e.g. --from udp://127.0.0.1:5000');
  const listen = parseEndpoint(values.listen, '--listen', { allowPortZero: true });
  const from = parseEndpointUrl(values.from, '--from', { allowPortZero: true, schemes: ['udp'] });
  const web = values.web === undefined ? undefined : parseEndpoint(values.web, '--web', { allowPortZero: true });
  const stripes = values.stripes === undefined ? undefined : parseInteger(values.stripes, '--stripes', { min: 2, max: 16 });
  const k = values.k === undefined ? undefined : parseInteger(values.k, '--k', { min: 1, max: maxSourcesPerBlock(stripes ?? 4) });
  const latencyMs = values.latency === undefined ? undefined : parseDuration(values.latency, '--latency', { min: 10, max: 60_000 });
  const blockTimeMs = values['block-time'] === undefined ? undefined : parseDuration(values['block-time'], '--block-time', { min: 1, max: 5000 });
  const rootUploadRatio = values['root-upload'] === undefined ? undefined : parseNumber(values['root-upload'], '--root-upload', { min: 0.01, max: 1000 });
  const bitrate = values.bitrate === undefined ? undefined : parseRate(values.bitrate, '--bitrate');

  const security = securityFlags(values);

  const { startCoordinator } = await import('../../p2p/coordinator.js');
  const [l, f, w] = await Promise.all([lookupHost(listen.host), lookupHost(from.host), web ? lookupHost(web.host) : undefined]);
  const stopped = signalled();
  let coordinator;
  try {
    coordinator = await startCoordinator({
      listen: { host: l.address, port: listen.port },
      from: { host: f.address, port: from.port },
      ...(w && web ? { web: { host: w.address, port: web.port } } : {}),
      ...(stripes !== undefined ? { stripes } : {}),
      ...(k !== undefined ? { k } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(blockTimeMs !== undefined ? { blockTimeMs } : {}),
      ...(rootUploadRatio !== undefined ? { rootUploadRatio } : {}),
      ...(bitrate !== undefined ? { bitrate } : {}),
      link: security,
    });
  } catch (err) {
    // A RangeError here is a flag combination the options refuse (e.g. --k too large for --stripes).
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
  process.stderr.write(`listening on ${formatEndpoint(coordinator.address.address, coordinator.address.port)}\n`);
  process.stderr.write(`input on ${formatEndpoint(coordinator.input.address, coordinator.input.port)}\n`);
  if (coordinator.web) {
    const base = `http://${formatEndpoint(coordinator.web.address, coordinator.web.port)}`;
    process.stderr.write(`state page on ${base}/\nviewer on ${base}/watch/\n`);
  }
  const status = setInterval(() => {
    const s = coordinator.state();
    process.stderr.write(
      `peers ${s.peers.length}  input ${(s.stream.bitsPerSecond / 1e6).toFixed(2)} Mbit/s  upload ${(s.rootUploadBps / 1e6).toFixed(2)} Mbit/s (${s.rootUploadRatio.toFixed(2)}x)  depth ${s.shape.maxDepth}/${s.shape.minDepth}  orphaned ${s.shape.orphaned}\n`,
    );
  }, 5000);
  await stopped;
  clearInterval(status);
  const stats = coordinator.stats();
  await coordinator.close();
  process.stderr.write(`${JSON.stringify(stats)}\n`);
  return 0;
}
