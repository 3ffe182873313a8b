// A mutant's declared hunt (MutantHunt in model.ts) on the command line:
// `npm run check -- <spec> --mutant NAME` with no preset, bound or strategy
// runs the search the spec declares for that bug, from the real initial
// state, stopping at the mission property it must violate. Options that only
// shape the output (--json, --trace-out, ...) may be added; any other option
// means the user chose the search, and the hunt is not used (a note says so).

import type { Tokens } from './cli-options.ts';
import type { MutantHunt, SpecDefinition } from './model.ts';

/** Options that do not change what is searched, so a hunt still applies with them. */
const OUTPUT_OPTIONS = new Set(['mutant', 'json', 'trace-out', 'verbose', 'progress-every', 'coverage']);

export interface HuntChoice {
  /** The hunt to run: its own options first, then the output options given. */
  readonly argv?: readonly string[];
  /** Printed on stderr: why a declared hunt was not used. */
  readonly note?: string;
}

/** The spec and mutant the tokens name, with its hunt, when there is one. */
function namedHunt(tokens: Tokens, registry: readonly SpecDefinition[]): { spec: string; mutant: string; hunt: MutantHunt } | undefined {
  const mutant = tokens.options.get('mutant');
  if (typeof mutant !== 'string' || tokens.positionals.length !== 1) return undefined;
  const spec = registry.find((s) => s.name === tokens.positionals[0]);
  const hunt = spec?.mutants.find((m) => m.name === mutant)?.hunt;
  return spec === undefined || hunt === undefined ? undefined : { spec: spec.name, mutant, hunt };
}

/** Whether the command line runs the mutant's declared hunt, and its arguments if so. */
export function chooseHunt(tokens: Tokens, registry: readonly SpecDefinition[]): HuntChoice {
  const named = namedHunt(tokens, registry);
  if (named === undefined) return {};
  const chosen = [...tokens.options.keys()].filter((name) => !OUTPUT_OPTIONS.has(name));
  if (chosen.length > 0) {
    return { note: `note: ${chosen.map((o) => `--${o}`).join(', ')} given, so ${named.mutant}'s declared hunt (${huntCommand(named.spec, named.mutant, named.hunt)}) is not used` };
  }
  const output = [...tokens.options].flatMap(([name, value]) => (name === 'mutant' ? [] : [value === true ? `--${name}` : `--${name}=${value}`]));
  return { argv: [...huntArguments(named.spec, named.mutant, named.hunt), ...output] };
}

/** The arguments after `npm run check --` that run `hunt`. */
export function huntArguments(spec: string, mutant: string, hunt: MutantHunt): string[] {
  return [spec, '--preset', hunt.preset, ...hunt.options, '--mutant', mutant, '--stop-at', hunt.violates];
}

export function huntCommand(spec: string, mutant: string, hunt: MutantHunt): string {
  return ['npm run check --', ...huntArguments(spec, mutant, hunt)].join(' ');
}
