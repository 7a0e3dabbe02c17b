// Results as one table per scenario, contenders side by side, the psock targets alongside:
// aligned text for the terminal, or Markdown for the README.

const ms = (v) => (v === undefined ? '-' : v.toFixed(1))

/** Table rows: id (what targets attach to), label, and how to show a finished run's value. */
const ROWS = [
  { id: 'delivered', label: 'delivered TS packets', cell: (r) => `${(r.delivery.deliveredFraction * 100).toFixed(6)}%` },
  { id: 'lost', label: 'datagrams lost', cell: (r) => `${r.delivery.missing} of ${r.delivery.datagramsSent}` },
  { id: 'p50', label: 'latency p50 ms', cell: (r) => ms(r.delivery.latencyMs?.p50) },
  {
    id: 'p99',
    label: 'latency p99 ms',
    // With several rounds: the median round's, then every round's in brackets.
    cell: (r) => ms(r.delivery.latencyMs?.p99) + (r.p99Rounds ? ` [${r.p99Rounds.map(ms).join(', ')}]` : ''),
  },
  { id: 'max', label: 'latency max ms', cell: (r) => ms(r.delivery.latencyMs?.max) },
  { id: 'overhead', label: 'overhead (proxy bytes both ways / TS bytes)', cell: (r) => `${r.overhead.toFixed(3)}x` },
  { id: 'back', label: 'datagrams back through the proxy', cell: (r) => String(r.proxy.back.received) },
  { id: 'order', label: 'duplicates / out of order', cell: (r) => `${r.delivery.duplicates} / ${r.delivery.outOfOrder}` },
  { id: 'identical', label: 'byte-identical to what was sent', cell: (r) => (r.delivery.identical ? 'yes' : `NO (${r.delivery.unmatched} altered)`) },
  { id: 'decode', label: 'ffmpeg decode errors', cell: (r) => (r.decodeErrors === null ? 'not checked' : String(r.decodeErrors)) },
  // Timer and CPU stalls in the replayer show up as bursts; large values make latency less exact.
  { id: 'late', label: 'replayer max lateness ms', cell: (r) => r.replay.maxLateMs.toFixed(1) },
]

/** The cell for one contender: its value, a verdict where psock has a target on this row. */
function cell(row, run, plain, targets) {
  if (run === undefined) return 'not run'
  if (run.skipped) return 'skipped'
  if (run.delivery === undefined) return 'failed'
  let text = row.cell(run)
  if (run.contender === 'psock') {
    for (const t of targets.filter((t) => t.row === row.id)) {
      const met = t.met(run, plain)
      text += met === undefined ? ' (needs plain)' : met ? ' ok' : ' MISSED'
    }
  }
  return text
}

/**
 * The rows of one scenario's table: a header, then one row per metric with a column per
 * contender and the psock target column.
 */
export function scenarioTable(scenario, contenders, runs) {
  const byName = new Map(runs.map((r) => [r.contender, r]))
  const plain = byName.get('plain')
  const header = ['', ...contenders, 'psock target']
  const rows = ROWS.map((row) => [
    row.label,
    ...contenders.map((c) => cell(row, byName.get(c), plain, scenario.targets)),
    scenario.targets.filter((t) => t.row === row.id).map((t) => t.label).join('; ') || '',
  ])
  return [header, ...rows]
}

const SUMMARY_ROWS = ['delivered', 'p50', 'p99', 'overhead'].map((id) => ROWS.find((r) => r.id === id))

/**
 * All scenarios in one compact table for a README: per contender "delivered; p50 / p99 ms;
 * overhead", psock's verdicts inline, the targets in the last column.
 */
export function summaryTable(results, contenders) {
  const header = ['scenario', ...contenders.map((c) => `${c}: delivered; p50 / p99 ms; overhead`), 'psock targets']
  const rows = results.map(({ scenario, runs }) => {
    const byName = new Map(runs.map((r) => [r.contender, r]))
    const plain = byName.get('plain')
    const cells = contenders.map((c) => {
      const [delivered, p50, p99, overhead] = SUMMARY_ROWS.map((row) => cell(row, byName.get(c), plain, scenario.targets))
      return byName.get(c)?.delivery ? `${delivered}; ${p50} / ${p99}; ${overhead}` : delivered
    })
    return [`${scenario.name}`, ...cells, scenario.targets.map((t) => `${t.row} ${t.label}`).join('; ')]
  })
  return [header, ...rows]
}

/** Problems to print under a table: failed or skipped runs, early exits. */
export function notes(runs) {
  return runs.flatMap((r) => [...(r.skipped ? [`${r.contender}: skipped: ${r.skipped}`] : []), ...(r.errors ?? []).map((e) => `${r.contender}: ${e}`)])
}

/** Space-aligned columns. */
export function formatText(table) {
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)))
  const line = (row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(table[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n')
}

/** A Markdown table. */
export function formatMarkdown(table) {
  const line = (row) => `| ${row.join(' | ')} |`
  return [line(table[0]), line(table[0].map(() => '---')), ...table.slice(1).map(line)].join('\n')
}
