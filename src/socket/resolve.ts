import { lookup } from 'node:dns/promises';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { invalidValue } from './validate.js';

/** Names remembered at most; past it the cache starts over (names are few in practice). */
const MAX_NAMES = 1024;

/**
 * Turns hosts into the numeric addresses the engine takes. An IP literal costs nothing; a name
 * is looked up once (dns.lookup, so /etc/hosts counts) and remembered, so a stream of sends to
 * "localhost" pays one lookup. A failed lookup is not remembered.
 */
export class HostResolver {
  readonly #family: 4 | 6;
  readonly #names = new Map<string, string | Promise<string>>();

  constructor(family: 4 | 6) {
    this.#family = family;
  }

  /**
   * The numeric address of `host` now when it is a literal or already known, else a promise.
   * An IPv4 address for an IPv6 socket becomes IPv4-mapped (::ffff:a.b.c.d), as node:dgram does.
   * @throws TypeError for a literal of the other family on an IPv4 socket
   */
  resolve(host: string): string | Promise<string> {
    // Looked up first: the literal checks below are regular expressions, and send() calls
    // this once per message.
    const known = this.#names.get(host);
    if (known !== undefined) return known;
    if (this.#names.size >= MAX_NAMES) this.#names.clear();
    if (isIPv4(host)) {
      const address = this.#family === 6 ? `::ffff:${host}` : host;
      this.#names.set(host, address);
      return address;
    }
    if (isIPv6(host)) {
      if (this.#family === 4) throw invalidValue('address', 'an IPv4 address or a name for a udp4 socket', host);
      this.#names.set(host, host);
      return host;
    }
    const pending = lookup(host, { family: this.#family }).then(
      ({ address }) => {
        this.#names.set(host, address);
        return address;
      },
      (err: unknown) => {
        this.#names.delete(host);
        throw err;
      },
    );
    this.#names.set(host, pending);
    return pending;
  }
}

/**
 * The numeric address of `host` and the socket type that reaches it: for a command line, where
 * the endpoint decides the family (a name resolves as the system prefers, e.g. localhost to ::1
 * or 127.0.0.1).
 */
export async function lookupHost(host: string): Promise<{ address: string; type: 'udp4' | 'udp6' }> {
  const literal = isIP(host);
  const { address, family } = literal !== 0 ? { address: host, family: literal } : await lookup(host);
  return { address, type: family === 6 ? 'udp6' : 'udp4' };
}
