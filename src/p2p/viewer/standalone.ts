/**
 * The viewer in front of any UDP MPEG-TS output, until the `peer` and `coordinator` commands
 * carry `--web`: `node dist/p2p/viewer/standalone.js --udp 127.0.0.1:5004 --web 127.0.0.1:8081`
 * listens for the datagrams a `peer --to udp://127.0.0.1:5004` (or plain ffmpeg) writes, and
 * serves the page on http://127.0.0.1:8081/. Stops on SIGINT or SIGTERM.
 */
import { pathToFileURL } from 'node:url';
import { formatEndpoint, parseEndpoint, parseFlags } from '../../cli/args.js';
import { udpFeed } from './feed.js';
import { startViewerServer } from './server.js';

/** Runs until a signal; returns the exit code. */
export async function runStandalone(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { udp: { type: 'string' }, web: { type: 'string' } } as const);
  const udp = parseEndpoint(values.udp ?? '127.0.0.1:5004', '--udp');
  const web = parseEndpoint(values.web ?? '127.0.0.1:8081', '--web', { allowPortZero: true });
  const feed = await udpFeed(udp);
  const viewer = await startViewerServer({ host: web.host, port: web.port, feed });
  process.stderr.write(`MPEG-TS in on udp://${formatEndpoint(feed.address.address, feed.address.port)}\nviewer on ${viewer.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await viewer.close();
  await feed.close();
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runStandalone(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
