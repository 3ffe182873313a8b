// ZAB's declared hunts (mutant-hunt-suite.ts), in a file of their own so that
// vitest runs them, and the deep preset's exhaustive control run, beside the
// other specs' hunts (mutant-hunts.test.ts).

import { huntTests } from './mutant-hunt-suite.ts';

huntTests(['zab']);
