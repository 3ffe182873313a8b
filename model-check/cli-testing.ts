// For the command line's tests (cli*.test.ts): runs main() in process over a
// test registry and keeps what it printed, line by line.

import { type CliIo, main } from './cli.ts';
import type { SpecDefinition } from './model.ts';

export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text) => out.push(...text.split('\n')), err: (text) => err.push(...text.split('\n')), progress: false }, out, err };
}

/** A run that must answer synchronously (any strategy but --workers). */
export function runCli(registry: readonly SpecDefinition[], argv: readonly string[]): CliRun {
  const { io, out, err } = capture();
  const code = main(argv, registry, io);
  if (typeof code !== 'number') throw new Error('only --workers runs asynchronously');
  return { code, out, err };
}

/** A run that may use worker threads, which rebuild the registry from `registryModule`. */
export async function runCliAsync(registry: readonly SpecDefinition[], registryModule: string, argv: readonly string[]): Promise<CliRun> {
  const { io, out, err } = capture();
  const code = await main(argv, registry, io, registryModule);
  return { code, out, err };
}

/** The --json summary: the last line on stdout. */
export const lastJson = (r: CliRun) => JSON.parse(r.out.at(-1)!) as Record<string, unknown>;
