import type { SocketStats } from '../socket/stats.js';
import type { RelayStats } from './relay.js';

/** Seed 001's three counters, from this relay's side. */
export interface Outcome {
  /** Payloads handed on. */
  complete: number;
  /** Payloads that never will be: not forwardable here, or (receiver side) lost on the way. */
  dropped: number;
  /** Payloads rebuilt from repair symbols (receiver side; 0 on the sender). */
  recovered: number;
}

/** Seed 001's "complete, dropped, FEC recovered" for a relay. */
export function outcome(s: RelayStats): Outcome {
  const lostOnTheWay = s.mode === 'psock->udp' ? s.psock.lost : 0;
  return { complete: s.out.packets - s.dropped, dropped: s.dropped + lostOnTheWay, recovered: s.psock.recovered };
}

const mbit = (bps: number): string => (bps / 1e6).toFixed(2);

/** A value the socket reports as 0 until it has learnt it (RTT, adapted shape). */
function learnt(value: number, show: (v: number) => string): string {
  return value > 0 ? show(value) : '-';
}

/** The block shape a socket currently sends with (adapted): what a sender relay reports. */
export function formatShape(p: SocketStats): string {
  return `redundancy ${learnt(p.redundancy, (r) => r.toFixed(2))} k ${learnt(p.blockSources, String)}`;
}

/**
 * One status line: rate, seed 001's counters (complete, dropped, FEC recovered), NACK repair,
 * late arrivals, loss seen on the path, RTT, and on the sender side the current redundancy and
 * block size (a receiver sends no data, so it has none of its own).
 */
export function formatStatsLine(s: RelayStats): string {
  const { complete, dropped, recovered } = outcome(s);
  const p = s.psock;
  const sender = s.mode === 'udp->psock';
  const parts = [
    `${s.mode} ${mbit(sender ? s.rates.inBitsPerSecond : s.rates.outBitsPerSecond)} Mbit/s (wire ${mbit(s.rates.wireBitsPerSecond)})`,
    `${complete} complete, ${dropped} dropped, ${recovered} FEC recovered`,
    `retransmitted ${sender ? p.retransmitted : p.retransmitsReceived}, late ${p.late}, lost ${p.lost}`,
    `loss ${(p.lossRate * 100).toFixed(1)}%`,
    `rtt ${learnt(p.rttMs, (ms) => `${ms.toFixed(0)} ms`)}`,
  ];
  if (sender) parts.push(formatShape(p));
  return parts.join(' | ');
}

/**
 * A live status line on stderr: rewritten in place (`\r`) on a terminal, appended as a new line
 * otherwise (a log file gets one line per update).
 */
export class StatusLine {
  readonly #tty = process.stderr.isTTY === true;
  #open = false;

  /** Shows `text` as the current status. */
  show(text: string): void {
    if (this.#tty) {
      // A line that wraps cannot be rewritten with \r: cut it to the terminal's width.
      const width = process.stderr.columns ?? 0;
      const fitted = width > 1 && text.length >= width ? text.slice(0, width - 1) : text;
      process.stderr.write(`\r${fitted}\x1b[K`);
      this.#open = true;
    } else {
      process.stderr.write(`${text}\n`);
    }
  }

  /** Ends a line left open by `show`, before other output. */
  end(): void {
    if (this.#open) process.stderr.write('\n');
    this.#open = false;
  }
}
