// The network conditions compared, each with the issue's targets for perfect-socket (psock).
// Loss and delay apply in both directions; one-way delay is half the RTT.

const percent = (fraction) => `${+(fraction * 100).toFixed(4)}%`

/**
 * A target is { row, label, met(run, plainRun) } where `row` names the table row it sits next
 * to and `met` returns true, false, or undefined when it cannot be judged (e.g. needs plain).
 */
const deliveredAtLeast = (fraction) => ({
  row: 'delivered',
  label: `>= ${percent(fraction)}`,
  met: (run) => run.delivery.deliveredFraction >= fraction,
})

const p99Below = (ms, why) => ({
  row: 'p99',
  label: `< ${ms} ms (${why})`,
  met: (run) => (run.delivery.latencyMs ? run.delivery.latencyMs.p99 < ms : false),
})

const p99OverPlainBelow = (ms) => ({
  row: 'p99',
  label: `< plain p99 + ${ms} ms`,
  met: (run, plain) => {
    const ours = run.delivery.latencyMs?.p99
    const base = plain?.delivery?.latencyMs?.p99
    if (base === undefined) return undefined
    return ours !== undefined && ours - base < ms
  },
})

const overheadAtMost = (ratio) => ({
  row: 'overhead',
  label: `<= ${ratio.toFixed(2)}x`,
  met: (run) => run.overhead <= ratio,
})

function scenario(name, loss, rttMs, { burst, targets = [], rounds } = {}) {
  const lossText = loss === 0 ? 'no loss' : `${percent(loss)} loss ${burst ? `in bursts of mean length ${burst}` : 'i.i.d.'} each way`
  return { name, loss, burst, rttMs, targets, rounds, describe: `${lossText}, RTT ${rttMs} ms (${rttMs / 2} ms each way)` }
}

/** In the order they run. */
export const SCENARIOS = [
  // A 2 ms difference in p99 is within one run's scheduling noise on a shared 2-core machine:
  // three alternating rounds, the median reported.
  scenario('loss0-rtt40', 0, 40, { targets: [p99OverPlainBelow(2), overheadAtMost(1.05)], rounds: 3 }),
  scenario('loss1-rtt40', 0.01, 40),
  scenario('loss5-rtt40', 0.05, 40, { targets: [deliveredAtLeast(0.9999), p99Below(60, 'one-way 20 ms + 40 ms'), overheadAtMost(1.3)] }),
  scenario('loss1-rtt200', 0.01, 200),
  scenario('loss5-rtt200', 0.05, 200, { targets: [deliveredAtLeast(0.999), overheadAtMost(1.35)] }),
  scenario('burst5-rtt40', 0.05, 40, { burst: 4, targets: [deliveredAtLeast(0.999)] }),
]

/** The proxy's impairment flags for a scenario, the same both ways. */
export function proxyImpairments(s) {
  const flags = []
  const both = (name, value) => flags.push(`--${name}`, value, `--${name}-back`, value)
  if (s.loss > 0) both('loss', percent(s.loss))
  if (s.burst) both('burst', String(s.burst))
  if (s.rttMs > 0) both('delay', `${s.rttMs / 2}ms`)
  return flags
}
