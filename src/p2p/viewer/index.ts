/**
 * The browser viewer (issue 9): a page that plays the live MPEG-TS through mpegts.js, fed over a
 * WebSocket or by other browsers over WebRTC data channels, with Reed-Solomon repair.
 *
 * ```ts
 * import { startViewerServer, pushFeed } from './p2p/viewer/index.js'
 * const feed = pushFeed()                       // push(datagram) for every MPEG-TS datagram
 * const viewer = await startViewerServer({ host: '127.0.0.1', port: 8081, feed })
 * console.log(`viewer on ${viewer.url}`)
 * ```
 * @packageDocumentation
 */
export { emitterFeed, pushFeed, udpFeed, type DatagramFeed, type PushFeed, type UdpFeed } from './feed.js';
export { startViewerServer, type ViewerServer, type ViewerServerOptions } from './server.js';
export {
  createViewer,
  type ClientMessage,
  type ServerMessage,
  type Viewer,
  type ViewerInfo,
  type ViewerOptions,
  type ViewerReport,
  type ViewerServerState,
} from './viewer.js';
export { BlockFramer, SYMBOL_HEADER, SYMBOL_VERSION, type BlockShape } from './symbols.js';
export { ViewerTree, type Link, type TreeLimits, type ViewerNode } from './tree.js';
