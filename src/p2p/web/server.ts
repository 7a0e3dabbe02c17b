/**
 * The coordinator's observability endpoint: a tiny node:http server with three read-only routes.
 *
 * - `GET /state.json`  the {@link CoordinatorState} snapshot, as JSON.
 * - `GET /`            the state page (page.html beside this file: inline CSS and plain browser JS).
 * - `GET /events`      Server-Sent Events: one `state` event per push interval, so the page is live
 *                      without polling (it falls back to polling /state.json if SSE fails).
 *
 * Anything else is 404, methods other than GET/HEAD are 405. The server holds no state of its own:
 * it calls `getState()` per request (and once per push for all SSE clients), so a slow page or a
 * crowd of viewers never touches the coordinator's control loop beyond that one call.
 *
 * It has no authentication: the state names every peer's address, so bind it to loopback or a
 * private network (the coordinator's default should be 127.0.0.1).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CoordinatorState } from '../state.js';

/** Options for {@link startStateServer}. */
export interface StateServerOptions {
  /** Interface to bind, e.g. '127.0.0.1' (keep it private: there is no authentication). */
  host: string;
  /** Port to bind; 0 picks a free one (read it back from `address.port`). */
  port: number;
  /** Returns the current snapshot; called per request and once per push interval. */
  getState: () => CoordinatorState;
  /** How often /events pushes the state, ms. Default 1000. */
  pushIntervalMs?: number;
  /**
   * Another handler sharing the server, asked first (the browser viewer, under its own path):
   * each returns whether the request or upgrade was its own.
   */
  mount?: {
    handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  };
}

/** A running state server. */
export interface StateServer {
  /** Where it listens (the real port when `port` was 0). */
  address: { address: string; port: number };
  /** Ends open SSE streams and connections, then stops listening. */
  close(): Promise<void>;
}

/** The page is a static asset next to this module (copied to dist/ by `npm run build:ts`). */
const PAGE_URL = new URL('./page.html', import.meta.url);

/**
 * The page only talks to its own origin and carries its script and style inline; state values
 * are inserted as text nodes, so this policy is belt and braces against a hostile peer id.
 */
const PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

/**
 * The path to route on. Origin-form ("/state.json?x=1") is taken as written, up to the query, so
 * "//state.json" stays a path (WHATWG URL parsing would read "state.json" as a host). Absolute
 * form ("http://host/state.json", what proxies send) is parsed. Anything else is null.
 */
function routePath(target: string): string | null {
  if (target.startsWith('/')) return target.split(/[?#]/, 1)[0];
  try {
    return new URL(target).pathname;
  } catch {
    return null;
  }
}

/**
 * Starts the state server. Resolves once it is listening; rejects if the bind fails (port in use,
 * bad host) or the page asset is missing.
 */
export async function startStateServer(options: StateServerOptions): Promise<StateServer> {
  const { host, port, getState } = options;
  const pushIntervalMs = options.pushIntervalMs ?? 1000;
  // Read once: the page never changes at run time, and a missing asset should fail the start,
  // not the first viewer.
  const page = await readFile(PAGE_URL);
  const sseClients = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  /** One serialisation per request or push; a throwing getState() becomes a 500, not a crash. */
  function snapshot(): string {
    return JSON.stringify(getState());
  }

  function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...extra,
    });
    res.end(body); // node drops the body itself for HEAD
  }

  function sendError(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
    send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }) + '\n', extra);
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      Connection: 'keep-alive',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // Tell EventSource to retry after a second if the coordinator restarts.
    res.write(`retry: 1000\n\n`);
    res.write(`event: state\ndata: ${snapshot()}\n\n`);
    sseClients.add(res);
    res.on('close', () => sseClients.delete(res));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const path = routePath(req.url ?? '/');
    if (path === null) {
      sendError(res, 400, 'bad request target');
      return;
    }
    switch (path) {
      case '/':
      case '/index.html':
        send(res, 200, 'text/html; charset=utf-8', page, { 'Content-Security-Policy': PAGE_CSP });
        return;
      case '/state.json':
        send(res, 200, 'application/json; charset=utf-8', snapshot() + '\n');
        return;
      case '/events':
        openEvents(req, res);
        return;
      default:
        sendError(res, 404, 'not found');
    }
  }

  const server = createServer((req, res) => {
    try {
      if (options.mount?.handleRequest(req, res)) return;
      handle(req, res);
    } catch (err) {
      // getState() threw (or JSON.stringify met a cycle): report it, keep serving.
      if (!res.headersSent) sendError(res, 500, String((err as Error)?.message ?? err));
      else res.destroy();
    }
  });
  // Malformed HTTP: answer 400 if the socket still can, never let it reach 'error' on the server.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!options.mount?.handleUpgrade(req, socket, head)) socket.destroy();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // One timer and one serialisation per push, however many viewers.
  const timer = setInterval(() => {
    if (sseClients.size === 0) return;
    let frame: string;
    try {
      frame = `event: state\ndata: ${snapshot()}\n\n`;
    } catch (err) {
      frame = `event: failure\ndata: ${JSON.stringify(String((err as Error)?.message ?? err))}\n\n`;
    }
    for (const res of sseClients) res.write(frame);
  }, pushIntervalMs);
  timer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;

  return {
    address: { address: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const res of sseClients) res.end();
        sseClients.clear();
        server.close(() => resolve());
        // Keep-alive and SSE sockets would hold close() open; nobody is owed a reply now.
        for (const socket of sockets) socket.destroy();
      }),
  };
}
