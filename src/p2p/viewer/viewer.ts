/**
 * The browser viewer's core: HTTP handlers that serve the viewer page and its scripts,
 * carries the live stream to browsers over a WebSocket (`/ws`), and relays WebRTC signalling so
 * browsers pass the stream to each other over data channels (seed 004's P2PLive, in one process).
 *
 * Routes, under `basePath` ('/' by default): `GET /` the page; `/viewer.js`, `/assembler.js`,
 * `/zfec.js` (static/ beside this module, copied to dist/
 * by `npm run build:ts`); `/mpegts.js` the player, from the `mpegts.js` package; `/state.json`
 * who feeds whom and what each browser last reported; `/ws` the WebSocket.
 *
 * On the WebSocket, binary messages server -> browser are symbols (symbols.ts); text messages
 * are JSON signalling, both ways (see `ClientMessage` and `ServerMessage`). Only browsers without
 * a working browser parent get the stream from the server, so with a chain of browsers the
 * server sends the stream about once, whatever the number of viewers.
 *
 * There is no authentication: anyone who can reach the port can watch and join the mesh.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DatagramFeed } from './feed.js';
import { BlockFramer } from './symbols.js';
import { ViewerTree } from './tree.js';

/** Options for {@link createViewer}. */
export interface ViewerOptions {
  /** Where the page lives, with a trailing slash, e.g. '/watch/' (default '/'). */
  basePath?: string;
  /** The live MPEG-TS datagrams. */
  feed: DatagramFeed;
  /**
   * How long a browser waits for a missing datagram (for FEC or a late symbol) before it skips
   * it, ms; also its budget for noticing a silent parent. Default 300.
   */
  latencyMs?: number;
  /** Source symbols per block (default 8). */
  k?: number;
  /** All symbols per block; the repairs browsers add for their children are n - k (default 10). */
  n?: number;
  /** Longest datagram carried (default 1472, a full Ethernet-MTU UDP payload). */
  maxDatagram?: number;
  /** Browser parents per browser (default 2). */
  maxParents?: number;
  /** Browser children per browser (default 2). */
  maxChildren?: number;
  /** Optional extra lines for the page's overlay, e.g. the peer's own parents; called per /state.json. */
  stats?: () => Record<string, string | number>;
}

/** What one browser reported about itself (its latest `stats` message). */
export interface ViewerReport {
  /** Bytes received per feed: `ws`, or `peer:<id>` for a browser parent. */
  bytesByFeed: Record<string, number>;
  /** Parents it currently receives from. */
  activeParents: string[];
  currentTime: number;
  framesDecoded: number;
  framesDropped: number;
  /** Source datagrams rebuilt by Reed-Solomon. */
  recovered: number;
  /** Source datagrams skipped (not rebuilt within the budget). */
  lost: number;
  /** Server clock to release, ms, of the latest datagram (same-host clocks only). */
  ageMs: number;
  /** Seconds of video buffered ahead of playback. */
  bufferedS: number;
}

/** One browser in {@link ViewerServer.state}. */
export interface ViewerInfo {
  id: string;
  playing: boolean;
  /** True while the server sends it the stream over the WebSocket. */
  wsFeed: boolean;
  parents: string[];
  children: string[];
  /** Stream bytes the server sent it (symbols, with WebSocket framing). */
  streamBytes: number;
  report?: ViewerReport;
}

/** A snapshot for tests and `/state.json`. */
export interface ViewerServerState {
  viewers: ViewerInfo[];
  /** Bytes written to all WebSockets: symbols and signalling, with WebSocket framing. */
  egressBytes: number;
  /** Datagram bytes that came in from the feed. */
  streamBytes: number;
  datagrams: number;
  /** Datagrams dropped for being longer than `maxDatagram`. */
  oversize: number;
  /** Symbols not sent because a browser's socket was backed up. */
  backedUp: number;
  /** Blocks resent on request (losses FEC could not repair on a browser link). */
  resent: number;
  extra?: Record<string, string | number>;
}

/** The viewer without its own HTTP server, to mount on an existing one (see {@link createViewer}). */
export interface Viewer {
  /** Serves the viewer's routes under `basePath`; returns false (and writes nothing) for any other path. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes the WebSocket upgrade for `<basePath>ws`; returns false (and leaves the socket alone) for any other. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Bytes written to WebSockets so far (see {@link ViewerServerState.egressBytes}). */
  egressBytes(): number;
  state(): ViewerServerState;
  /** Unsubscribes from the feed and closes every WebSocket (not the HTTP server it is mounted on). */
  close(): void;
}


/** Browser -> server messages (JSON text frames). */
export type ClientMessage =
  | { t: 'playing' }
  /** `from`: the block the browser still needs, so the server resends what it holds from there. */
  | { t: 'feed'; ws: boolean; from?: number }
  | { t: 'signal'; to: string; data: unknown }
  | { t: 'parent-lost'; id: string }
  /** A block FEC could not rebuild in time: the server resends its source symbols from history. */
  | { t: 'resend'; block: number }
  | ({ t: 'stats' } & ViewerReport);

/** Server -> browser messages (JSON text frames). */
export type ServerMessage =
  | { t: 'hello'; id: string; k: number; n: number; symbolSize: number; latencyMs: number }
  | { t: 'parent'; id: string }
  | { t: 'parent-gone'; id: string }
  | { t: 'signal'; from: string; data: unknown };

const STATIC_DIR = new URL('./static/', import.meta.url);
const ASSETS: Record<string, { file: URL | string; type: string }> = {
  '/': { file: new URL('index.html', STATIC_DIR), type: 'text/html; charset=utf-8' },
  '/viewer.js': { file: new URL('viewer.js', STATIC_DIR), type: 'text/javascript; charset=utf-8' },
  '/assembler.js': { file: new URL('assembler.js', STATIC_DIR), type: 'text/javascript; charset=utf-8' },
  '/zfec.js': { file: new URL('zfec.js', STATIC_DIR), type: 'text/javascript; charset=utf-8' },
  '/mpegts.js': { file: createRequire(import.meta.url).resolve('mpegts.js/dist/mpegts.js'), type: 'text/javascript; charset=utf-8' },
};

/** A live stream: a browser whose socket holds more than this gets no more until it drains. */
const MAX_BUFFERED = 4 * 1024 * 1024;
/**
 * Recent symbols kept for backfill, ms: a browser that falls back to the WebSocket (its parent
 * closed) says which block it still needs, and gets what it missed while it noticed, not a gap.
 */
const HISTORY_MS = 2000;
/** How often browsers short of parents are offered any that became free, ms. */
const REFILL_MS = 1000;
/** Blocks a browser may ask again per second (see the `resend` message). */
const MAX_RESENDS_PER_S = 20;
/** A partly filled block is padded shut after the stream pauses this long, ms. */
const PAD_AFTER_MS = 50;

/** Bytes of a server-to-client WebSocket frame header (unmasked) for a payload of `len`. */
function frameHeader(len: number): number {
  return len < 126 ? 2 : len < 65_536 ? 4 : 10;
}

interface Conn {
  id: string;
  ws: WebSocket;
  wsFeed: boolean;
  streamBytes: number;
  report?: ViewerReport;
  resends: number;
  resendWindowAt: number;
}

/**
 * Makes the viewer: subscribes to the feed and returns request and upgrade handlers to mount on
 * an HTTP server (the coordinator's state server, say, under '/watch/'). {@link startViewerServer}
 * gives it a server of its own.
 * @throws RangeError for a bad block shape or basePath
 */
export function createViewer(options: ViewerOptions): Viewer {
  const basePath = options.basePath ?? '/';
  if (!basePath.startsWith('/') || !basePath.endsWith('/')) throw new RangeError(`basePath must start and end with '/', got ${JSON.stringify(basePath)}`);
  const latencyMs = options.latencyMs ?? 300;
  const framer = new BlockFramer({ k: options.k ?? 8, n: options.n ?? 10, maxDatagram: options.maxDatagram ?? 1472 });
  const { k, n, maxDatagram } = framer.shape;
  const tree = new ViewerTree({ maxParents: options.maxParents, maxChildren: options.maxChildren });
  const conns = new Map<string, Conn>();
  let nextId = 1;
  let egress = 0;
  let streamBytes = 0;
  let datagrams = 0;
  let backedUp = 0;
  let resent = 0;
  let lastDatagramAt = 0;

  const sendText = (conn: Conn, msg: ServerMessage): void => {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const text = JSON.stringify(msg);
    egress += Buffer.byteLength(text) + frameHeader(Buffer.byteLength(text));
    conn.ws.send(text);
  };

  const sendSymbol = (conn: Conn, symbol: Uint8Array): void => {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.ws.bufferedAmount > MAX_BUFFERED) {
      backedUp++;
      return;
    }
    const bytes = symbol.length + frameHeader(symbol.length);
    egress += bytes;
    conn.streamBytes += bytes;
    conn.ws.send(symbol);
  };

  /** The last HISTORY_MS of symbols, oldest first, with their block numbers. */
  const history: { at: number; block: number; symbol: Uint8Array }[] = [];
  const broadcast = (symbol: Uint8Array, now: number): void => {
    history.push({ at: now, block: new DataView(symbol.buffer, symbol.byteOffset).getUint32(4), symbol });
    while (history.length > 0 && now - history[0]!.at > HISTORY_MS) history.shift();
    for (const conn of conns.values()) if (conn.wsFeed) sendSymbol(conn, symbol);
  };

  /** Resends the held symbols from block `from` on (block numbers wrap, hence the signed diff). */
  const backfill = (conn: Conn, from: number): void => {
    for (const h of history) if (((h.block - from) | 0) >= 0) sendSymbol(conn, h.symbol);
  };

  const unsubscribe = options.feed.subscribe((datagram) => {
    const now = Date.now();
    lastDatagramAt = now;
    datagrams++;
    streamBytes += datagram.length;
    const symbol = framer.frame(datagram, now);
    if (symbol) broadcast(symbol, now);
  });
  const padTimer = setInterval(() => {
    const now = Date.now();
    if (framer.open && now - lastDatagramAt >= PAD_AFTER_MS) for (const s of framer.pad(now)) broadcast(s, now);
  }, PAD_AFTER_MS);
  padTimer.unref();

  /** Announces new links: the child opens a data channel to each new parent. */
  const refill = (): void => {
    for (const link of tree.fill(Date.now())) {
      const child = conns.get(link.child);
      if (child) sendText(child, { t: 'parent', id: link.parent });
    }
  };
  // Besides every join, leave and report: parents a child avoided become candidates again
  // when the avoidance ends, with no event to say so.
  const refillTimer = setInterval(refill, REFILL_MS);
  refillTimer.unref();

  const onMessage = (conn: Conn, text: string): void => {
    let msg: ClientMessage;
    try {
      msg = JSON.parse(text) as ClientMessage;
    } catch {
      return;
    }
    switch (msg.t) {
      case 'playing': {
        const node = tree.get(conn.id);
        if (node && !node.playing) {
          node.playing = true;
          refill();
        }
        break;
      }
      case 'feed': {
        const was = conn.wsFeed;
        conn.wsFeed = msg.ws === true;
        if (conn.wsFeed && !was && typeof msg.from === 'number') backfill(conn, msg.from >>> 0);
        break;
      }
      case 'signal': {
        // Relayed only along a link the server made, so a page cannot reach arbitrary viewers.
        const me = tree.get(conn.id);
        const peer = conns.get(String(msg.to));
        if (me && peer && (me.parents.has(peer.id) || me.children.has(peer.id))) {
          sendText(peer, { t: 'signal', from: conn.id, data: msg.data });
        }
        break;
      }
      case 'parent-lost': {
        const parentId = String(msg.id);
        const parent = conns.get(parentId);
        const hadLink = tree.get(conn.id)?.parents.has(parentId) ?? false;
        tree.dropLink(parentId, conn.id, Date.now());
        // The parent may still think it feeds this child: tell it to drop the connection.
        if (parent && hadLink) sendText(parent, { t: 'parent-gone', id: conn.id });
        refill();
        break;
      }
      case 'resend': {
        const now = Date.now();
        if (now - conn.resendWindowAt >= 1000) {
          conn.resendWindowAt = now;
          conn.resends = 0;
        }
        // Bounded, so a broken or hostile page cannot turn the server into an amplifier.
        if (conn.resends++ >= MAX_RESENDS_PER_S) break;
        const block = Number(msg.block) >>> 0;
        for (const h of history) if (h.block === block) sendSymbol(conn, h.symbol);
        resent++;
        break;
      }
      case 'stats': {
        const { t: _t, ...report } = msg;
        conn.report = report;
        break;
      }
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  wss.on('connection', (ws: WebSocket) => {
    const conn: Conn = { id: `v${nextId++}`, ws, wsFeed: true, streamBytes: 0, resends: 0, resendWindowAt: 0 };
    conns.set(conn.id, conn);
    tree.join(conn.id);
    // Small symbols must not wait for Nagle: they are a live stream.
    (ws as unknown as { _socket?: Socket })._socket?.setNoDelay(true);
    sendText(conn, { t: 'hello', id: conn.id, k, n, symbolSize: 2 + maxDatagram, latencyMs });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) onMessage(conn, data.toString());
    });
    ws.on('close', () => {
      conns.delete(conn.id);
      for (const orphan of tree.leave(conn.id)) {
        const c = conns.get(orphan);
        if (c) sendText(c, { t: 'parent-gone', id: conn.id });
      }
      refill();
    });
    ws.on('error', () => ws.close());
    refill();
  });

  const state = (): ViewerServerState => ({
    viewers: tree.nodes().map((node) => {
      const conn = conns.get(node.id);
      return {
        id: node.id,
        playing: node.playing,
        wsFeed: conn?.wsFeed ?? false,
        parents: [...node.parents],
        children: [...node.children],
        streamBytes: conn?.streamBytes ?? 0,
        report: conn?.report,
      };
    }),
    egressBytes: egress,
    streamBytes,
    datagrams,
    oversize: framer.dropped,
    backedUp,
    resent,
    extra: options.stats?.(),
  });

  /** The path below basePath, or undefined when the request is not the viewer's. */
  const route = (req: IncomingMessage): string | undefined => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === basePath.slice(0, -1) && basePath !== '/') return ''; // '/watch' -> redirect
    return path.startsWith(basePath) ? `/${path.slice(basePath.length)}` : undefined;
  };

  async function serve(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '') {
      // The page's scripts and WebSocket are relative to it, so it must end in a slash.
      res.writeHead(301, { location: basePath }).end();
      return;
    }
    if (path === '/state.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(state()));
      return;
    }
    const asset = ASSETS[path];
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = await readFile(asset.file);
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' }).end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot read asset: ${(err as Error).message}\n`);
    }
  }

  return {
    handleRequest(req, res) {
      const path = route(req);
      if (path === undefined || path === '/ws') return false;
      void serve(path, req, res);
      return true;
    },
    handleUpgrade(req, socket, head) {
      if (route(req) !== '/ws') return false;
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      return true;
    },
    egressBytes: () => egress,
    state,
    close() {
      unsubscribe();
      clearInterval(padTimer);
      clearInterval(refillTimer);
      for (const c of conns.values()) c.ws.terminate();
      wss.close();
    },
  };
}
