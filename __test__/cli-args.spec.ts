import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  UsageError,
  formatEndpoint,
  parseDuration,
  parseEndpoint,
  parseFlags,
  parseInteger,
  parseNumber,
  parsePercent,
  parseRate,
} from '../src/cli/args.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Asserts `fn` throws a one-line UsageError mentioning the flag. */
function rejects(t: import('ava').ExecutionContext, fn: () => unknown, flag: string): void {
  const err = t.throws(fn, { instanceOf: UsageError });
  t.true(err?.message.includes(flag), err?.message);
  t.true(err?.message.includes('accepted'), err?.message);
  t.false(err?.message.includes('\n'));
}

test('parsePercent: "5%" and "5" both mean five percent', (t) => {
  t.is(parsePercent('5%', '--loss'), 0.05);
  t.is(parsePercent('5', '--loss'), 0.05);
  t.is(parsePercent('0', '--loss'), 0);
  t.is(parsePercent('100%', '--loss'), 1);
  t.is(parsePercent('0.5', '--loss'), 0.005);
  t.is(parsePercent('.5%', '--loss'), 0.005);
  for (const bad of ['150%', '100.1', '-5', '-5%', 'abc', '5%%', '', '%', '5 %', '1e2']) {
    rejects(t, () => parsePercent(bad, '--loss'), '--loss');
  }
});

test('parseDuration: units us/ms/s/m/h, bare number is ms', (t) => {
  t.is(parseDuration('20ms', '--delay'), 20);
  t.is(parseDuration('1s', '--delay'), 1000);
  t.is(parseDuration('1.5s', '--delay'), 1500);
  t.is(parseDuration('250us', '--delay'), 0.25);
  t.is(parseDuration('250µs', '--delay'), 0.25);
  t.is(parseDuration('15', '--delay'), 15);
  t.is(parseDuration('2m', '--delay'), 120_000);
  t.is(parseDuration('0', '--delay'), 0);
  for (const bad of ['-1ms', '5x', 'ms', '1e3', '', '20 ms', '1s5']) rejects(t, () => parseDuration(bad, '--delay'), '--delay');
  rejects(t, () => parseDuration('2s', '--delay', { max: 1000 }), '--delay');
  rejects(t, () => parseDuration('0', '--idle', { min: 1 }), '--idle');
});

test('parseRate: bits with b, bytes with B, decimal prefixes, unit required', (t) => {
  t.is(parseRate('10mbit', '--rate'), 10e6);
  t.is(parseRate('500kbit', '--rate'), 500e3);
  t.is(parseRate('2MB/s', '--rate'), 16e6);
  t.is(parseRate('500KBps', '--rate'), 4e6);
  t.is(parseRate('10Mbps', '--rate'), 10e6);
  t.is(parseRate('10mbps', '--rate'), 10e6);
  t.is(parseRate('64kbit/s', '--rate'), 64e3);
  t.is(parseRate('1gbit', '--rate'), 1e9);
  t.is(parseRate('1.5Mbit', '--rate'), 1.5e6);
  t.is(parseRate('100B/s', '--rate'), 800);
  t.is(parseRate('9600bps', '--rate'), 9600);
  for (const bad of ['20', '0mbit', '5 mbit', '10furlongs', 'mbit', '-1mbit', '10MBs', '']) {
    rejects(t, () => parseRate(bad, '--rate'), '--rate');
  }
});

test('parseEndpoint: IPv4, [IPv6] and hostnames', (t) => {
  t.deepEqual(parseEndpoint('127.0.0.1:5000', '--to'), { host: '127.0.0.1', port: 5000 });
  t.deepEqual(parseEndpoint('[::1]:6000', '--to'), { host: '::1', port: 6000 });
  t.deepEqual(parseEndpoint('[fe80::1]:1', '--to'), { host: 'fe80::1', port: 1 });
  t.deepEqual(parseEndpoint('localhost:80', '--to'), { host: 'localhost', port: 80 });
  t.deepEqual(parseEndpoint('media-1.example.com:443', '--to'), { host: 'media-1.example.com', port: 443 });
  t.deepEqual(parseEndpoint('0.0.0.0:0', '--listen', { allowPortZero: true }), { host: '0.0.0.0', port: 0 });
  for (const bad of [
    '::1:5000',
    '127.0.0.1',
    '127.0.0.1:0',
    '1.2.3.999:5',
    'host:65536',
    'host:-1',
    'host:',
    '[zz]:5',
    '[::1]',
    'bad_host:5',
    ':5000',
    '-host:5',
    'a..b:5',
  ]) {
    rejects(t, () => parseEndpoint(bad, '--to'), '--to');
  }
});

test('formatEndpoint brackets IPv6 only', (t) => {
  t.is(formatEndpoint('::1', 5), '[::1]:5');
  t.is(formatEndpoint('127.0.0.1', 5), '127.0.0.1:5');
  t.is(formatEndpoint('localhost', 5), 'localhost:5');
});

test('parseInteger and parseNumber enforce ranges', (t) => {
  t.is(parseInteger('42', '--seed'), 42);
  t.is(parseInteger('4294967295', '--seed', { max: 0xffffffff }), 0xffffffff);
  rejects(t, () => parseInteger('4294967296', '--seed', { max: 0xffffffff }), '--seed');
  for (const bad of ['1.5', '-1', 'x', '', '0x10']) rejects(t, () => parseInteger(bad, '--seed'), '--seed');
  rejects(t, () => parseInteger('0', '--n', { min: 1 }), '--n');
  t.is(parseNumber('2.5', '--burst', { min: 1 }), 2.5);
  rejects(t, () => parseNumber('0.5', '--burst', { min: 1 }), '--burst');
  rejects(t, () => parseNumber('two', '--burst'), '--burst');
});

test('parseFlags: strict, one-line errors listing accepted flags', (t) => {
  const specs = { to: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } } as const;
  const { values } = parseFlags(['--to', 'x:1', '-q'], specs);
  t.is(values.to, 'x:1');
  t.is(values.quiet, true);
  t.is(parseFlags(['--to=y:2'], specs).values.to, 'y:2');

  const unknown = t.throws(() => parseFlags(['--nope'], specs), { instanceOf: UsageError });
  t.is(unknown?.message, 'unknown flag --nope; accepted: --to --quiet');
  const missing = t.throws(() => parseFlags(['--to'], specs), { instanceOf: UsageError });
  t.is(missing?.message, '--to needs a value');
  const extra = t.throws(() => parseFlags(['--quiet=yes'], specs), { instanceOf: UsageError });
  t.is(extra?.message, '--quiet takes no value');
  const positional = t.throws(() => parseFlags(['stray'], specs), { instanceOf: UsageError });
  t.regex(positional?.message ?? '', /unexpected argument "stray"; accepted/);
  const dash = t.throws(() => parseFlags(['--to', '-5'], specs), { instanceOf: UsageError });
  t.regex(dash?.message ?? '', /--to needs a value.*--to=VALUE/);
  t.deepEqual(parseFlags(['a', 'b'], specs, { positionals: true }).positionals, ['a', 'b']);
});

/** Runs the CLI from source; resolves with exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

test('CLI: a bad flag value exits 2 with one line naming it', async (t) => {
  const r = await cli(['proxy', '--loss', '150%']);
  t.is(r.code, 2);
  t.is(lines(r.stderr).length, 1, r.stderr);
  t.regex(r.stderr, /^perfect-socket proxy: --loss "150%" is out of range; accepted: .*0 to 100/);
});

test('CLI: unknown flag, unknown or missing command exit 2 with one line', async (t) => {
  const results = await Promise.all([cli(['proxy', '--lost', '5%']), cli(['frobnicate']), cli([])]);
  for (const r of results) {
    t.is(r.code, 2);
    t.is(lines(r.stderr).length, 1, r.stderr);
    t.regex(r.stderr, /accepted: /);
  }
  t.regex(results[0]!.stderr, /unknown flag --lost/);
  t.regex(results[1]!.stderr, /unknown command "frobnicate"; accepted: proxy/);
});

test('CLI: --help per command and overall', async (t) => {
  const [proxy, all] = await Promise.all([cli(['proxy', '--help']), cli(['--help'])]);
  t.is(proxy.code, 0);
  t.regex(proxy.stdout, /^usage: perfect-socket proxy --listen HOST:PORT --to HOST:PORT/);
  t.regex(proxy.stdout, /--loss-back/);
  t.is(all.code, 0);
  t.regex(all.stdout, /^\s+proxy\s+lossy UDP proxy/m);
});
