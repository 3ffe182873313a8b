// The options of `npm run conformance -- replay`, in process (command.ts) and
// against member processes (`--processes`, processes.ts): one parser for
// both, so an option means the same in each and a mistyped one is refused the
// same way. A few belong to one mode only; `misplaced` names them.

import { parseArgs } from 'node:util';

const REPLAY_OPTIONS = {
  spec: { type: 'string' },
  processes: { type: 'boolean' },
  count: { type: 'string' },
  seed: { type: 'string' },
  depth: { type: 'string' },
  preset: { type: 'string', multiple: true },
  'states-max': { type: 'string' },
  trace: { type: 'string', multiple: true },
  judge: { type: 'string' },
  bugs: { type: 'string' },
  'allow-known': { type: 'boolean' },
  'strict-discovery': { type: 'boolean' },
  // The default since the in-process replay made it one; still accepted so older commands keep working.
  'discovery-timeout': { type: 'boolean' },
  json: { type: 'boolean' },
  // In process only: which generated sources to replay.
  sources: { type: 'string' },
  // --processes only: its suite's sources are flags, and each step waits for the members to settle.
  'no-scenarios': { type: 'boolean' },
  coverage: { type: 'boolean' },
  'step-timeout': { type: 'string' },
} as const;

const PROCESSES_ONLY = ['no-scenarios', 'coverage', 'step-timeout'] as const;
const IN_PROCESS_ONLY = ['sources'] as const;

/** The parsed options (parseArgs's errors, ERR_PARSE_ARGS_*, for an unknown option or a missing value). */
export function parseReplayOptions(args: readonly string[]) {
  return parseArgs({ args: [...args], allowPositionals: false, options: REPLAY_OPTIONS }).values;
}

export type ReplayValues = ReturnType<typeof parseReplayOptions>;

/** An option given that the mode (`--processes` or in process) does not have, as a sentence; undefined when there is none. */
export function misplaced(values: ReplayValues): string | undefined {
  const processes = values.processes === true;
  const wrong = (processes ? IN_PROCESS_ONLY : PROCESSES_ONLY).find((option) => values[option] !== undefined);
  if (wrong === undefined) return undefined;
  return processes ? `--${wrong} is not an option of replay --processes` : `--${wrong} is an option of replay --processes only`;
}
