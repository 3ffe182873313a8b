// `npm run catalogue`: writes the invariant catalogue, docs/invariants.md
// (invariant-catalogue.ts, catalogue-markdown.ts), from the registered specs,
// in a second: it runs no search. Each mutant's depth is its committed
// counterexample's (docs/pictures/<spec>-<mutant>.itf.json), which
// `npm run pictures` writes when it runs the hunts; the hunt tests fail when a
// hunt now finds another depth.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCatalogue } from './catalogue-markdown.ts';
import { CATALOGUE_PATH, catalogue, missingDepths, readDepths, rehunt } from './invariant-catalogue.ts';
import { specs } from './specs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const USAGE = 'usage: npm run catalogue\n  writes docs/invariants.md from the specs and the committed counterexamples (npm run pictures runs the hunts)\n';

function main(argv: readonly string[]): number {
  if (argv.length > 0) {
    process.stderr.write(argv.includes('--help') ? USAGE : `unknown arguments: ${argv.join(' ')}\n${USAGE}`);
    return argv.includes('--help') ? 0 : 2;
  }
  const depths = readDepths(root, specs);
  writeFileSync(join(root, CATALOGUE_PATH), renderCatalogue(catalogue(root, specs), { depths, pictureExists: (path) => existsSync(join(root, path)) }));
  process.stderr.write(`wrote ${CATALOGUE_PATH}\n`);
  const missing = missingDepths(specs, depths);
  if (missing.length > 0) {
    process.stderr.write(`no counterexample, so no depth, for ${missing.join(', ')}: run ${missing.map((m) => rehunt(...(m.split(' ') as [string, string]))).join('; ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
