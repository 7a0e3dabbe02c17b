// Seed 001's recovery experiment, charted: Reed-Solomon vs XOR parity vs mirrored LT at equal
// redundancy, k data + m repair symbols, N random losses. Runs the Rust example (real encodes
// and decodes), writes docs/recovery.svg and prints a Markdown table.
//
//   node bench/recovery/run.mjs [--trials T] [--json FILE] [--out FILE]
//
// --json charts a saved run of the example instead of running it (cargo is then not needed).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '2000' },
    json: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'docs', 'recovery.svg') },
  },
})
if (!/^[1-9]\d*$/.test(values.trials)) {
  console.error('bench/recovery: --trials must be a positive integer')
  process.exit(2)
}

const CODES = [
  { id: 'rs', label: 'Reed-Solomon', color: '#1f6fb4', width: 5, opacity: 0.45 },
  { id: 'xor', label: 'XOR parity (m striped blocks)', color: '#e07b00', width: 2, opacity: 1 },
  { id: 'lt', label: 'mirrored LT', color: '#2a9d3a', width: 2, opacity: 1 },
]

const report = JSON.parse(
  values.json
    ? readFileSync(values.json, 'utf8')
    : execFileSync(
        'cargo',
        ['run', '--release', '--quiet', '-p', 'perfect-socket-fec', '--example', 'recovery', '--', '--trials', values.trials],
        { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
      ),
)

writeFileSync(values.out, chart(report))
console.error(`bench/recovery: wrote ${relative(process.cwd(), values.out)}`)
console.log(table(report))

/** Panels in a grid: one row per redundancy, one column per k. */
function chart({ panels, trials }) {
  const ratios = [...new Set(panels.map((p) => p.redundancy))]
  const ks = [...new Set(panels.map((p) => p.k))]
  const panel = { w: 300, h: 210, left: 52, right: 14, top: 30, bottom: 44 }
  const head = 74
  const width = ks.length * panel.w
  const height = head + ratios.length * panel.h + 10
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">Share of ${trials} trials with every data symbol recovered, after N random losses among k + m symbols</text>`,
    ...legend(16, 50),
  ]
  panels.forEach((p) => {
    const x0 = ks.indexOf(p.k) * panel.w
    const y0 = head + ratios.indexOf(p.redundancy) * panel.h
    out.push(...plot(p, x0, y0, panel))
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

function legend(x, y) {
  const items = [
    ...CODES.map((c) => ({ ...c, dash: '' })),
    { label: 'MDS bound: all recovered iff N ≤ m (no code does better)', color: '#000', width: 1.5, opacity: 1, dash: '6 4' },
  ]
  const out = []
  for (const item of items) {
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${item.color}" stroke-width="${item.width}" stroke-opacity="${item.opacity}"${item.dash ? ` stroke-dasharray="${item.dash}"` : ''}/>`,
      `<text x="${x + 32}" y="${y + 4}">${escape(item.label)}</text>`,
    )
    x += 50 + item.label.length * 6.3
  }
  return out
}

function plot({ k, m, redundancy, points }, x0, y0, box) {
  const plotW = box.w - box.left - box.right
  const plotH = box.h - box.top - box.bottom
  const maxN = points[points.length - 1].losses
  // N is a count, so each value holds across N +- 0.5: series are drawn as steps.
  const px = (n) => x0 + box.left + ((n + 0.5) / (maxN + 1)) * plotW
  const py = (rate) => y0 + box.top + (1 - rate) * plotH
  const steps = (key) =>
    points.map((p, i) => `${i ? `V${py(p[key]).toFixed(1)}` : `M${px(-0.5).toFixed(1)},${py(p[key]).toFixed(1)}`}H${px(p.losses + 0.5).toFixed(1)}`).join('')
  const out = [
    `<text x="${x0 + box.left}" y="${y0 + box.top - 10}" font-weight="600">k = ${k}, m = ${m} (${Math.round(redundancy * 100)}% redundancy)</text>`,
    `<rect x="${px(-0.5)}" y="${py(1)}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
  ]
  for (const rate of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(
      `<line x1="${px(-0.5)}" y1="${py(rate)}" x2="${px(maxN + 0.5)}" y2="${py(rate)}" stroke="#e4e4e4"/>`,
      `<text x="${px(-0.5) - 6}" y="${py(rate) + 4}" text-anchor="end">${rate * 100}%</text>`,
    )
  }
  // Ticks at a round step, leaving room for the bold one at N = m.
  const step = niceStep(maxN)
  for (let n = 0; n <= maxN; n += step) {
    if (Math.abs(px(n) - px(m)) >= 30) out.push(`<text x="${px(n)}" y="${py(0) + 16}" text-anchor="middle">${n}</text>`)
  }
  out.push(
    `<text x="${px(m)}" y="${py(0) + 16}" text-anchor="middle" font-weight="600">m=${m}</text>`,
    `<text x="${x0 + box.left + plotW / 2}" y="${py(0) + 32}" text-anchor="middle" fill="#444">lost symbols N (of k + m)</text>`,
  )
  for (const code of CODES) {
    out.push(
      `<path d="${steps(code.id)}" fill="none" stroke="${code.color}" stroke-width="${code.width}" stroke-opacity="${code.opacity}" stroke-linejoin="round"/>`,
    )
  }
  out.push(`<path d="${steps('bound')}" fill="none" stroke="#000" stroke-width="1.5" stroke-dasharray="6 4"/>`)
  return out
}

/** An axis step giving at most about 8 ticks: 1, 2, 5, 10, 20, ... */
function niceStep(span) {
  for (let step = 1; ; step *= 10) {
    for (const s of [step, 2 * step, 5 * step]) if (span / s <= 8) return s
  }
}

function escape(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** One row per (panel, code): recovery at a few N, and the largest N always recovered. */
function table({ panels, trials }) {
  const pct = (rate) => (rate === 1 ? '100%' : rate === 0 ? '0%' : `${(rate * 100).toFixed(1)}%`)
  const lines = [
    `Share of ${trials} trials with all k data symbols recovered after N random losses among the k + m symbols.`,
    '',
    '| k | m | code | N=1 | N=2 | N=3 | N=4 | N=m/2 | N=m | 100% of trials up to N |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const { k, m, points } of panels) {
    const at = (n) => points.find((p) => p.losses === n)
    for (const code of CODES) {
      const cells = [1, 2, 3, 4, Math.floor(m / 2), m].map((n) => pct(at(n)[code.id]))
      // The largest N up to which every trial recovered (losses are checked in order).
      const always = points.findIndex((p) => p[code.id] < 1) - 1
      lines.push(`| ${k} | ${m} | ${code.label.replace(/ \(.*\)/, '')} | ${cells.join(' | ')} | ${always} |`)
    }
  }
  return lines.join('\n')
}
