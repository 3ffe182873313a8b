// The progress line (TLC's "Progress(d) at ...: n states generated, m
// distinct states found, q states left on queue"): every few seconds while a
// search runs, one line on stderr with the distinct and generated counts, the
// queue or the depth, the rate and the time so far.
//
// On a terminal the line is rewritten in place once a second; elsewhere (a CI
// log, a file) it is printed as a new line every ten seconds by default, so a
// long run in CI shows that it is alive and how fast it goes instead of
// nothing for minutes. The sequential engines call `due` from their hot loop
// every few thousand states (one clock read there, explore.ts); the parallel
// search calls `show` from a timer.

export interface ProgressOptions {
  /** Milliseconds between two lines. */
  readonly everyMs: number;
  /** Rewrite one line in place (a terminal) rather than print a new line each time (a log). */
  readonly inPlace: boolean;
  /** Where the text goes; default stderr. */
  readonly write?: (text: string) => void;
}

/** The defaults: once a second in place on a terminal, a line every ten seconds elsewhere. */
export function defaultProgress(terminal: boolean): ProgressOptions {
  return terminal ? { everyMs: 1000, inPlace: true } : { everyMs: 10_000, inPlace: false };
}

export interface ProgressFigures {
  readonly distinct: number;
  /** States generated so far, or -1 when the search does not count them here (the parallel search's main thread). */
  readonly generated: number;
  /** States waiting to be expanded, or -1 when the search has no queue (dfs, simulation). */
  readonly queued: number;
  readonly depth: number;
  /** Worker threads, or 0 for a sequential search. */
  readonly workers: number;
}

const integer = (n: number) => n.toLocaleString('en-US');

/** `progress 12s: 1,234,567 distinct, 9,876,543 generated, queue 1,234, depth 17, 102,880 distinct/s`. */
export function formatProgress(elapsedMs: number, figures: ProgressFigures): string {
  const elapsedS = elapsedMs / 1000;
  const rate = elapsedS > 0 ? Math.round(figures.distinct / elapsedS) : 0;
  const parts = [`${integer(figures.distinct)} distinct`];
  if (figures.generated >= 0) parts.push(`${integer(figures.generated)} generated`);
  if (figures.queued >= 0) parts.push(`queue ${integer(figures.queued)}`);
  parts.push(`depth ${figures.depth}`, `${integer(rate)} distinct/s`);
  if (figures.workers > 0) parts.push(`${figures.workers} workers`);
  return `progress ${elapsedS.toFixed(0)}s: ${parts.join(', ')}`;
}

export class ProgressLine {
  private nextMs: number;
  private shownInPlace = false;
  private readonly write: (text: string) => void;

  constructor(
    private readonly options: ProgressOptions,
    private readonly startMs: number,
  ) {
    this.nextMs = startMs + options.everyMs;
    this.write = options.write ?? ((text) => process.stderr.write(text));
  }

  /** Whether a line is due at `nowMs` (Date.now()). */
  due(nowMs: number): boolean {
    return nowMs >= this.nextMs;
  }

  show(nowMs: number, figures: ProgressFigures): void {
    this.nextMs = nowMs + this.options.everyMs;
    const line = formatProgress(nowMs - this.startMs, figures);
    if (this.options.inPlace) {
      this.write(`\r${line}   `);
      this.shownInPlace = true;
    } else {
      this.write(`${line}\n`);
    }
  }

  /** Ends a line rewritten in place, so the report starts on a fresh line. */
  finish(): void {
    if (this.shownInPlace) this.write('\n');
    this.shownInPlace = false;
  }
}
