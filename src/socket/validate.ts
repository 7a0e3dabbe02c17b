/**
 * Argument checks for the socket API. Like Node's own: a value of the wrong kind is a
 * TypeError (code ERR_INVALID_ARG_TYPE or ERR_INVALID_ARG_VALUE), a number outside its range a
 * RangeError (ERR_OUT_OF_RANGE); every message names the argument and what it accepts.
 */

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  return Object.assign(error, { code });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return `a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}`;
}

/** A TypeError for a value of the wrong kind. */
export function invalidType(name: string, accepted: string, value: unknown): TypeError {
  return withCode(new TypeError(`${name} must be ${accepted}, got ${show(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** A TypeError for a value of the right kind that is not one of those accepted. */
export function invalidValue(name: string, accepted: string, value: unknown): TypeError {
  return withCode(new TypeError(`${name} must be ${accepted}, got ${show(value)}`), 'ERR_INVALID_ARG_VALUE');
}

/** A TypeError for an option name that is not one of `accepted`. */
export function unknownOption(name: string, accepted: readonly string[]): TypeError {
  return withCode(new TypeError(`unknown option ${JSON.stringify(name)}; accepted: ${accepted.join(', ')}`), 'ERR_INVALID_ARG_VALUE');
}

/** A RangeError for a number outside its range. */
export function outOfRange(name: string, accepted: string, value: unknown): RangeError {
  return withCode(new RangeError(`${name} must be ${accepted}, got ${show(value)}`), 'ERR_OUT_OF_RANGE');
}

/** `value` as an integer in [min, max]. */
export function integerIn(value: unknown, name: string, min: number, max: number): number {
  // The message is built only on failure: send() checks its port this way once per message.
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const accepted = `an integer from ${min} to ${max}`;
  if (typeof value !== 'number') throw invalidType(name, accepted, value);
  throw outOfRange(name, accepted, value);
}

/** `value` as a finite number above `above` and at most `max`. */
export function numberAbove(value: unknown, name: string, above: number, max: number, unit = ''): number {
  const accepted = `a number above ${above}${unit} and at most ${max}${unit}`;
  if (typeof value !== 'number') throw invalidType(name, accepted, value);
  if (!(value > above && value <= max)) throw outOfRange(name, accepted, value);
  return value;
}

/** `value` as one of `choices`. */
export function oneOf<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  const accepted = `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  if (typeof value !== 'string') throw invalidType(name, accepted, value);
  if (!(choices as readonly string[]).includes(value)) throw invalidValue(name, accepted, value);
  return value as T;
}
