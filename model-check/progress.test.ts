// The progress line (progress.ts): its text, printed by every sequential
// engine when due, in place on a terminal and as whole lines elsewhere.

import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { defaultProgress, formatProgress, ProgressLine } from './progress.ts';
import { clockModel } from './toys.ts';

describe('the progress line', () => {
  it('names distinct, generated, queue, depth, rate and time', () => {
    expect(formatProgress(12_000, { distinct: 1_200_000, generated: 9_876_543, queued: 1234, depth: 17, workers: 0 })).toBe(
      'progress 12s: 1,200,000 distinct, 9,876,543 generated, queue 1,234, depth 17, 100,000 distinct/s',
    );
    expect(formatProgress(2000, { distinct: 10, generated: -1, queued: -1, depth: 3, workers: 2 })).toBe('progress 2s: 10 distinct, depth 3, 5 distinct/s, 2 workers');
  });

  it('defaults to once a second in place on a terminal and every ten seconds as lines elsewhere', () => {
    expect(defaultProgress(true)).toEqual({ everyMs: 1000, inPlace: true });
    expect(defaultProgress(false)).toEqual({ everyMs: 10_000, inPlace: false });
  });

  it('is due every everyMs, rewritten in place with a closing newline, or printed as lines', () => {
    const written: string[] = [];
    const figures = { distinct: 1, generated: 1, queued: 0, depth: 0, workers: 0 };
    const inPlace = new ProgressLine({ everyMs: 1000, inPlace: true, write: (t) => written.push(t) }, 0);
    expect(inPlace.due(999)).toBe(false);
    expect(inPlace.due(1000)).toBe(true);
    inPlace.show(1000, figures);
    expect(inPlace.due(1999)).toBe(false);
    inPlace.finish();
    expect(written).toEqual(['\rprogress 1s: 1 distinct, 1 generated, queue 0, depth 0, 1 distinct/s   ', '\n']);
    written.length = 0;
    const lines = new ProgressLine({ everyMs: 1000, inPlace: false, write: (t) => written.push(t) }, 0);
    lines.show(1000, figures);
    lines.finish();
    expect(written).toEqual(['progress 1s: 1 distinct, 1 generated, queue 0, depth 0, 1 distinct/s\n']);
  });

  it('is printed by bfs, dfs and simulation when due (every time with everyMs 0), and not at all when off', () => {
    for (const strategy of [{ kind: 'bfs' }, { kind: 'dfs' }, { kind: 'simulate', walks: 64, seed: 1, depthMax: 10 }] as const) {
      const written: string[] = [];
      check(clockModel({ n: 100 }), { strategy, progress: { everyMs: 0, inPlace: false, write: (t) => written.push(t) } });
      expect(written.length, strategy.kind).toBeGreaterThan(0);
      expect(written[0], strategy.kind).toMatch(/^progress \d+s: [\d,]+ distinct, [\d,]+ generated, (queue [\d,]+, )?depth \d+, [\d,]+ distinct\/s\n$/);
    }
  });
});
