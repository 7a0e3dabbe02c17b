import { native } from '../native.js';

/** An X25519 key pair, each key 64 hex digits. */
export interface KeyPair {
  /** The server's `privateKey` option; keep it secret. */
  privateKey: string;
  /** The clients' `peerPublicKey` option (or `peerkey=` in their URL). */
  publicKey: string;
}

/**
 * A fresh X25519 key pair from the operating system's randomness, for a server that clients
 * authenticate by its public key (`privateKey` on the server, `peerPublicKey` on clients).
 */
export function generateKeyPair(): KeyPair {
  return native.generateKeyPair();
}
