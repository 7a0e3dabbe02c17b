/** The simulator's outputs: a text table, a hand-made SVG chart and the JSON record. */
import type { SimResult } from './simulate.js';

const pct = (x: number, digits = 3): string => `${(x * 100).toFixed(digits)}%`;
const ms = (x: number): string => `${Math.round(x)}`;

/** One row per run: the figures the issue's Done-when names, then the supporting ones. */
export function table(results: readonly SimResult[]): string {
  const head = [
    'peers',
    'churn/min',
    'max depth (min)',
    'ratio',
    'mean depth',
    'root upload',
    'continuity mean',
    'p1',
    'min',
    '>=99.9%',
    'join ms p50/p99',
    'repair ms p50/p99',
    'runtime s',
  ];
  const rows = results.map((r) => [
    r.config.peers.toLocaleString('en-US'),
    pct(r.config.churnPerMinute, 0),
    `${r.depth.maxOverRun} (${r.depth.minDepth})`,
    `${r.depth.ratio.toFixed(2)}x`,
    r.depth.meanDepth.toFixed(2),
    r.rootUpload.min === r.rootUpload.max ? `${r.rootUpload.max.toFixed(2)}x flat` : `${r.rootUpload.min.toFixed(2)}-${r.rootUpload.max.toFixed(2)}x`,
    pct(r.continuity.mean),
    pct(r.continuity.p1),
    pct(r.continuity.min),
    pct(r.continuity.atLeast999, 2),
    `${ms(r.joinMs.p50)}/${ms(r.joinMs.p99)}`,
    `${ms(r.repairMs.p50)}/${ms(r.repairMs.p99)}`,
    (r.runtimeMs / 1000).toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

interface Panel {
  title: string;
  /** Log-scale axes (values at or below the low end drawn there). */
  logY?: boolean;
  logX?: boolean;
  xTicks?: number[];
  xFormat?: (v: number) => string;
  x: [number, number];
  y: [number, number];
  xLabel: string;
  yTicks: number[];
  yFormat: (v: number) => string;
  series: { label: string; color: string; dash?: string; points: [number, number][] }[];
  hline?: { y: number; label: string };
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(p: Panel, top: number, width: number, height: number): string {
  const left = 70;
  const right = width - 20;
  const bottom = top + height;
  const g = (v: number): number => (p.logX ? Math.log10(Math.max(v, p.x[0])) : v);
  const sx = (v: number): number => left + ((g(v) - g(p.x[0])) / (g(p.x[1]) - g(p.x[0]) || 1)) * (right - left);
  const f = (v: number): number => (p.logY ? Math.log10(Math.max(v, p.y[0])) : v);
  const sy = (v: number): number => bottom - ((Math.min(Math.max(f(v), f(p.y[0])), f(p.y[1])) - f(p.y[0])) / (f(p.y[1]) - f(p.y[0]) || 1)) * height;
  const out: string[] = [];
  out.push(`<text x="${left}" y="${top - 10}" font-size="14" font-weight="bold">${escape(p.title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${height}" fill="none" stroke="#999"/>`);
  for (const t of p.yTicks) {
    out.push(`<line x1="${left}" x2="${right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${(sy(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${escape(p.yFormat(t))}</text>`);
  }
  const xTicks = p.xTicks ?? [0, 1, 2, 3, 4].map((i) => p.x[0] + ((p.x[1] - p.x[0]) * i) / 4);
  for (const v of xTicks) {
    out.push(`<text x="${sx(v).toFixed(1)}" y="${bottom + 15}" font-size="11" text-anchor="middle">${escape(p.xFormat ? p.xFormat(v) : `${Math.round(v)}`)}</text>`);
  }
  out.push(`<text x="${(left + right) / 2}" y="${bottom + 30}" font-size="11" text-anchor="middle">${escape(p.xLabel)}</text>`);
  if (p.hline) {
    out.push(`<line x1="${left}" x2="${right}" y1="${sy(p.hline.y).toFixed(1)}" y2="${sy(p.hline.y).toFixed(1)}" stroke="#888" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${right - 4}" y="${(sy(p.hline.y) - 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#666">${escape(p.hline.label)}</text>`);
  }
  p.series.forEach((s, i) => {
    const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    if (s.label !== '') out.push(`<text x="${right - 8}" y="${bottom - 10 - i * 13}" font-size="11" text-anchor="end" fill="${s.color}">${escape(s.label)}</text>`);
  });
  return out.join('\n');
}

/** Depth over time, root upload over time, and each run's continuity by percentile of peers. */
export function chart(results: readonly SimResult[]): string {
  const width = 820;
  const height = 190;
  const tMax = Math.max(...results.flatMap((r) => r.samples.map((x) => x.t)));
  const depthMax = Math.max(...results.flatMap((r) => r.samples.map((x) => x.maxDepth)), 1);
  const depth: Panel = {
    title: 'Tree depth over time (solid: max; dashed: least possible for the slots; dotted: mean)',
    x: [0, tMax],
    y: [0, depthMax + 1],
    xLabel: 'simulated seconds (flash crowd, then churn)',
    yTicks: Array.from({ length: Math.floor((depthMax + 1) / 2) + 1 }, (_, i) => i * 2),
    yFormat: (v) => `${v}`,
    series: results.flatMap((r, i) => [
      { label: `${r.config.peers.toLocaleString('en-US')} peers`, color: COLORS[i % 4]!, points: r.samples.map((x) => [x.t, x.maxDepth] as [number, number]) },
      { label: '', color: COLORS[i % 4]!, dash: '6,4', points: r.samples.map((x) => [x.t, x.minDepth] as [number, number]) },
      { label: '', color: COLORS[i % 4]!, dash: '1,3', points: r.samples.map((x) => [x.t, x.meanDepth] as [number, number]) },
    ]),
  };
  const upMax = Math.max(...results.flatMap((r) => r.samples.map((x) => x.rootUpload)), 1);
  const upload: Panel = {
    title: 'Source (root) upload, multiple of the stream',
    x: [0, tMax],
    y: [0, Math.ceil(upMax + 0.5)],
    xLabel: 'simulated seconds',
    yTicks: Array.from({ length: Math.ceil(upMax + 0.5) + 1 }, (_, i) => i),
    yFormat: (v) => `${v}x`,
    series: results.map((r, i) => ({
      label: `${r.config.peers.toLocaleString('en-US')} peers`,
      color: COLORS[i % 4]!,
      points: r.samples.map((x) => [x.t, x.rootUpload] as [number, number]),
    })),
  };
  const floor = 1e-6;
  const continuity: Panel = {
    title: 'Blocks lost per peer (1 - continuity) against the share of peers losing at least that much',
    logY: true,
    logX: true,
    x: [0.1, 100],
    y: [floor, 1],
    xLabel: 'share of peers, worst first (log scale; losses below 1e-6 drawn at 1e-6)',
    xTicks: [0.1, 1, 10, 100],
    xFormat: (v) => `${v}%`,
    yTicks: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1],
    yFormat: (v) => (v >= 1e-3 ? pct(v, 1).replace('.0%', '%') : v.toExponential(0)),
    hline: { y: 1e-3, label: 'target: continuity 99.9%' },
    series: results.map((r, i) => ({
      label: `${r.config.peers.toLocaleString('en-US')} peers`,
      color: COLORS[i % 4]!,
      points: r.continuityCdf.slice(1).map((v, j) => [((j + 1) * 100) / (r.continuityCdf.length - 1), 1 - v] as [number, number]),
    })),
  };
  const total = 3 * (height + 70) + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" font-family="sans-serif">`,
    `<rect width="${width}" height="${total}" fill="white"/>`,
    panel(depth, 40, width, height),
    panel(upload, 40 + (height + 70), width, height),
    panel(continuity, 40 + 2 * (height + 70), width, height),
    '</svg>',
    '',
  ].join('\n');
}
