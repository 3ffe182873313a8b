// `npm run check:all`, CI's model-checking gate: every registered spec
// (specs.ts) at its `ci` and `ci-*` presets, through model-check/check-all.ts.

import { checkAll } from '../model-check/check-all.ts';
import { specs } from './specs.ts';

process.exitCode = checkAll(specs);
