import test, { type ExecutionContext } from 'ava';
import { cli, type Cli } from './helpers/cli.js';
const LINES = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${'z'.repeat(i % 50)}`);

/** The last JSON line of a command's stderr: its counters. */
function statsOf(stderr: string): Record<string, number> {
  const line = stderr.trim().split('\n').findLast((l) => l.startsWith('{'));
  return JSON.parse(line ?? '{}') as Record<string, number>;
}

/** How many lines arrived after a line that was sent later. */
function outOfOrder(received: string[]): number {
  let late = 0;
  let highest = -1;
  for (const line of received) {
    const i = Number(line.split(' ')[1]);
    if (i < highest) late++;
    highest = Math.max(highest, i);
  }
  return late;
}

/** recv's latency budget in these specs' queries, and then some. */
const QUIET_MS = 6000;

/** Stops `recv` (SIGTERM) once its output has not grown for QUIET_MS. */
function stopWhenQuiet(recv: Cli): NodeJS.Timeout {
  let printed = -1;
  let quietSince = performance.now();
  return setInterval(() => {
    const now = recv.stdout().length;
    if (now !== printed) [printed, quietSince] = [now, performance.now()];
    else if (performance.now() - quietSince > QUIET_MS) recv.child.kill('SIGTERM');
  }, 100);
}

/**
 * recv <- proxy (loss on the way) <- send with all of LINES on stdin; returns what recv printed.
 * The sender is paced (--rate) so the JavaScript proxy's socket buffer never overflows: only the
 * proxy's own loss decisions should drop packets.
 */
async function throughLossyProxy(t: ExecutionContext, query: string, proxyArgs: string[], rate: number): Promise<string[]> {
  const recv = cli(t, ['recv', '--listen', `psock://127.0.0.1:0?${query}`, '--count', String(LINES.length)]);
  const proxy = cli(t, ['proxy', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${await recv.listening()}`, ...proxyArgs]);
  const send = cli(t, ['send', '--to', `psock://127.0.0.1:${await proxy.listening()}?${query}`, '--rate', String(rate)]);
  send.child.stdin.end(`${LINES.join('\n')}\n`);
  t.is(await send.exited, 0, send.stderr());
  const sentAt = performance.now();
  // recv exits by itself at --count; if lines are missing it never gets there, so stop it once
  // it has printed nothing for QUIET_MS. Not at a fixed time after send exits: on a CPU-starved
  // machine the JavaScript proxy can still be forwarding seconds later, and recv, in order,
  // holds lines behind a block not yet complete (two clean-clone runs stopped it that way, with
  // 672 and 1,303 lines out and none lost or late). A line truly lost still fails below: once
  // the latency budget gives up its block, the lines after it come out, and recv falls quiet.
  const watchdog = stopWhenQuiet(recv);
  t.is(await recv.exited, 0, recv.stderr());
  clearInterval(watchdog);
  t.log(`recv ended ${Math.round(performance.now() - sentAt)} ms after send exited`);
  proxy.child.kill('SIGTERM');
  t.is(await proxy.exited, 0);
  const sent = statsOf(send.stderr());
  const got = statsOf(recv.stderr());
  t.log(`proxy: ${proxy.stderr().trim().split('\n').at(-1)}`);
  t.log(`send: lines ${sent.lines}, datagrams ${sent.datagramsSent}, repairs ${sent.repairsSent}, engine calls ${sent.sendCalls}`);
  t.log(`recv: delivered ${got.delivered}, recovered ${got.recovered}, lost ${got.lost}, late ${got.late}`);
  t.is(sent.lines, LINES.length);
  t.is(sent.retransmitted, 0, 'FEC only');
  const received = recv.stdout().split('\n').slice(0, -1);
  t.log(`lines delivered out of order: ${outOfOrder(received)} of ${received.length}`);
  return received;
}

/** Every line exactly once, in the order sent (the receiver holds later lines back while FEC
 * can still fill a gap before them). */
function assertAllInOrder(t: ExecutionContext, received: string[]): void {
  t.is(new Set(received).size, received.length, 'no line twice');
  const missing = LINES.filter((l) => !received.includes(l));
  t.deepEqual(missing.slice(0, 10), [], `${missing.length} lines missing`);
  t.is(outOfOrder(received), 0, 'lines out of order');
  t.deepEqual(received, LINES);
}

test.serial('send -> proxy --loss 10% -> recv (v1): every line of 10,000 delivered once, in order, by FEC', async (t) => {
  // k=32 with 50% redundancy: a block of 48 fails only past 16 losses, about 1e-6 at 10% loss.
  // A 5 s latency budget: this spec is about FEC, and on a CPU-starved machine the JavaScript
  // proxy forwards 15,000 datagrams a second more slowly than they come, so its queue grows
  // past the default budget and lines arrive late (seen with other specs running alongside).
  // Blocks close by count, not by a 10 ms time bound: the sender's paced bursts left a short
  // block open across each pause, and a starved machine closed it short (a block of a few
  // sources and their 50% repairs is lost with a few losses: one clean-clone run lost 3 lines).
  const query = 'k=32&redundancy=0.5&blocktime=100ms&nack=0&adaptive=0&latency=5s';
  const received = await throughLossyProxy(t, query, ['--loss', '10%', '--seed', '3'], 10_000);
  assertAllInOrder(t, received);
});

test.serial('seed format k=4, n=16 through 30% loss: every line of 10,000 delivered once, in order', async (t) => {
  // A message is lost only if 13 of its 16 fragments are: 3.4e-5 each, so about one run in three
  // of 10,000 messages loses one to chance alone. The proxy's PRNG seed fixes the pattern, and
  // the seed format's fragment order is fixed too: seed 4's pattern leaves every message 4 or
  // more fragments (checked by replaying the proxy's Link with that seed).
  // 1,000 lines/s is 16,000 datagrams/s into the JavaScript proxy: faster, a pause of its event loop
  // overflows its socket buffer and the kernel's drops add to the seeded pattern.
  const received = await throughLossyProxy(t, 'compat=seed&k=4&n=16', ['--loss', '30%', '--seed', '4'], 1000);
  assertAllInOrder(t, received);
});

test('recv: --count exits after N messages; counters go to stderr as JSON', async (t) => {
  const recv = cli(t, ['recv', '--listen', 'psock://127.0.0.1:0', '--count', '3']);
  const send = cli(t, ['send', '--to', `psock://127.0.0.1:${await recv.listening()}`]);
  send.child.stdin.end('one\ntwo\n\nfour\nfive\n');
  t.is(await send.exited, 0, send.stderr());
  t.is(await recv.exited, 0, recv.stderr());
  t.is(recv.stdout(), 'one\ntwo\n\n');
  // The rest may have come in the same batch as the third, or after recv closed.
  t.true(statsOf(recv.stderr()).delivered >= 3, recv.stderr());
});

test('recv: SIGTERM prints the counters and exits 0', async (t) => {
  const recv = cli(t, ['recv', '--listen', 'psock://127.0.0.1:0?latency=200ms']);
  await recv.listening();
  recv.child.kill('SIGTERM');
  t.is(await recv.exited, 0);
  t.is(statsOf(recv.stderr()).delivered, 0);
});

test('bad flags and URLs exit 2 with one line saying what is accepted', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['send'], /missing --to/],
    [['send', '--to', 'udp://127.0.0.1:5000'], /accepted: psock:\/\/HOST:PORT/],
    [['send', '--to', 'psock://127.0.0.1:5000?k=0'], /k "0" is out of range/],
    [['send', '--to', 'psock://127.0.0.1:5000', '--rate', 'fast'], /--rate "fast" is not valid/],
    [['send', '--too', 'psock://127.0.0.1:5000'], /unknown flag --too/],
    [['recv'], /missing --listen/],
    [['recv', '--listen', 'psock://127.0.0.1'], /has no port/],
    [['recv', '--listen', 'psock://127.0.0.1:0', '--count', '0'], /--count "0" is out of range/],
  ];
  await Promise.all(
    cases.map(async ([args, pattern]) => {
      const run = cli(t, args);
      run.child.stdin.end();
      t.is(await run.exited, 2, args.join(' '));
      const lines = run.stderr().trim().split('\n');
      t.is(lines.length, 1, run.stderr());
      t.regex(lines[0]!, pattern);
      t.regex(lines[0]!, /accepted/);
    }),
  );
});
