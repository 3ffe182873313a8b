// The cost curve's command line (curve.ts): which steps of the tree and of
// the sessions to measure, for how long, and whether to record.

import type { ServerKind } from './servers.ts';

export type CurveOptions = {
  readonly sizes: readonly number[];
  readonly sessions: readonly number[];
  readonly seconds: number;
  readonly heapMb: number;
  readonly only: ServerKind | undefined;
  readonly record: boolean;
};

export const usage = 'usage: npm run bench -- curve [--sizes N,N,..] [--sessions N,N,..] [--seconds N] [--heap-mb MB] [--only ours|zookeeper] [--record]';

export function parseCurveArgs(argv: readonly string[]): CurveOptions | string {
  const args = argv[0] === 'curve' ? argv.slice(1) : [...argv];
  let options: CurveOptions = { sizes: [10_000, 100_000, 1_000_000], sessions: [8, 1000, 10_000], seconds: 3, heapMb: 4096, only: undefined, record: false };
  const list = (text: string | undefined) => (text ?? '').split(',').map(Number);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    if (arg === '--record') options = { ...options, record: true };
    else if (arg === '--sizes' || arg === '--sessions') {
      const numbers = list(value);
      if (numbers.some((n) => !Number.isInteger(n) || n < 8)) return `${arg} needs integers of at least 8, comma-separated, got ${JSON.stringify(value)}`;
      const sorted = [...numbers].sort((a, b) => a - b);
      options = arg === '--sizes' ? { ...options, sizes: sorted } : { ...options, sessions: sorted };
      i++;
    } else if (arg === '--seconds' || arg === '--heap-mb') {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) return `${arg} needs a positive number, got ${JSON.stringify(value)}`;
      options = arg === '--seconds' ? { ...options, seconds: n } : { ...options, heapMb: Math.floor(n) };
      i++;
    } else if (arg === '--only') {
      if (value !== 'ours' && value !== 'zookeeper') return `--only takes ours or zookeeper, got ${JSON.stringify(value)}`;
      options = { ...options, only: value };
      i++;
    } else return `unknown argument ${JSON.stringify(arg)}`;
  }
  return options;
}
