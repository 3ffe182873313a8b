// `npm run catalogue`: writes the invariant catalogue, docs/invariants.md
// (invariant-catalogue.ts, catalogue-markdown.ts), from the registered specs.
// It runs every mutant's declared hunt for its counterexample depth (minutes:
// ZAB's deepest hunt takes about one) and records the depths in
// docs/invariants-depths.json; `--keep-depths` reuses the recorded ones and
// runs no search, for an edit that changes no hunt (a description, a line).

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJson } from '../model-check/hunt-all.ts';
import { huntArguments } from '../model-check/mutant-hunt.ts';
import { renderCatalogue } from './catalogue-markdown.ts';
import { CATALOGUE_PATH, catalogue, DEPTHS_PATH, formatDepths, missingDepths, type RecordedDepths, readDepths } from './invariant-catalogue.ts';
import { specs } from './specs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const USAGE = 'usage: npm run catalogue [-- --keep-depths]\n  writes docs/invariants.md; without --keep-depths it first runs every mutant hunt for its depth (minutes)\n';

/** Runs every declared hunt, one at a time, and returns the depth at which each violated its mission property. */
function huntDepths(): RecordedDepths {
  const depths: Record<string, Record<string, number>> = {};
  for (const spec of specs) {
    depths[spec.name] = {};
    for (const mutant of spec.mutants) {
      const hunt = mutant.hunt;
      if (hunt === undefined) continue;
      const started = Date.now();
      const summary = runJson(specs, [spec.name, '--mutant', mutant.name]);
      const hit = summary.violations.find((v) => v.property === hunt.violates);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (hit === undefined) throw new Error(`${spec.name} ${mutant.name}: the hunt found no violation of ${hunt.violates} (npm run check -- ${huntArguments(spec.name, mutant.name, hunt).join(' ')})`);
      process.stderr.write(`${spec.name} ${mutant.name}: ${hunt.violates} at depth ${hit.depth} (${seconds} s)\n`);
      depths[spec.name]![mutant.name] = hit.depth;
    }
  }
  return depths;
}

function main(argv: readonly string[]): number {
  if (argv.length > 1 || (argv.length === 1 && argv[0] !== '--keep-depths')) {
    process.stderr.write(argv.includes('--help') ? USAGE : `unknown arguments: ${argv.join(' ')}\n${USAGE}`);
    return argv.includes('--help') ? 0 : 2;
  }
  const depths = argv[0] === '--keep-depths' ? readDepths(root) : huntDepths();
  const missing = missingDepths(specs, depths);
  writeFileSync(join(root, DEPTHS_PATH), formatDepths(specs, depths));
  writeFileSync(join(root, CATALOGUE_PATH), renderCatalogue(catalogue(root, specs), { depths, pictureExists: (path) => existsSync(join(root, path)) }));
  process.stderr.write(`wrote ${CATALOGUE_PATH} and ${DEPTHS_PATH}\n`);
  if (missing.length > 0) {
    process.stderr.write(`no recorded depth for ${missing.join(', ')}: run npm run catalogue (without --keep-depths)\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
