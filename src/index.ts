/**
 * perfect-socket: Reed-Solomon forward error correction for UDP datagrams.
 * @packageDocumentation
 */
export { Encoder } from './codec/encoder.js'
export { Decoder } from './codec/decoder.js'
export { encodeMessage, decodeMessage } from './codec/message.js'
export { codecKernel } from './codec/kernel.js'
export { createSocket, PerfectSocket, type Message, type SocketEvents, type SocketStream } from './socket/socket.js'
export type { StreamOptions, StreamDeclaration } from './socket/streams.js'
export type { SocketOptions, ProtectionOptions, WireFormat, RepairCode, EncryptMode } from './socket/options.js'
export { generateKeyPair, type KeyPair } from './socket/keys.js'
export type { SocketStats, StreamCounters } from './socket/stats.js'
export type { RemoteInfo } from './socket/peers.js'
export type { Delivery } from './socket/message-queue.js'
export type { SendCallback } from './socket/send-batch.js'
export { parseEndpointUrl, type EndpointUrl, type EndpointScheme } from './url.js'
export { startRelay, type Relay, type RelayOptions, type RelayStats } from './relay/relay.js'
export { startCoordinator, type Coordinator, type CoordinatorOptions, type CoordinatorStats } from './p2p/coordinator.js'
export { startPeer, type Peer, type PeerOptions, type PeerStats, type PeerEvents, type SwitchRecord } from './p2p/peer.js'
export type { CoordinatorState, PeerState } from './p2p/state.js'
export type { LinkOptions } from './p2p/link.js'
