import test from 'ava';
import { UsageError } from '../src/cli/args.js';
import { parseEndpointUrl } from '../src/url.js';

test('udp:// and psock:// with IPv4, [IPv6] and names', (t) => {
  t.deepEqual(parseEndpointUrl('udp://127.0.0.1:5000', '--to'), { scheme: 'udp', host: '127.0.0.1', port: 5000, options: {} });
  t.deepEqual(parseEndpointUrl('psock://[::1]:6000', '--to'), { scheme: 'psock', host: '::1', port: 6000, options: {} });
  t.deepEqual(parseEndpointUrl('PSOCK://example.com:7/', '--to'), { scheme: 'psock', host: 'example.com', port: 7, options: {} });
  t.is(parseEndpointUrl('psock://0.0.0.0:0', '--listen', { allowPortZero: true }).port, 0);
});

test('psock settings are read and typed', (t) => {
  const url = 'psock://10.0.0.1:9000?k=8&n=12&latency=250ms&blocktime=2&compat=v1';
  t.deepEqual(parseEndpointUrl(url, '--to').options, { k: 8, n: 12, latency: 250, blockTime: 2, compat: 'v1' });
  t.deepEqual(parseEndpointUrl('psock://h:1?redundancy=0.5&latency=1.5s', '--to').options, { redundancy: 0.5, latency: 1500 });
  t.deepEqual(parseEndpointUrl('psock://h:1?redundancy=25%25', '--to').options, { redundancy: 0.25 });
  t.deepEqual(parseEndpointUrl('psock://h:1?compat=seed&k=4&n=16', '--to').options, { compat: 'seed', k: 4, n: 16 });
  t.deepEqual(parseEndpointUrl('psock://h:1?blockTime=3', '--to').options, { blockTime: 3 });
});

test('bad URLs are one-line UsageErrors naming the flag and what is accepted', (t) => {
  const bad: Array<[string, RegExp]> = [
    ['127.0.0.1:5000', /accepted: udp:\/\/HOST:PORT or psock:\/\//],
    ['tcp://127.0.0.1:5000', /not a valid endpoint/],
    ['psock://127.0.0.1', /has no port/],
    ['psock://127.0.0.1:0', /port out of range/],
    ['psock://127.0.0.1:70000', /port out of range/],
    ['psock://::1:5000', /brackets/],
    ['psock://[::g]:5000', /invalid IPv6/],
    ['psock://h:1/path', /not a valid endpoint/],
    ['psock://h:1#frag', /not a valid endpoint/],
    ['psock://h:1?k=abc', /k "abc" is not valid; accepted: an integer from 1 to 255/],
    ['psock://h:1?k=0', /k "0" is out of range/],
    ['psock://h:1?n=300', /n "300" is out of range/],
    ['psock://h:1?k=8&n=8', /n must be an integer from 9 to 256/],
    ['psock://h:1?n=20&redundancy=0.5', /redundancy must be left out when n is given/],
    ['psock://h:1?redundancy=0', /redundancy must be a number above 0/],
    ['psock://h:1?k=200&redundancy=1', /k \+ ceil\(k \* redundancy\) <= 256/],
    ['psock://h:1?latency=10&blocktime=20', /blockTime must be below latency/],
    ['psock://h:1?latency=2m', /out of range/],
    ['psock://h:1?compat=zfec', /compat "zfec" is not valid; accepted: seed, v1/],
    ['psock://h:1?compat=seed&k=4&n=256', /n must be an integer from 4 to 255/],
    ['psock://h:1?loss=5', /unknown setting "loss"; accepted: k, n, redundancy, latency, blocktime, ordered, nack, adaptive, rate, compat/],
    ['psock://h:1?k=4&k=5', /k is given twice/],
    ['udp://h:1?k=4', /udp:\/\/ takes no settings/],
  ];
  for (const [text, pattern] of bad) {
    const err = t.throws(() => parseEndpointUrl(text, '--to'), { instanceOf: UsageError }, text);
    t.regex(err?.message ?? '', pattern, text);
    t.true(err?.message.startsWith('--to '), err?.message);
    t.false(err?.message.includes('\n'), err?.message);
  }
});

test('a scheme can be required', (t) => {
  const err = t.throws(() => parseEndpointUrl('udp://127.0.0.1:5000', '--listen', { schemes: ['psock'] }), { instanceOf: UsageError });
  t.regex(err?.message ?? '', /accepted: psock:\/\/HOST:PORT\?k=/);
  t.notRegex(err?.message ?? '', /udp:\/\/HOST/);
});

test('ordered=1|0 turns in-order delivery on or off', (t) => {
  t.is(parseEndpointUrl('psock://h:1?ordered=1', '--to').options.ordered, true);
  t.is(parseEndpointUrl('psock://h:1?ordered=false', '--to').options.ordered, false);
  t.throws(() => parseEndpointUrl('psock://h:1?ordered=yes', '--to'), { message: /accepted: 1, 0, true, false/ });
});
