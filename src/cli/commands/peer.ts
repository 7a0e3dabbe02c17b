import { lookupHost } from '../../socket/resolve.js';
import { parseEndpointUrl } from '../../url.js';
import { formatEndpoint, parseDuration, parseEndpoint, parseFlags, parseNumber, parseRate, UsageError } from '../args.js';
import { signalled } from '../signals.js';
import { SECURITY_USAGE, securityFlags, securitySpecs } from '../security-flags.js';
import type { Peer } from '../../p2p/peer.js';
import type { ViewerServer } from '../../p2p/viewer/server.js';

/** One line for the command overview. */
export const summary = 'watch a P2P stream: join a coordinator, output the stream as UDP, relay it to other peers';

/** Text for `perfect-socket peer --help`. */
export const usage = `usage: perfect-socket peer --coordinator HOST:PORT --to udp://HOST:PORT [flags]

Joins the coordinator's tree (see 'perfect-socket coordinator --help'), takes each stripe of the
stream from a parent, writes the stream's datagrams in order to --to (for ffplay), and relays
the stripes its children take from it. A parent silent for --silence is replaced by a backup.

  perfect-socket peer --coordinator 10.0.0.1:7000 --to udp://127.0.0.1:5004
  ffplay udp://127.0.0.1:5004

  --coordinator HOST:PORT  the coordinator's --listen address
  --to URL                 udp://HOST:PORT the stream goes out to
  --listen HOST:PORT       the peer's own socket (default 0.0.0.0:0, any free port)
  --upload BUDGET          upload budget: a multiple of the stream like 2x (default), or a rate like 4mbit
  --silence MS             a parent silent this long is given up (default 300ms)
  --web HOST:PORT          serve the browser viewer here (page, WebSocket feed, WebRTC signalling;
                           no authentication)
${SECURITY_USAGE}
  -h, --help               show this help

Prints "listening on HOST:PORT" and "joined as ID" to stderr once placed, then a status line
every 5 s. On SIGINT or SIGTERM it leaves gracefully (tells the coordinator and its children),
prints its counters as JSON to stderr and exits 0.
`;

const specs = {
  coordinator: { type: 'string' },
  to: { type: 'string' },
  listen: { type: 'string' },
  upload: { type: 'string' },
  silence: { type: 'string' },
  web: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...securitySpecs,
} as const;

/** "2x" -> { uploadRatio: 2 }; "4mbit" -> { uploadBps: 4e6 }. */
function parseUpload(text: string): { uploadRatio: number } | { uploadBps: number } {
  const ratio = /^(.*)x$/i.exec(text);
  if (ratio) return { uploadRatio: parseNumber(ratio[1]!, '--upload', { min: 0, max: 1000 }) };
  try {
    return { uploadBps: parseRate(text, '--upload') };
  } catch {
    throw new UsageError(`--upload ${JSON.stringify(text)} is not valid; accepted: a multiple of the stream like 2x, or a rate like 4mbit`);
  }
}

/** Serves the browser viewer, fed with what the peer outputs. */
async function startViewer(peer: Peer, web: { host: string; port: number }): Promise<ViewerServer> {
  const { emitterFeed, startViewerServer } = await import('../../p2p/viewer/index.js');
  const { address } = await lookupHost(web.host);
  const viewer = await startViewerServer({ host: address, port: web.port, feed: emitterFeed(peer, 'datagram') });
  process.stderr.write(`viewer on ${viewer.url}\n`);
  return viewer;
}

/** Runs the peer until a signal. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, specs);
  if (values.coordinator === undefined) throw new UsageError('missing --coordinator HOST:PORT; accepted: e.g. --coordinator 10.0.0.1:7000');
  if (values.to === undefined) throw new UsageError('missing --to udp://HOST:PORT; accepted: e.g. --to udp://127.0.0.1:5004');
  const coordinator = parseEndpoint(values.coordinator, '--coordinator');
  const to = parseEndpointUrl(values.to, '--to', { schemes: ['udp'] });
  const listen = values.listen === undefined ? undefined : parseEndpoint(values.listen, '--listen', { allowPortZero: true });
  const upload = values.upload === undefined ? {} : parseUpload(values.upload);
  const silenceMs = values.silence === undefined ? undefined : parseDuration(values.silence, '--silence', { min: 20, max: 60_000 });
  const web = values.web === undefined ? undefined : parseEndpoint(values.web, '--web', { allowPortZero: true });

  const security = securityFlags(values);

  const { startPeer } = await import('../../p2p/peer.js');
  const [c, t, l] = await Promise.all([lookupHost(coordinator.host), lookupHost(to.host), listen ? lookupHost(listen.host) : undefined]);
  const stopped = signalled();
  const peer = await startPeer({
    coordinator: { host: c.address, port: coordinator.port },
    to: { host: t.address, port: to.port },
    ...(l && listen ? { bind: { host: l.address, port: listen.port } } : {}),
    ...upload,
    ...(silenceMs !== undefined ? { silenceMs } : {}),
    link: security,
  });
  process.stderr.write(`listening on ${formatEndpoint(peer.address.address, peer.address.port)}\n`);
  process.stderr.write(`joined as ${peer.id}\n`);
  const viewer = web === undefined ? undefined : await startViewer(peer, web);
  const status = setInterval(() => {
    const s = peer.stats();
    const a = s.assembler;
    process.stderr.write(
      `parents ${s.parents.map((p) => p ?? '-').join(',')}  children ${s.children}/${s.slots}  blocks ${a.blocksDecoded} lost ${a.blocksLost}  switches ${s.switches.length}\n`,
    );
  }, 5000);
  await stopped;
  clearInterval(status);
  const stats = peer.stats();
  await viewer?.close();
  await peer.close();
  process.stderr.write(`${JSON.stringify(stats)}\n`);
  return 0;
}
