// Every known bug from the real initial state (issue #12): each mutant of each
// registered spec declares a hunt (a shared preset, a strategy, the mission
// property), and in CI the hunt must violate that property while the correct
// spec, searched the same way, violates nothing (mutant-hunt-suite.ts). ZAB's
// hunts are in mutant-hunts-zab.test.ts, which vitest runs beside this file.

import { describe, expect, it } from 'vitest';
import { huntTests } from './mutant-hunt-suite.ts';
import { specs } from './specs.ts';

const OTHERS = ['paxos', 'raft', 'multi-paxos'];

describe('every mutant declares a hunt from the real initial state', () => {
  it('has no mutant without one', () => {
    expect(specs.flatMap((spec) => spec.mutants.filter((m) => m.hunt === undefined).map((m) => `${spec.name} ${m.name}`))).toEqual([]);
  });

  it('covers every spec in one of the two hunt files', () => {
    expect(specs.map((s) => s.name).sort()).toEqual([...OTHERS, 'zab'].sort());
  });
});

huntTests(OTHERS);
