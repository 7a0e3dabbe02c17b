/**
 * perfect-socket: Reed-Solomon forward error correction for UDP datagrams.
 * @packageDocumentation
 */
export { Encoder } from './codec/encoder.js'
export { Decoder } from './codec/decoder.js'
export { encodeMessage, decodeMessage } from './codec/message.js'
