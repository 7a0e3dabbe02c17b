import { resolveOptions, type ProtectionOptions } from '../socket/options.js';
import { parseEndpointUrl, type EndpointUrl } from '../url.js';

/** Which way a relay carries datagrams. */
export type RelayMode = 'udp->psock' | 'psock->udp';

/** What a relay will do, checked: both endpoints and the psock side's settings after overrides. */
export interface RelayPlan {
  mode: RelayMode;
  /** Where the relay listens (port 0: any free port). */
  from: EndpointUrl;
  /** Where it forwards to. */
  to: EndpointUrl;
  /** The psock side's settings: its URL query with the overrides applied. */
  protection: ProtectionOptions;
}

/** What a relay accepts, for error messages. */
export const RELAY_SHAPES =
  '--from udp://HOST:PORT --to psock://HOST:PORT (sender side) or --from psock://HOST:PORT --to udp://HOST:PORT (receiver side)';

function without<T extends object>(options: T, keys: ReadonlyArray<keyof T>): T {
  const copy = { ...options };
  for (const key of keys) delete copy[key];
  return copy;
}

/**
 * The one precedence rule between a psock URL's query and separately given settings: every
 * setting given wins over the URL's. The block shape is either `n` or `redundancy`, so giving
 * one drops the URL's other rather than leaving a contradiction.
 */
export function applySettings(base: ProtectionOptions, overrides: ProtectionOptions): ProtectionOptions {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as ProtectionOptions;
  let kept = base;
  if (given.redundancy !== undefined) kept = without(kept, ['n']);
  if (given.n !== undefined) kept = without(kept, ['redundancy']);
  return { ...kept, ...given };
}

function endpoint(value: string | EndpointUrl, flag: string, listening: boolean): EndpointUrl {
  return typeof value === 'string' ? parseEndpointUrl(value, flag, { allowPortZero: listening }) : value;
}

/**
 * Parses and checks a relay's endpoints and settings.
 *
 * @param from - where to listen: `udp://HOST:PORT` or `psock://HOST:PORT?..` (port 0: any)
 * @param to - where to forward: the other scheme
 * @param settings - override the psock URL's query (see {@link applySettings})
 * @throws UsageError for a malformed URL; TypeError when not exactly one side is psock;
 *   TypeError or RangeError for settings the socket refuses (naming the setting)
 */
export function planRelay(from: string | EndpointUrl, to: string | EndpointUrl, settings: ProtectionOptions = {}): RelayPlan {
  const source = endpoint(from, '--from', true);
  const target = endpoint(to, '--to', false);
  if (source.scheme === target.scheme) {
    throw new TypeError(`a relay needs exactly one psock:// side, got ${source.scheme}:// on both; accepted: ${RELAY_SHAPES}`);
  }
  const psock = source.scheme === 'psock' ? source : target;
  const protection = applySettings(psock.options, settings);
  // The socket's own checks, now rather than once sockets are open.
  resolveOptions({ type: 'udp4', ...protection });
  return { mode: source.scheme === 'udp' ? 'udp->psock' : 'psock->udp', from: source, to: target, protection };
}
