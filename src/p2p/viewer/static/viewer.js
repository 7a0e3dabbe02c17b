/**
 * The viewer page's script: takes symbols (see ../symbols.ts for the format) from the server's
 * WebSocket or from up to two browser parents over unreliable WebRTC data channels, has
 * assembler.js put the datagrams back in order (Reed-Solomon repair, resend, skip) into mpegts.js
 * (through a custom loader: the player does the demuxing and Media Source Extensions), and
 * passes every symbol on to up to two browser children. Signalling, parents and children, the
 * fallback to the WebSocket and the overlay live here. Exposes `window.__viewer.snapshot()` for
 * tests.
 */
import { Assembler } from './assembler.js';

/** A parent that has not delivered a symbol this long after being assigned is given up, ms. */
const SETUP_TIMEOUT_MS = 5000;
/** How often release and parent checks run, ms. */
const CHECK_MS = 50;
/** A data channel holding more than this is skipped for a symbol (it is a live stream). */
const DC_MAX_BUFFERED = 1 << 20;
/**
 * `?loss=0.05` drops that share of the symbols arriving from browser parents, to see (and test)
 * Reed-Solomon repair on a clean network. The WebSocket is TCP, so it never loses any.
 */
const SIMULATED_LOSS = Math.min(1, Math.max(0, Number(new URLSearchParams(location.search).get('loss')) || 0));

const video = /** @type {HTMLVideoElement} */ (document.getElementById('video'));
const overlay = /** @type {HTMLElement} */ (document.getElementById('overlay'));
const mpegts = /** @type {any} */ (globalThis).mpegts;

const st = {
  id: '',
  k: 0,
  n: 0,
  symbolSize: 0,
  latencyMs: 300,
  /** True while we ask the server for the WebSocket feed. */
  wsFeed: true,
  /** @type {Record<string, number>} */
  bytesByFeed: {},
  /** Symbols dropped on purpose (`?loss=`). */
  dropped: 0,
  /** The WebSocket closed: the page reloads once the server answers. */
  disconnected: false,
  ageMs: 0,
  playingSent: false,
  /** @type {Map<string, {id: string, pc: RTCPeerConnection, dc: RTCDataChannel, since: number, lastRx: number, chain: Promise<void>}>} */
  parents: new Map(),
  /** @type {Map<string, {id: string, pc: RTCPeerConnection, dc: RTCDataChannel | null, chain: Promise<void>}>} */
  children: new Map(),
  /** @type {string[]} */
  log: [],
};

function note(text) {
  st.log.push(`${(performance.now() / 1000).toFixed(2)} ${text}`);
  if (st.log.length > 200) st.log.shift();
}

// ---------------------------------------------------------------- player

/** @type {any} */
let loader = null;

/** mpegts.js loader that is fed by this script instead of fetching a URL. */
class PipeLoader extends mpegts.BaseLoader {
  constructor() {
    super('perfect-socket-loader');
    this._needStash = true;
    this._received = 0;
  }
  open() {
    this._status = mpegts.LoaderStatus.kBuffering;
    loader = this;
  }
  abort() {
    if (loader === this) loader = null;
    this._status = mpegts.LoaderStatus.kComplete;
  }
  /** @param {Uint8Array} bytes */
  push(bytes) {
    const chunk = bytes.slice().buffer;
    const start = this._received;
    this._received += chunk.byteLength;
    if (this._onDataArrival) this._onDataArrival(chunk, start, this._received);
  }
}

const player = mpegts.createPlayer(
  { type: 'mpegts', isLive: true, url: 'perfect-socket://live' },
  {
    customLoader: PipeLoader,
    enableWorker: false,
    // Live: hand data to the demuxer at once, and chase the live edge if the buffer grows.
    enableStashBuffer: false,
    lazyLoad: false,
    liveBufferLatencyChasing: true,
    liveBufferLatencyMaxLatency: 1.5,
    liveBufferLatencyMinRemain: 0.3,
    autoCleanupSourceBuffer: true,
  },
);
player.attachMediaElement(video);
player.load();
video.play()?.catch(() => {});

// ---------------------------------------------------------------- symbols

const assembler = new Assembler({
  get symbolSize() { return st.symbolSize; },
  get latencyMs() { return st.latencyMs; },
  now: () => performance.now(),
  onDatagram(datagram, serverTime) {
    loader?.push(datagram);
    st.ageMs = Date.now() - serverTime;
  },
  onAsk(block) { sendJson({ t: 'resend', block }); },
  children() {
    const sends = [];
    for (const c of st.children.values()) {
      const dc = c.dc;
      if (!dc || dc.readyState !== 'open') continue;
      sends.push((symbol) => {
        if (dc.bufferedAmount > DC_MAX_BUFFERED) return; // live: drop rather than queue
        try { dc.send(symbol); } catch { /* closing: the child repairs itself */ }
      });
    }
    return sends;
  },
});

/** @param {Uint8Array} u8 @param {string} feed */
function onSymbol(u8, feed) {
  st.bytesByFeed[feed] = (st.bytesByFeed[feed] ?? 0) + u8.length;
  assembler.push(u8);
}

// ---------------------------------------------------------------- signalling and WebRTC

// Relative to the page, so the viewer works mounted under a path (e.g. /watch/).
const wsUrl = new URL('ws', location.href);
wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
wsUrl.search = '';
const ws = new WebSocket(wsUrl);
ws.binaryType = 'arraybuffer';
const sendJson = (msg) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); };
const signal = (to, data) => sendJson({ t: 'signal', to, data });

ws.onmessage = (e) => {
  if (e.data instanceof ArrayBuffer) { onSymbol(new Uint8Array(e.data), 'ws'); return; }
  const msg = JSON.parse(e.data);
  switch (msg.t) {
    case 'hello':
      Object.assign(st, { id: msg.id, k: msg.k, n: msg.n, symbolSize: msg.symbolSize, latencyMs: msg.latencyMs });
      note(`hello ${msg.id}`);
      break;
    case 'parent': connectParent(msg.id); break;
    case 'parent-gone':
      if (st.parents.has(msg.id)) lostParent(msg.id, false, 'server: gone');
      if (st.children.has(msg.id)) dropChild(msg.id);
      break;
    case 'signal': onSignal(msg.from, msg.data); break;
  }
};
// Lost the server (restart, network): everything hangs off this socket, so once the server
// answers again, start over with a fresh page (a live stream has nothing to resume).
ws.onclose = () => {
  note('websocket closed');
  st.disconnected = true;
  setInterval(() => {
    fetch('state.json', { cache: 'no-store' }).then((r) => { if (r.ok) location.reload(); }, () => {});
  }, 2000);
};

function newPc(id, onCandidateTo) {
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.onicecandidate = (e) => { if (e.candidate) signal(onCandidateTo, { candidate: e.candidate.toJSON() }); };
  return pc;
}

/** Opens a data channel to a parent the server assigned: we offer, it answers and sends. */
function connectParent(id) {
  if (st.parents.has(id)) return;
  const pc = newPc(id, id);
  const dc = pc.createDataChannel('symbols', { ordered: false, maxRetransmits: 0 });
  dc.binaryType = 'arraybuffer';
  const p = { id, pc, dc, since: performance.now(), lastRx: 0, chain: Promise.resolve() };
  st.parents.set(id, p);
  note(`parent ${id} assigned`);
  dc.onmessage = (e) => {
    p.lastRx = performance.now();
    if (SIMULATED_LOSS > 0 && Math.random() < SIMULATED_LOSS) { st.dropped++; return; }
    onSymbol(new Uint8Array(e.data), `peer:${id}`);
  };
  dc.onclose = () => lostParent(id, true, 'channel closed');
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') lostParent(id, true, `pc ${pc.connectionState}`);
  };
  p.chain = p.chain.then(async () => {
    await pc.setLocalDescription(await pc.createOffer());
    signal(id, { sdp: pc.localDescription.toJSON() });
  }).catch((err) => lostParent(id, true, `offer: ${err}`));
}

function onSignal(from, data) {
  if (data?.sdp?.type === 'offer') {
    // A child the server gave us: answer, then send it every symbol on the channel it opened.
    dropChild(from); // a child that offers again (it was given us anew) replaces its old link
    const pc = newPc(from, from);
    const c = { id: from, pc, dc: null, chain: Promise.resolve() };
    st.children.set(from, c);
    note(`child ${from}`);
    pc.ondatachannel = (e) => {
      c.dc = e.channel;
      c.dc.onclose = () => dropChild(from);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') dropChild(from);
    };
    c.chain = c.chain.then(async () => {
      await pc.setRemoteDescription(data.sdp);
      await pc.setLocalDescription(await pc.createAnswer());
      signal(from, { sdp: pc.localDescription.toJSON() });
    }).catch(() => dropChild(from));
    return;
  }
  const conn = st.parents.get(from) ?? st.children.get(from);
  if (!conn) return;
  // In order: a candidate must not overtake the description it belongs to.
  conn.chain = conn.chain.then(async () => {
    if (data?.sdp) await conn.pc.setRemoteDescription(data.sdp);
    else if (data?.candidate) await conn.pc.addIceCandidate(data.candidate);
  }).catch((err) => note(`signal from ${from}: ${err}`));
}

function lostParent(id, tellServer, why) {
  const p = st.parents.get(id);
  if (!p) return;
  st.parents.delete(id);
  note(`parent ${id} lost (${why})`);
  p.dc.onclose = null;
  p.pc.onconnectionstatechange = null;
  try { p.pc.close(); } catch { /* already closed */ }
  if (tellServer) sendJson({ t: 'parent-lost', id });
  updateFeed();
}

function dropChild(id) {
  const c = st.children.get(id);
  if (!c) return;
  st.children.delete(id);
  note(`child ${id} dropped`);
  try { c.pc.close(); } catch { /* already closed */ }
}

/** Parents that delivered within the budget. */
function activeParents(now) {
  return [...st.parents.values()].filter((p) => p.lastRx > 0 && now - p.lastRx < st.latencyMs);
}

/** Takes the WebSocket feed exactly while no browser parent is delivering. */
function updateFeed() {
  const want = activeParents(performance.now()).length === 0;
  if (want !== st.wsFeed) {
    st.wsFeed = want;
    // Falling back: ask for what we still need, so the gap while we noticed gets filled.
    const next = assembler.next;
    sendJson(want && next !== null ? { t: 'feed', ws: true, from: next.block } : { t: 'feed', ws: want });
    note(want ? 'feed: websocket' : 'feed: browsers');
  }
}

/** Gives up parents that went silent (a closed tab) or never connected. */
let lastCheckAt = 0;
let graceUntil = 0;
function checkParents() {
  const now = performance.now();
  // If this page itself stalled (the check ran late: GC, a busy CPU), the parents' symbols are
  // still queued behind it: judge nobody until they have had a moment to be read.
  if (lastCheckAt > 0 && now - lastCheckAt > CHECK_MS * 3) graceUntil = now + CHECK_MS * 2;
  lastCheckAt = now;
  if (now < graceUntil) return;
  for (const p of [...st.parents.values()]) {
    if (p.lastRx > 0 && now - p.lastRx > st.latencyMs) lostParent(p.id, true, 'silent');
    else if (p.lastRx === 0 && now - p.since > SETUP_TIMEOUT_MS) lostParent(p.id, true, 'no data');
  }
  updateFeed();
}

// ---------------------------------------------------------------- stats and overlay

function snapshot() {
  const q = video.getVideoPlaybackQuality?.();
  const buffered = video.buffered.length > 0 ? video.buffered.end(video.buffered.length - 1) - video.currentTime : 0;
  return {
    id: st.id,
    wsFeed: st.wsFeed,
    bytesByFeed: { ...st.bytesByFeed },
    parents: [...st.parents.keys()],
    activeParents: activeParents(performance.now()).map((p) => p.id),
    children: [...st.children.values()].filter((c) => c.dc?.readyState === 'open').map((c) => c.id),
    currentTime: video.currentTime,
    framesDecoded: q?.totalVideoFrames ?? 0,
    framesDropped: q?.droppedVideoFrames ?? 0,
    recovered: assembler.recovered,
    lost: assembler.lost,
    simulatedDrops: st.dropped,
    resendAsks: assembler.asks,
    released: assembler.released,
    ageMs: Math.round(st.ageMs),
    bufferedS: Math.max(0, buffered),
    width: video.videoWidth,
    height: video.videoHeight,
    log: st.log.slice(-30),
  };
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

function drawOverlay(s) {
  const feed = s.activeParents.length > 0 ? `browser ${s.activeParents.join(', ')}` : 'WebSocket (server)';
  const bytes = Object.entries(s.bytesByFeed).map(([f, n]) => `${f} ${mb(n)}`).join(' · ') || '-';
  overlay.textContent = [
    ...(st.disconnected ? ['DISCONNECTED from the server: reloading when it is back'] : []),
    `viewer    ${s.id || '...'}${s.children.length ? `  -> children ${s.children.join(', ')}` : ''}`,
    `feed      ${feed}`,
    `latency   ${s.ageMs} ms server->player · ${(s.bufferedS * 1000).toFixed(0)} ms buffered`,
    `FEC       ${s.recovered} recovered · ${s.resendAsks} asked again · ${s.lost} lost${SIMULATED_LOSS > 0 ? ` (dropping ${SIMULATED_LOSS * 100}% of peer symbols)` : ''}`,
    `received  ${bytes}`,
    `video     ${s.width}x${s.height} · ${s.framesDecoded} frames · ${s.framesDropped} dropped`,
  ].join('\n');
}

setInterval(() => {
  assembler.tick();
  checkParents();
  if (!st.playingSent && assembler.released > 0 && video.currentTime > 0) {
    st.playingSent = true;
    sendJson({ t: 'playing' });
    note('playing');
  }
}, CHECK_MS);

setInterval(() => {
  const s = snapshot();
  drawOverlay(s);
  const { id: _i, wsFeed: _w, parents: _p, children: _c, released: _r, width: _x, height: _y, log: _l, simulatedDrops: _d, resendAsks: _a, ...report } = s;
  sendJson({ t: 'stats', ...report });
}, 500);

/** For tests and the curious: the viewer's live numbers. */
globalThis.__viewer = { snapshot };
