// The trace file is a trust boundary: these tests feed it what an
// implementation or a hand edit could produce and pin what parseTrace says.

import { describe, expect, it } from 'vitest';
import { zabAdapter, zabProjectionSchema, zxidValue } from './adapters/zab.ts';
import { canonical, makeTrace, parseTrace, serializeTrace, type Trace } from './trace.ts';
import type { Zxid } from '../spec/zab/types.ts';

function initialTrace(): Trace {
  const model = zabAdapter.spec.build(zabAdapter.spec.presets[0]!.bounds, undefined);
  const init = model.init()[0];
  return makeTrace(
    { source: 'spec', spec: 'zab', preset: 'ci', bounds: { ...zabAdapter.spec.presets[0]!.bounds }, mutant: null, seed: null },
    [{ 'mbt::actionTaken': 'init', 'mbt::nondetPicks': {}, nodes: zabAdapter.project(init) }],
  );
}

describe('the ITF trace format', () => {
  it('round-trips: serialize then parse gives the same trace, and the projection of a fresh ZAB cluster is three LOOKING servers at zxid 0', () => {
    const trace = initialTrace();
    const parsed = parseTrace(serializeTrace(trace));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.trace).toEqual(trace);
    expect(parsed.trace.states[0]!.nodes).toEqual([0, 1, 2].map(() => ({
      state: 'LOOKING',
      zabState: 'ELECTION',
      acceptedEpoch: 0,
      currentEpoch: 0,
      lastZxid: 0,
      lastCommittedZxid: 0,
      loggedZxid: 0,
      leader: -1,
    })));
    for (const node of parsed.trace.states[0]!.nodes) expect(zabProjectionSchema.safeParse(node).success).toBe(true);
  });

  it('writes a zxid as a JSON number while exact, as {"#bigint"} beyond 2^53 (epoch 2^21 and up)', () => {
    expect(zxidValue({ epoch: 1, counter: 2 } as Zxid)).toBe(4294967298);
    expect(zxidValue({ epoch: 2 ** 21, counter: 0 } as Zxid)).toEqual({ '#bigint': '9007199254740992' });
    expect(zxidValue({ epoch: 0xffffffff, counter: 0xffffffff } as Zxid)).toEqual({ '#bigint': '18446744073709551615' });
  });

  it('rejects malformed files with the path of each problem', () => {
    expect(parseTrace('{').ok).toBe(false);
    const trace = initialTrace() as unknown as { states: { nodes: unknown[]; '#meta': { index: number } }[]; vars: string[] };
    const bad = structuredClone(trace);
    bad.states[0]!['#meta'].index = 3;
    bad.vars = ['nodes'];
    (bad.states[0]!.nodes[0] as { acceptedEpoch: number }).acceptedEpoch = 2 ** 60;
    const result = parseTrace(JSON.stringify(bad));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('expected index 0, got 3');
    expect(result.error).toContain('vars must name mbt::actionTaken');
    expect(result.error).toContain('states[0].nodes[0].acceptedEpoch');
  });

  it('rejects a later state reached by "init" and a state with a different number of nodes', () => {
    const trace = initialTrace();
    const second = { ...trace.states[0]!, '#meta': { index: 1 }, nodes: trace.states[0]!.nodes.slice(1) };
    const result = parseTrace(JSON.stringify({ ...trace, states: [trace.states[0], second] }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('"init" may only lead to the first state');
    expect(result.error).toContain('expected 3 nodes as in state 0, got 2');
  });

  it('compares projections canonically: key order does not matter, values do', () => {
    expect(canonical({ a: 1, b: { '#bigint': '5' } })).toBe(canonical({ b: { '#bigint': '5' }, a: 1 }));
    expect(canonical({ a: 1 })).not.toBe(canonical({ a: 2 }));
  });
});

describe('the ZAB projection schema', () => {
  it('accepts a down server as {state: "DOWN"} only, and refuses unknown fields (a projection is only what an implementation can expose)', () => {
    expect(zabProjectionSchema.safeParse({ state: 'DOWN' }).success).toBe(true);
    expect(zabProjectionSchema.safeParse({ state: 'DOWN', leader: 1 }).success).toBe(false);
    expect(zabProjectionSchema.safeParse({ state: 'LOOKING' }).success).toBe(false);
  });
});
