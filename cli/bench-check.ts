// `npm run bench -- check ...`: the model checker's benchmark
// (model-check/bench.ts) over the registered specs (specs.ts), recording into
// docs/benchmarks.md with --record; with --versus-tlc DIR, TLC and ours side
// by side on the same state spaces (versus-tlc.ts).

import { BENCHMARKS_PATH, main } from '../model-check/bench.ts';
import { processIo } from '../model-check/cli.ts';
import { SPECS_MODULE, specs } from './specs.ts';
import { versusMain } from './versus-tlc.ts';

const argv = process.argv.slice(2);
const versus = argv.some((arg) => arg === '--versus-tlc' || arg.startsWith('--versus-tlc='));
void (versus ? versusMain(argv, processIo) : main(argv, specs, processIo, BENCHMARKS_PATH, SPECS_MODULE)).then((code) => {
  process.exitCode = code;
});
