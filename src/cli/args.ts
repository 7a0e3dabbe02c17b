import { isIPv4, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';

/**
 * A mistake in how the CLI was called. The dispatcher prints its message as one line and exits 2,
 * so the message should say what was wrong and what is accepted.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One flag: a string that takes a value, or a boolean switch. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
}

/** Flag name (without dashes) -> spec. */
export type FlagSpecs = Record<string, FlagSpec>;

/** Parsed flag values, typed by the specs: strings for value flags, booleans for switches. */
export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : S[K]['type'] extends 'string' ? string : string | boolean;
};

function bad(flag: string, text: string, accepted: string, problem = 'is not valid'): UsageError {
  return new UsageError(`${flag} ${JSON.stringify(text)} ${problem}; accepted: ${accepted}`);
}

function firstQuoted(message: string): string {
  return /'([^']*)'/.exec(message)?.[1]?.replace(/ <value>$/, '').replace(/^-\w, /, '') ?? '';
}

/**
 * Strict flag parsing (util.parseArgs) with errors rewritten as one-line {@link UsageError}s
 * that list the accepted flags. `--name=value` and `--name value` both work.
 */
export function parseFlags<S extends FlagSpecs>(
  argv: string[],
  specs: S,
  opts: { positionals?: boolean } = {},
): { values: FlagValues<S>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: specs,
      strict: true,
      allowPositionals: opts.positionals ?? false,
    });
    return { values: values as FlagValues<S>, positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? err.message : String(err);
    const accepted = Object.keys(specs)
      .map((k) => `--${k}`)
      .join(' ');
    const flag = firstQuoted(message);
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown flag ${flag}; accepted: ${accepted}`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`unexpected argument ${JSON.stringify(flag)}; accepted: ${accepted}`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        if (/does not take an argument/.test(message)) throw new UsageError(`${flag} takes no value`);
        if (/ambiguous/.test(message)) {
          throw new UsageError(`${flag} needs a value; for a value starting with "-" write ${flag}=VALUE`);
        }
        throw new UsageError(`${flag} needs a value`);
      default:
        throw new UsageError(message.split('\n')[0] ?? message);
    }
  }
}

const NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

/**
 * Parses a decimal number (no sign, no exponent) within [min, max].
 * @throws UsageError naming the flag and the range
 */
export function parseNumber(text: string, flag: string, range: { min?: number; max?: number } = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  const accepted = `a number from ${min} to ${max}`;
  if (!NUMBER.test(text)) throw bad(flag, text, accepted);
  const n = Number(text);
  if (n < min || n > max) throw bad(flag, text, accepted, 'is out of range');
  return n;
}

/**
 * Parses a base-10 integer within [min, max].
 * @throws UsageError naming the flag and the range
 */
export function parseInteger(text: string, flag: string, range: { min?: number; max?: number } = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  const accepted = `an integer from ${min} to ${max}`;
  if (!/^\d+$/.test(text)) throw bad(flag, text, accepted);
  const n = Number(text);
  if (n < min || n > max) throw bad(flag, text, accepted, 'is out of range');
  return n;
}

/**
 * Parses a percentage, "5%" or "5" (both mean five percent; there is no fraction form, so "0.05"
 * is 0.05%), from 0 to 100.
 * @returns the fraction in [0, 1]
 */
export function parsePercent(text: string, flag: string): number {
  const accepted = 'a percentage from 0 to 100, like 5% or 5 (both mean five percent)';
  const m = /^(.*?)%?$/.exec(text);
  const digits = m?.[1] ?? '';
  if (!NUMBER.test(digits)) throw bad(flag, text, accepted);
  const n = Number(digits);
  if (n > 100) throw bad(flag, text, accepted, 'is out of range');
  return n / 100;
}

const DURATION_UNITS: Record<string, number> = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: a number with us (or µs), ms, s, m or h; a bare number is milliseconds.
 * @returns milliseconds
 */
export function parseDuration(text: string, flag: string, range: { min?: number; max?: number } = {}): number {
  const { min = 0, max = 24 * 3_600_000 } = range;
  const accepted = `a duration like 250us, 20ms, 1.5s or 2m (bare number = ms), from ${min}ms to ${max}ms`;
  const m = /^(\d+(?:\.\d+)?|\.\d+)(us|µs|ms|s|m|h)?$/.exec(text);
  if (!m) throw bad(flag, text, accepted);
  const ms = Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!;
  if (ms < min || ms > max) throw bad(flag, text, accepted, 'is out of range');
  return ms;
}

const PREFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/**
 * Parses a data rate. The letter b/B decides bits or bytes, as in SI usage: bits are written
 * `bit`, `bit/s`, `bps` or `b/s` (kbit, 20mbit, 10Mbps); bytes are `B/s` or `Bps` (2MB/s, 500KBps).
 * Prefixes k, M, G (either case) are decimal. A bare number is rejected as ambiguous. Note that
 * `tc` reads "mbps" as megabytes; here it is megabits.
 * @returns bits per second, > 0
 */
export function parseRate(text: string, flag: string): number {
  const accepted = 'a rate like 500kbit, 20mbit, 10Mbps (bits/s) or 2MB/s (bytes/s)';
  const m = /^(\d+(?:\.\d+)?|\.\d+)([kKmMgG]?)(.*)$/.exec(text);
  if (!m) throw bad(flag, text, accepted);
  const unit = m[3]!;
  let bitsPer: number;
  if (/^bit(\/s)?$/i.test(unit) || unit === 'bps' || unit === 'b/s') bitsPer = 1;
  else if (unit === 'Bps' || unit === 'B/s') bitsPer = 8;
  else throw bad(flag, text, accepted, unit === '' ? 'has no unit' : 'has an unknown unit');
  const bps = Number(m[1]) * PREFIX[m[2]!.toLowerCase()]! * bitsPer;
  if (!(bps > 0)) throw bad(flag, text, accepted, 'must be above zero');
  return bps;
}

/** A host and port as given on the command line (the host is not resolved). */
export interface HostPort {
  host: string;
  port: number;
}

const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Parses HOST:PORT where HOST is an IPv4 address, a bracketed IPv6 address ([::1]:5000) or a
 * hostname. Port 0 (any free port) only when `allowPortZero`.
 */
export function parseEndpoint(text: string, flag: string, opts: { allowPortZero?: boolean } = {}): HostPort {
  const minPort = opts.allowPortZero ? 0 : 1;
  const accepted = `HOST:PORT with an IPv4 address, [IPv6] or hostname and a port from ${minPort} to 65535`;
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
    if (!isIPv6(host)) throw bad(flag, text, accepted, 'has an invalid IPv6 address');
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw bad(flag, text, accepted, 'has no port');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) throw bad(flag, text, accepted, 'needs brackets around an IPv6 address');
    const looksNumeric = /^[\d.]+$/.test(host);
    if (looksNumeric ? !isIPv4(host) : !HOSTNAME.test(host)) throw bad(flag, text, accepted, 'has an invalid host');
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad(flag, text, accepted, 'has an invalid port');
  const port = Number(portText);
  if (port < minPort || port > 65535) throw bad(flag, text, accepted, 'has a port out of range');
  return { host, port };
}

/** Formats an address for printing, bracketing IPv6 so the port stays unambiguous. */
export function formatEndpoint(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
