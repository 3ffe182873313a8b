import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import { permutationsOf } from '../../model-check/fingerprint.ts';
import type { Model, Permutation, StateSink } from '../../model-check/model.ts';
import { acceptorStep } from './acceptor.ts';
import { isInert, type PaxosAction } from './actions.ts';
import { formatMessage } from './format.ts';
import { buildPaxosModel } from './model.ts';
import { paxosConfig, type PaxosBounds, type PaxosCluster } from './world.ts';
import { learnerStep } from './learner.ts';
import { accOf, ballotOf, destOf, is1a, is1b, is2a, mbalOf, pack, permuteMessage, unpack, valOf, withDest } from './packing.ts';
import { nodeId } from '../common/types.ts';
import { presetBounds } from './spec.ts';

/** The encoding as a plain int list (an exact key, no hashing). */
function encoding(model: Model<PaxosCluster, PaxosAction>, state: PaxosCluster, perm: Permutation): string {
  const ints: number[] = [];
  const sink: StateSink = {
    int: (v) => void ints.push(v),
    bool: (b) => void ints.push(b ? 1 : 0),
    str: () => {
      throw new Error('paxos encodes ints only');
    },
    unordered: () => {
      throw new Error('paxos sorts its own bags');
    },
  };
  model.encode(state, sink, perm);
  return ints.join(',');
}

/** Reachable states by exact breadth-first search (keys are whole encodings), for small models. */
function reachable(model: Model<PaxosCluster, PaxosAction>, perms: readonly Permutation[]): PaxosCluster[] {
  const key = (s: PaxosCluster) => perms.map((p) => encoding(model, s, p)).sort()[0] as string;
  const seen = new Set<string>();
  const states: PaxosCluster[] = [];
  for (const s of model.init()) {
    seen.add(key(s));
    states.push(s);
  }
  for (let i = 0; i < states.length; i++) {
    const s = states[i] as PaxosCluster;
    for (const a of model.actions(s)) {
      const t = model.next(s, a);
      if (t === undefined) continue;
      const k = key(t);
      if (!seen.has(k)) {
        seen.add(k);
        states.push(t);
      }
    }
  }
  return states;
}

/** A dumb reference for encode under a permutation: rename every acceptor id in a copy. */
function renamed(state: PaxosCluster, perm: Permutation, bag: boolean): PaxosCluster {
  const renameAll = (ms: readonly number[], addressed: boolean) =>
    ms
      .map((m) => {
        const msg = unpack(m);
        const renamedMsg = 'acc' in msg ? { ...msg, acc: perm.map[msg.acc] as never } : msg;
        const toAcceptor = addressed && (is1a(m) || is2a(m));
        return pack(renamedMsg, toAcceptor ? (perm.map[destOf(m)] as number) : destOf(m));
      })
      .sort((x, y) => x - y);
  const renameMask = (mask: number) => {
    let out = 0;
    for (let a = 0; a < state.acceptors.length; a++) if (mask & (1 << a)) out |= 1 << (perm.map[a] as number);
    return out;
  };
  return {
    ...state,
    acceptors: state.acceptors.map((_, newId) => state.acceptors[perm.inverse[newId] as number]!),
    learners: state.learners.map((l) => ({ ...l, votes: l.votes.map(renameMask) })),
    network: renameAll(state.network, bag),
    ghost: { sent: bag ? renameAll(state.ghost.sent, false) : renameAll(state.network, false) },
  };
}

function randomWalkStates(model: Model<PaxosCluster, PaxosAction>, seed: number, walks: number, depth: number): PaxosCluster[] {
  let x = seed >>> 0 || 1;
  const random = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const out: PaxosCluster[] = [];
  for (let w = 0; w < walks; w++) {
    let s = model.init()[0]!;
    for (let d = 0; d < depth; d++) {
      const successors = model.actions(s).flatMap((a) => model.next(s, a) ?? []);
      if (successors.length === 0) break;
      s = successors[Math.floor(random() * successors.length)]!;
      out.push(s);
    }
  }
  return out;
}

const small: PaxosBounds = { ...presetBounds('ci'), maxDrops: 1, maxDuplicates: 0, learners: 1 };

describe('state counts', () => {
  it('the tlc preset (MCPaxosTiny) has 3,921 distinct states like TLC, and TLC\'s depth 17 (16 actions)', () => {
    const report = check(buildPaxosModel(presetBounds('tlc'), undefined), { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.distinctStates).toBe(3_921);
    expect(report.maxDepth + 1).toBe(17);
    // TLC reports 23,563 generated; it counts stuttering successors (Phase1a resent, a vote repeated) that next() declines here.
    expect(report.generatedStates).toBe(10_203);
    expect(report.sometimes.map((s) => [s.property, s.reached, s.depth])).toEqual([['ValueChosen', true, 6]]);
  });

  it('TLC\'s 23,563 generated states come out of Paxos.tla\'s Next evaluated witness by witness on our 3,921 states', () => {
    // TLC counts the initial state plus one successor per witness of every
    // existential in Next, stuttering successors included. Evaluating
    // Paxos.tla's enabling conditions literally over our reachable states
    // reproduces its figure: the two state graphs are the same.
    const model = buildPaxosModel(presetBounds('tlc'), undefined);
    const states = reachable(model, [permutationsOf(3)[0]!]);
    expect(states).toHaveLength(3_921);
    const quorums = [[0, 1], [0, 2], [1, 2]];
    let generated = 1;
    for (const s of states) {
      const msgs = s.network;
      generated += 2; // Phase1a(b) for b in 0..1: always enabled (a stutter once the 1a is in msgs)
      for (const acceptor of s.acceptors) {
        for (const m of msgs) {
          if (is1a(m) && ballotOf(m) > acceptor.maxBal) generated++; // Phase1b(a): \E m, m.bal > maxBal[a]
          if (is2a(m) && ballotOf(m) >= acceptor.maxBal) generated++; // Phase2b(a): \E m, m.bal >= maxBal[a]
        }
      }
      for (let b = 0; b < 2; b++) {
        if (msgs.some((m) => is2a(m) && ballotOf(m) === b)) continue;
        for (let v = 0; v < 2; v++) {
          for (const q of quorums) {
            const q1b = msgs.filter((m) => is1b(m) && q.includes(accOf(m)) && ballotOf(m) === b);
            if (!q.every((a) => q1b.some((m) => accOf(m) === a))) continue;
            const q1bv = q1b.filter((m) => mbalOf(m) >= 0);
            if (q1bv.length === 0) generated++;
            else generated += q1bv.filter((m) => valOf(m) === v && q1bv.every((mm) => mbalOf(m) >= mbalOf(mm))).length;
          }
        }
      }
    }
    expect(generated).toBe(23_563);
  });

  it('the ci preset (bag, one drop, one duplicate, one learner, acceptor symmetry) has 202,334 distinct states', () => {
    const report = check(buildPaxosModel(presetBounds('ci'), undefined), { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.distinctStates).toBe(202_334);
    expect(report.maxDepth).toBe(24);
    expect(report.sometimes.map((s) => [s.property, s.reached, s.depth])).toEqual([
      ['ValueChosen', true, 6],
      ['ValueLearned', true, 8],
    ]);
  }, 120_000);

  it('the checker\'s 64-bit fingerprints count exactly the orbits an exact search counts (no collision, symmetry sound)', () => {
    const model = buildPaxosModel(small, undefined);
    const exact = reachable(model, permutationsOf(3)).length;
    expect(check(model, { progress: false }).distinctStates).toBe(exact);
    expect(exact).toBe(29_447);
  }, 60_000);
});

describe('symmetry: encode under a permutation equals encoding a renamed copy', () => {
  for (const bag of [true, false]) {
    it(`${bag ? 'bag' : 'set'} network, states from seeded random walks`, () => {
      const seed = bag ? 20_261_122 : 1_122;
      const bounds: PaxosBounds = { ...presetBounds('ci'), network: bag ? 'bag' : 'set', learners: 2 };
      const model = buildPaxosModel(bounds, undefined);
      const identity = permutationsOf(3)[0]!;
      for (const state of randomWalkStates(model, seed, 40, 30)) {
        for (const perm of permutationsOf(3)) {
          const expected = encoding(model, renamed(state, perm, bag), identity);
          expect(encoding(model, state, perm), `seed ${seed}, perm ${perm.map}`).toBe(expected);
        }
      }
    });
  }
});

describe('a bag drops inert copies: each is declined by its recipient, now and in every successor', () => {
  it('holds over every reachable state of a bag model with a learner and one duplicate', () => {
    const bounds: PaxosBounds = { ...small, values: 1, maxDrops: 0, maxDuplicates: 1 };
    const config = paxosConfig(bounds, undefined);
    const model = buildPaxosModel(bounds, undefined);
    const states = reachable(model, permutationsOf(3));
    expect(states).toHaveLength(18_235);
    // Plain checks collected into one list (an expect() per check would dominate the run time).
    const failures: string[] = [];
    let inertSeen = 0;
    for (const state of states) {
      const successors = model.actions(state).flatMap((a) => model.next(state, a) ?? []);
      // Every copy that could be addressed in this model, including ones already taken out of flight.
      const candidates = state.ghost.sent.flatMap((m) => (is1a(m) || is2a(m) ? [0, 1, 2].map((acc) => withDest(m, acc)) : [m]));
      for (const m of candidates) {
        if (!isInert(state, m, config)) continue;
        inertSeen++;
        const msg = unpack(m);
        let declined: boolean;
        if (msg.type === '1a' || msg.type === '2a') {
          const acc = nodeId(destOf(m));
          const event = msg.type === '1a' ? ({ type: 'receive1a', message: msg } as const) : ({ type: 'receive2a', message: msg } as const);
          declined = acceptorStep(acc, state.acceptors[acc]!, event, config).effects.length === 0;
        } else if (msg.type === '2b') {
          const learner = state.learners[destOf(m)]!;
          declined = learnerStep(learner, { type: 'receive2b', message: msg }, config).state === learner;
        } else {
          declined = state.proposers[msg.bal]!.phase !== 'phase1';
        }
        if (!declined) failures.push(`${formatMessage(m, true)} inert but accepted in ${JSON.stringify(model.view(state))}`);
        if (!successors.every((t) => isInert(t, m, config))) failures.push(`${formatMessage(m, true)} inert, then not`);
      }
      if (state.network.some((m) => isInert(state, m, config))) failures.push(`inert copy in flight: ${JSON.stringify(model.view(state))}`);
    }
    expect(failures.slice(0, 3)).toEqual([]);
    expect(inertSeen).toBeGreaterThan(1_000);
  }, 60_000);

  it('keeps permuteMessage consistent with accOf', () => {
    const m = pack({ type: '1b', acc: 2 as never, bal: 1 as never, mbal: 0 as never, mval: 1 });
    expect(accOf(permuteMessage(m, [2, 0, 1], false))).toBe(1);
  });
});
