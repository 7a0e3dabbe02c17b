import type { SocketStats } from '../../socket/stats.js';
import type { AssemblerCounters } from '../stripe/assembler.js';
import type { Report } from '../wire/control.js';

/**
 * Builds a peer's REPORTs: the coordinator wants rates and counts over the last interval, while
 * the assembler and the socket keep running totals, so each report is the difference from the
 * totals at the previous one.
 */
export class ReportWindow {
  #last = { blocks: 0, lost: 0, symbols: 0, expected: 0, bytesIn: 0, bytesOut: 0, at: 0 };

  /** Starts the first interval at `now` (the placement). */
  start(now: number): void {
    this.#last.at = now;
  }

  /** The report for the interval ending at `now`; the next one starts there. */
  next(now: number, a: AssemblerCounters, sock: SocketStats, parents: string[]): Report {
    const r = this.#last;
    const seconds = Math.max(0.001, (now - r.at) / 1000);
    const symbols = a.symbolsIn;
    const missing = a.symbolsExpected - r.expected;
    const got = symbols - r.symbols;
    const report: Report = {
      t: 'report',
      blocks: Math.max(0, a.blocksDecoded - r.blocks),
      lost: Math.max(0, a.blocksLost - r.lost),
      rawLoss: missing > 0 ? Math.min(1, Math.max(0, 1 - got / missing)) : 0,
      inBps: Math.max(0, ((sock.bytesReceived - r.bytesIn) * 8) / seconds),
      outBps: Math.max(0, ((sock.bytesSent - r.bytesOut) * 8) / seconds),
      parents,
    };
    this.#last = { blocks: a.blocksDecoded, lost: a.blocksLost, symbols, expected: a.symbolsExpected, bytesIn: sock.bytesReceived, bytesOut: sock.bytesSent, at: now };
    return report;
  }
}
