import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../lib/assert.ts';
import { paxosBounds, paxosSpec, presetBounds } from './spec.ts';

describe('the paxos SpecDefinition', () => {
  it('lists ci first, then tlc, ci-liveness and bench', () => {
    expect(paxosSpec.presets.map((p) => p.name)).toEqual(['ci', 'tlc', 'ci-liveness', 'bench']);
  });

  it('ci is a bag network with loss, duplication and a learner', () => {
    expect(presetBounds('ci')).toEqual({
      acceptors: 3,
      values: 2,
      ballots: 2,
      network: 'bag',
      maxDrops: 1,
      maxDuplicates: 1,
      learners: 1,
      symmetry: true,
      liveness: false,
    });
  });

  it('tlc is MCPaxosTiny: a1..a3, v1 v2, MaxBallot = 1, msgs a set, no symmetry', () => {
    expect(presetBounds('tlc')).toMatchObject({ acceptors: 3, values: 2, ballots: 2, network: 'set', learners: 0, symmetry: false });
  });

  it('rejects unknown bounds and bounds of the wrong kind', () => {
    expect(() => paxosBounds({ acceptor: 3 })).toThrow(/unknown paxos bound 'acceptor'/);
    expect(() => paxosBounds({ bag: 1 })).toThrow(AssertionError);
    expect(() => paxosSpec.build({ ballots: 0 }, undefined)).toThrow(/ballots = 0/);
    expect(() => paxosSpec.build({}, 'no-such-mutant')).toThrow(/unknown paxos mutant/);
  });

  it('builds every mutant', () => {
    for (const mutant of paxosSpec.mutants) {
      expect(paxosSpec.build({}, mutant.name).properties.map((p) => p.name)).toContain('Agreement');
    }
  });
});
