// The tests of cli/mutant-hunts*.test.ts: for each declared hunt of the named
// specs, the hunt must violate its mission property from the real initial
// state and the correct spec, searched the same way, must violate nothing.
// Split over two files so that vitest runs ZAB's long hunts (its deep
// control is 4.8 million states) beside the others rather than after them.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ControlRuns, huntMutant } from '../model-check/hunt-all.ts';
import { counterexamplePath, readDepths, rehunt } from './invariant-catalogue.ts';
import { specs } from './specs.ts';

const recorded = readDepths(fileURLToPath(new URL('..', import.meta.url)), specs);

/** Registers one test per declared hunt of `specNames`; the control runs are shared within the file. */
export function huntTests(specNames: readonly string[]): void {
  const traceDirectory = mkdtempSync(join(tmpdir(), 'zkspec-hunts-'));
  const controls: ControlRuns = new Map();
  describe(`the declared hunts of ${specNames.join(', ')}`, () => {
    for (const spec of specs.filter((s) => specNames.includes(s.name))) {
      for (const mutant of spec.mutants) {
        const hunt = mutant.hunt;
        if (hunt === undefined) continue;
        // Up to 15 minutes: zab's first deep hunt also runs its control, the correct spec exhaustively
        // (4.8 million states; docs/zab.md), and ZOOKEEPER-4643's own run is 3.2 million.
        it(`${spec.name} ${mutant.name}: ${hunt.violates} at preset ${hunt.preset}, and the correct spec passes the same search`, { timeout: 900_000 }, () => {
          const row = huntMutant(specs, spec, mutant.name, traceDirectory, controls);
          expect(row.problems).toEqual([]);
          expect(row.found).toBe(true);
          expect(row.depth, `${counterexamplePath(spec.name, mutant.name)} (drawn in docs/pictures, quoted by docs/invariants.md) has another depth: run ${rehunt(spec.name, mutant.name)}, then npm run catalogue`).toBe(
            recorded[spec.name]?.[mutant.name],
          );
          expect(row.correct.clean).toBe(true);
          expect(spec.presets.some((p) => p.name === hunt.preset)).toBe(true);
        });
      }
    }
  });
}
