import type { EngineOptions } from './engine-contract.js';
import { integerIn, invalidType, numberAbove, unknownOption } from './validate.js';

/**
 * One logical stream of a socket (v1). Several streams share the socket's connection to each
 * peer, its FEC and its pacing, but not their fate: a reliable stream (control) is resent
 * until acknowledged and delivered in order; the others (audio, video) are bound by the
 * latency budget. When the socket is paced (`rate`, or `adaptiveRate`) and more is sent than
 * the path carries, the most important stream goes first and a message that waited longer
 * than its stream's `maxDelay` is dropped: video before audio, a reliable stream never.
 * Both ends must configure the same stream ids; stream 0 (what `socket.send` uses) always
 * exists.
 */
export interface StreamOptions {
  /** Resent until acknowledged and delivered in order (default false). */
  reliable?: boolean;
  /** 0 (the default) is the most important, up to 255. */
  priority?: number;
  /** ms a message may wait for the pacer before it is dropped (default 100; not for reliable streams). */
  maxDelay?: number;
}

/** A stream as the socket's options declare it. */
export interface StreamDeclaration extends StreamOptions {
  /** 0 to 127. */
  id: number;
}

type EngineStream = NonNullable<EngineOptions['streams']>[number];

const STREAM_KEYS = ['id', 'reliable', 'priority', 'maxDelay'] as const;

/** Checks one stream's options and turns them into the engine's form. */
export function resolveStream(id: unknown, options: unknown, name: string): EngineStream {
  const checkedId = integerIn(id, `${name}.id`, 0, 127);
  if (options === undefined) return { id: checkedId };
  if (typeof options !== 'object' || options === null) throw invalidType(name, 'an object like { reliable: true, priority: 0 }', options);
  const o = options as StreamDeclaration;
  for (const key of Object.keys(o)) {
    if (!(STREAM_KEYS as readonly string[]).includes(key)) throw unknownOption(`${name}.${key}`, STREAM_KEYS);
  }
  const stream: EngineStream = { id: checkedId };
  if (o.reliable !== undefined) {
    if (typeof o.reliable !== 'boolean') throw invalidType(`${name}.reliable`, 'true or false', o.reliable);
    stream.reliable = o.reliable;
  }
  if (o.priority !== undefined) stream.priority = integerIn(o.priority, `${name}.priority`, 0, 255);
  if (o.maxDelay !== undefined) stream.maxDelayMs = numberAbove(o.maxDelay, `${name}.maxDelay`, 0, 60_000, ' ms');
  return stream;
}

/** Checks the `streams` option: an array of declarations with distinct ids. */
export function resolveStreams(streams: unknown): EngineStream[] {
  if (!Array.isArray(streams)) throw invalidType('streams', 'an array like [{ id: 1, reliable: true }]', streams);
  const resolved = streams.map((s: unknown, i) => resolveStream((s as StreamDeclaration | null)?.id, s, `streams[${i}]`));
  const ids = new Set(resolved.map((s) => s.id));
  if (ids.size !== resolved.length) throw invalidType('streams', 'declarations with distinct ids', streams);
  return resolved;
}

/** Whether two engine stream declarations say the same. */
export function sameStream(a: EngineStream, b: EngineStream): boolean {
  return (a.reliable ?? false) === (b.reliable ?? false) && (a.priority ?? 0) === (b.priority ?? 0) && (a.maxDelayMs ?? 100) === (b.maxDelayMs ?? 100);
}
