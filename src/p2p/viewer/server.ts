/**
 * The viewer on an HTTP server of its own: what `--web HOST:PORT` starts for a peer.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createViewer, type ViewerOptions, type ViewerServerState } from './viewer.js';

/** Options for {@link startViewerServer}. */
export interface ViewerServerOptions extends ViewerOptions {
  /** Interface to bind, e.g. '127.0.0.1' or '0.0.0.0'. */
  host: string;
  /** Port to bind; 0 picks a free one (read it back from `address.port`). */
  port: number;
}

/** A running viewer server. */
export interface ViewerServer {
  /** Where it listens (the real port when `port` was 0). */
  address: { address: string; port: number };
  /** The page's URL (with 127.0.0.1 for a wildcard bind). */
  url: string;
  /** Bytes written to WebSockets so far (see {@link ViewerServerState.egressBytes}). */
  egressBytes(): number;
  state(): ViewerServerState;
  /** Unsubscribes from the feed, closes every WebSocket and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the viewer on its own node:http server: the page at `basePath` (default '/').
 * @throws when the port cannot be bound
 */
export async function startViewerServer(options: ViewerServerOptions): Promise<ViewerServer> {
  const viewer = createViewer(options);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (!viewer.handleRequest(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    if (!viewer.handleUpgrade(req, socket, head)) socket.destroy();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    viewer.close();
    throw err;
  }
  const a = server.address() as AddressInfo;
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.address.includes(':') ? `[${a.address}]` : a.address;
  return {
    address: { address: a.address, port: a.port },
    url: `http://${host}:${a.port}${options.basePath ?? '/'}`,
    egressBytes: viewer.egressBytes,
    state: viewer.state,
    async close() {
      viewer.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
