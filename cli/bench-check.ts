// `npm run bench -- check ...`: the model checker's benchmark
// (model-check/bench.ts) over the registered specs (specs.ts), recording into
// docs/benchmarks.md with --record.

import { BENCHMARKS_PATH, main } from '../model-check/bench.ts';
import { processIo } from '../model-check/cli.ts';
import { SPECS_MODULE, specs } from './specs.ts';

void main(process.argv.slice(2), specs, processIo, BENCHMARKS_PATH, SPECS_MODULE).then((code) => {
  process.exitCode = code;
});
