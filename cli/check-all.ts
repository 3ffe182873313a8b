// `npm run check:all`, CI's model-checking gate: every registered spec
// (specs.ts) at its `ci` and `ci-*` presets, through model-check/check-all.ts.
// `npm run check:all -- --mutants`: every mutant's declared hunt from the real
// initial state, and the correct spec under the same search (model-check/hunt-all.ts).

import { checkAll } from '../model-check/check-all.ts';
import { processIo } from '../model-check/cli.ts';
import { huntAll } from '../model-check/hunt-all.ts';
import { specs } from './specs.ts';

const argv = process.argv.slice(2);
if (argv.length > 1 || (argv.length === 1 && argv[0] !== '--mutants')) {
  process.stderr.write('usage: npm run check:all [-- --mutants]\n');
  process.exitCode = 2;
} else {
  process.exitCode = argv[0] === '--mutants' ? huntAll(specs, processIo, 'traces') : checkAll(specs);
}
