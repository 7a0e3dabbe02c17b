import test, { type ExecutionContext } from 'ava';
import { createSocket as createDgram } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSocket, parseEndpointUrl, type PerfectSocket, type RepairCode } from '../src/index.js';
import { UsageError } from '../src/cli/args.js';
import { cli } from './helpers/cli.js';
import { bound } from './helpers/sockets.js';
import { until } from './helpers/wait.js';

const HOST = '127.0.0.1';
/** The REPAIR packet type and, in its header's flags, the value docs/PROTOCOL.md gives each code. */
const REPAIR = 0x02;
const WIRE_VALUE: Record<RepairCode, number> = { rs: 0, xor: 1, lt: 2 };

/** Sends `count` numbered messages to `port`, 100 every 10 ms so the JavaScript proxy keeps up. */
async function sendNumbered(tx: PerfectSocket, port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    tx.send(`message ${i} ${'c'.repeat(i % 200)}`, port, HOST);
    if (i % 100 === 99) await sleep(10);
  }
}

/** The code bits of every REPAIR a socket with `code` sends to a plain UDP socket. */
async function repairCodesOnTheWire(t: ExecutionContext, code: RepairCode | undefined): Promise<Set<number>> {
  const plain = createDgram('udp4');
  t.teardown(() => plain.close());
  plain.bind(0, HOST);
  await once(plain, 'listening');
  const seen = new Set<number>();
  let repairs = 0;
  plain.on('message', (msg: Buffer) => {
    if (msg[0] === 0xa1 && msg[1] === REPAIR) {
      seen.add(msg[2]! & 0b11);
      repairs++;
    }
  });
  const tx = await bound(t, { ...(code === undefined ? {} : { code }), tcpFallback: false, adaptive: false, k: 4, blockTime: 2 });
  for (let i = 0; i < 40; i++) tx.send(`probe ${i}`, plain.address().port, HOST);
  await until(() => repairs >= 10, 5000);
  return seen;
}

for (const code of ['xor', 'lt'] as const) {
  test.serial(`code '${code}': two sockets through the lossy proxy at 2% loss deliver everything, FEC recovering`, async (t) => {
    const rx = await bound(t);
    const got = new Set<string>();
    let twice = 0;
    rx.on('message', (msg) => {
      const text = msg.toString();
      if (got.has(text)) twice++;
      got.add(text);
    });
    const proxy = cli(t, ['proxy', '--listen', `${HOST}:0`, '--to', `${HOST}:${rx.address().port}`, '--loss', '2%', '--seed', '11']);
    const port = await proxy.listening();
    const tx = await bound(t, { code });
    const count = 5000;
    await sendNumbered(tx, port, count);
    await until(() => got.size === count, 30_000).catch(() => undefined);
    const stats = rx.stats();
    t.log(`${code}: delivered ${got.size} of ${count}, recovered ${stats.recovered}, lost ${stats.lost}, retransmitted ${tx.stats().retransmitted}`);
    t.is(got.size, count, 'every message delivered');
    t.is(twice, 0, 'no message twice');
    t.true(stats.recovered > 0, 'FEC rebuilt some');
    t.is(stats.malformed, 0);
    proxy.child.kill('SIGTERM');
    t.is(await proxy.exited, 0);
  });
}

test('the code a socket sends is named in its REPAIR headers: rs by default, xor, lt', async (t) => {
  t.deepEqual(await repairCodesOnTheWire(t, undefined), new Set([WIRE_VALUE.rs]));
  for (const code of ['rs', 'xor', 'lt'] as const) {
    t.deepEqual(await repairCodesOnTheWire(t, code), new Set([WIRE_VALUE[code]]), code);
  }
});

test('code is checked up front: a TypeError naming code and the accepted values', (t) => {
  const wrongValue = t.throws(() => createSocket({ type: 'udp4', code: 'raptor' as RepairCode }), { instanceOf: TypeError });
  t.is(wrongValue?.message, `code must be one of 'rs', 'xor', 'lt', got "raptor"`);
  t.is((wrongValue as TypeError & { code: string }).code, 'ERR_INVALID_ARG_VALUE');
  const wrongType = t.throws(() => createSocket({ type: 'udp4', code: 1 as unknown as RepairCode }), { instanceOf: TypeError });
  t.regex(wrongType?.message ?? '', /^code must be one of 'rs', 'xor', 'lt', got 1$/);
  t.is((wrongType as TypeError & { code: string }).code, 'ERR_INVALID_ARG_TYPE');
  t.throws(() => createSocket({ type: 'udp4', compat: 'seed', k: 4, n: 8, code: 'xor' }), {
    instanceOf: TypeError,
    message: /^code must be 'rs' or left out with compat 'seed'/,
  });
  for (const code of ['rs', 'xor', 'lt'] as const) {
    t.notThrows(() => createSocket({ type: 'udp4', code }).close(), code);
  }
});

test('psock URLs take code=rs|xor|lt, and the relay --code', async (t) => {
  t.is(parseEndpointUrl('psock://127.0.0.1:5000?code=lt', '--to').options.code, 'lt');
  t.is(parseEndpointUrl('psock://127.0.0.1:5000?k=8&code=xor', '--to').options.code, 'xor');
  t.throws(() => parseEndpointUrl('psock://127.0.0.1:5000?code=LT2', '--to'), {
    instanceOf: UsageError,
    message: /^--to "psock:\/\/127\.0\.0\.1:5000\?code=LT2": code "LT2" is not valid; accepted: rs, xor, lt$/,
  });
  t.throws(() => parseEndpointUrl('psock://127.0.0.1:5000?compat=seed&k=4&n=8&code=lt', '--to'), {
    instanceOf: UsageError,
    message: /code must be 'rs' or left out with compat 'seed'/,
  });
  const run = cli(t, ['relay', '--from', `udp://${HOST}:0`, '--to', `psock://${HOST}:5000`, '--code', 'raptor']);
  t.is(await run.exited, 2);
  t.regex(run.stderr().trim(), /^perfect-socket relay: --code "raptor" is not valid; accepted: rs, xor, lt$/);
  const help = cli(t, ['relay', '--help']);
  t.is(await help.exited, 0);
  t.regex(help.stdout(), /--code CODE/);
});
