import { parseDuration, parseEndpoint, parseInteger, parseNumber, parseRate, UsageError } from './cli/args.js';
import { ENCRYPT_MODES, REPAIR_CODES, resolveOptions, type EncryptMode, type ProtectionOptions, type RepairCode } from './socket/options.js';

/** `udp`: plain datagrams; `psock`: protected by a {@link PerfectSocket}. */
export type EndpointScheme = 'udp' | 'psock';

/** An endpoint URL, parsed. */
export interface EndpointUrl {
  scheme: EndpointScheme;
  /** IPv4 address, IPv6 address (without brackets) or a name; not resolved. */
  host: string;
  port: number;
  /** The protection settings from the query (psock only; empty for udp). */
  options: ProtectionOptions;
}

const SHAPE =
  'udp://HOST:PORT or psock://HOST:PORT?k=..&n=..&redundancy=..&code=rs|xor|lt&latency=..&blocktime=..&ordered=1|0&nack=1|0&adaptive=1|0&rate=..&compat=seed|v1&tcp=1|0&passphrase=..&encrypt=none|control|all&privatekey=HEX&peerkey=HEX';

type Reader = (text: string, name: string) => ProtectionOptions;

const SWITCH: Record<string, boolean> = { '1': true, true: true, on: true, '0': false, false: false, off: false };

/** An on/off setting: 1, true, on or 0, false, off. */
export function parseSwitch(text: string, name: string): boolean {
  const value = Object.hasOwn(SWITCH, text) ? SWITCH[text] : undefined;
  if (value === undefined) throw new UsageError(`${name} ${JSON.stringify(text)} is not valid; accepted: 1, 0, true, false, on, off`);
  return value;
}

/** Query keys (lowercase) and how each value is read. */
const KEYS: Record<string, Reader> = {
  k: (t, name) => ({ k: parseInteger(t, name, { min: 1, max: 255 }) }),
  n: (t, name) => ({ n: parseInteger(t, name, { min: 1, max: 256 }) }),
  redundancy: (t, name) => ({
    redundancy: t.endsWith('%') ? parseNumber(t.slice(0, -1), name, { max: 25_500 }) / 100 : parseNumber(t, name, { max: 255 }),
  }),
  latency: (t, name) => ({ latency: parseDuration(t, name, { max: 60_000 }) }),
  blocktime: (t, name) => ({ blockTime: parseDuration(t, name, { max: 60_000 }) }),
  ordered: (t, name) => ({ ordered: parseSwitch(t, name) }),
  nack: (t, name) => ({ nack: parseSwitch(t, name) }),
  adaptive: (t, name) => ({ adaptive: parseSwitch(t, name) }),
  rate: (t, name) => ({ rate: parseRate(t, name) }),
  compat: (t, name) => {
    if (t !== 'seed' && t !== 'v1') throw new UsageError(`${name} ${JSON.stringify(t)} is not valid; accepted: seed, v1`);
    return { compat: t };
  },
  tcp: (t, name) => ({ tcpFallback: parseSwitch(t, name) }),
  code: (t, name) => {
    if (!(REPAIR_CODES as readonly string[]).includes(t)) {
      throw new UsageError(`${name} ${JSON.stringify(t)} is not valid; accepted: ${REPAIR_CODES.join(', ')}`);
    }
    return { code: t as RepairCode };
  },
  passphrase: (t) => ({ passphrase: t }),
  encrypt: (t, name) => {
    if (!(ENCRYPT_MODES as readonly string[]).includes(t)) {
      throw new UsageError(`${name} ${JSON.stringify(t)} is not valid; accepted: ${ENCRYPT_MODES.join(', ')}`);
    }
    return { encrypt: t as EncryptMode };
  },
  privatekey: (t) => ({ privateKey: t }),
  peerkey: (t) => ({ peerPublicKey: t }),
};

/** A query key's value read as the URL reads it; flags for the same settings use this too. */
export function readSetting(key: keyof typeof KEYS, text: string, name: string): ProtectionOptions {
  return KEYS[key]!(text, name);
}

function readQuery(query: string): ProtectionOptions {
  const options: ProtectionOptions = {};
  const seen = new Set<string>();
  for (const [rawKey, value] of new URLSearchParams(query)) {
    const key = rawKey.toLowerCase();
    const read = KEYS[key];
    if (!Object.hasOwn(KEYS, key) || read === undefined) {
      throw new UsageError(`unknown setting ${JSON.stringify(rawKey)}; accepted: ${Object.keys(KEYS).join(', ')}`);
    }
    if (seen.has(key)) throw new UsageError(`${key} is given twice; accepted: each setting once`);
    seen.add(key);
    Object.assign(options, read(value, key));
  }
  // The socket's own checks catch combinations (n with redundancy, n below k, blocktime >= latency).
  try {
    resolveOptions({ type: 'udp4', ...options });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return options;
}

/**
 * Parses `udp://HOST:PORT` or `psock://HOST:PORT?k=..&n=..&redundancy=..&code=rs|xor|lt&latency=..&blocktime=..&ordered=1|0&compat=seed|v1&tcp=1|0`.
 * HOST is an IPv4 address, a bracketed IPv6 address or a name. `latency` and `blocktime` take
 * durations (120ms, 0.5s; a bare number is ms); `redundancy` a ratio (0.25) or percent (25%);
 * `code` the repair code (`rs`, the default, `xor` or `lt`; see `ProtectionOptions.code`);
 * `tcp` turns the TCP fallback on or off (`tcpFallback`; default on for v1, off for seed).
 * `passphrase` and `encrypt` (`none`, `control` or `all`) follow SRT's convention (see
 * `ProtectionOptions.passphrase`); `privatekey` and `peerkey` give X25519 keys in hex.
 *
 * @param flag - the flag the URL came with, for the message
 * @param opts.allowPortZero - accept port 0 (any free port: for a listening endpoint)
 * @param opts.schemes - the schemes accepted here (default both)
 * @throws UsageError with one line saying what is wrong and what is accepted
 */
export function parseEndpointUrl(
  text: string,
  flag: string,
  opts: { allowPortZero?: boolean; schemes?: readonly EndpointScheme[] } = {},
): EndpointUrl {
  const schemes = opts.schemes ?? ['udp', 'psock'];
  const shape = schemes.length === 2 ? SHAPE : schemes[0] === 'udp' ? 'udp://HOST:PORT' : SHAPE.split(' or ')[1]!;
  const m = /^([a-z]+):\/\/([^/?#]*)\/?(?:\?([^#]*))?$/i.exec(text);
  const scheme = m?.[1]?.toLowerCase();
  if (!m || !(schemes as readonly string[]).includes(scheme ?? '')) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a valid endpoint; accepted: ${shape}`);
  }
  try {
    const { host, port } = parseEndpoint(m[2]!, 'address', { allowPortZero: opts.allowPortZero });
    const query = m[3] ?? '';
    if (scheme === 'udp' && query !== '') throw new UsageError('udp:// takes no settings; accepted: psock:// for protection');
    return { scheme: scheme as EndpointScheme, host, port, options: readQuery(query) };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(`${flag} ${JSON.stringify(text)}: ${err.message}`);
  }
}
