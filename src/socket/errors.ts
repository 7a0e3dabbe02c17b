import { constants } from 'node:os';

/** An Error with Node's `code` (and, for system errors, `errno` and `syscall`). */
export type SocketError = Error & { code?: string; errno?: number; syscall?: string };

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** Thrown when the socket is used after close, or asked its address before it is bound. */
export function notRunning(what: string): SocketError {
  return Object.assign(new Error(`${what}: the socket is not running`), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
}

/** Thrown by a second bind. */
export function alreadyBound(): SocketError {
  return Object.assign(new Error('the socket is already bound'), { code: 'ERR_SOCKET_ALREADY_BOUND' });
}

/**
 * An engine failure as a Node-style system error: the Rust side reports "... (os error 98)",
 * which becomes `code: 'EADDRINUSE'`, `errno: -98`, so callers can test the code as with dgram.
 */
export function systemError(err: unknown, syscall: string): SocketError {
  const error: SocketError = err instanceof Error ? err : new Error(String(err));
  const errno = /\(os error (\d+)\)/.exec(error.message)?.[1];
  const code = errno === undefined ? undefined : ERRNO_NAMES.get(Number(errno));
  if (code !== undefined) Object.assign(error, { code, errno: -Number(errno), syscall });
  return error;
}

/** Passed to the send callback (or emitted) for a message larger than the format carries. */
export function messageTooLarge(bytes: number, max: number): SocketError {
  return Object.assign(new RangeError(`send: the message is ${bytes} bytes; this socket's format carries at most ${max}`), {
    code: 'EMSGSIZE',
    syscall: 'send',
  });
}
