// `npm run check -- <spec> ...`: model-check's command line (model-check/cli.ts)
// over the registered specs (specs.ts). Options, output and exit codes are
// model-check/cli.ts's; this file only joins the checker and the specs.

import { main, processIo } from '../model-check/cli.ts';
import { SPECS_MODULE, specs } from './specs.ts';

void Promise.resolve(main(process.argv.slice(2), specs, processIo, SPECS_MODULE)).then((code) => {
  process.exitCode = code;
});
