import { resolveOptions, type ProtectionOptions } from '../socket/options.js';
import { readSetting } from '../url.js';
import { UsageError } from './args.js';

/** `--passphrase` and `--encrypt`, for commands whose settings otherwise come from a URL. */
export const securitySpecs = {
  passphrase: { type: 'string' },
  encrypt: { type: 'string' },
} as const;

/** Help lines for {@link securitySpecs}. */
export const SECURITY_USAGE = `  --passphrase P  authenticate and encrypt: 10-79 characters, the same at both ends (or
                  passphrase=.. in the URL)
  --encrypt MODE  none, control (media authenticated but in the clear) or all (the default
                  with a passphrase; or encrypt=.. in the URL)
`;

/**
 * The URL's settings with the flags applied (a flag wins over the URL's key).
 * @throws UsageError naming the flag, for a value the socket would refuse
 */
export function withSecurityFlags(options: ProtectionOptions, values: { passphrase?: string; encrypt?: string }): ProtectionOptions {
  const merged = { ...options };
  if (values.passphrase !== undefined) Object.assign(merged, readSetting('passphrase', values.passphrase, '--passphrase'));
  if (values.encrypt !== undefined) Object.assign(merged, readSetting('encrypt', values.encrypt, '--encrypt'));
  try {
    resolveOptions({ type: 'udp4', ...merged });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return merged;
}

/** Just the flags' settings (for the P2P commands, whose links take nothing else from a URL). */
export function securityFlags(values: { passphrase?: string; encrypt?: string }): Pick<ProtectionOptions, 'passphrase' | 'encrypt'> {
  const { passphrase, encrypt } = withSecurityFlags({}, values);
  return { ...(passphrase !== undefined ? { passphrase } : {}), ...(encrypt !== undefined ? { encrypt } : {}) };
}
