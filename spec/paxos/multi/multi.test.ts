import { describe, expect, it } from 'vitest';
import { check } from '../../../model-check/check.ts';
import { fingerprintOf, permutationsOf } from '../../../model-check/fingerprint.ts';
import type { Permutation, StateSink } from '../../../model-check/model.ts';
import { ballot, nodeId } from '../../common/types.ts';
import { initialMultiAcceptor, multiAcceptorStep } from './acceptor.ts';
import { buildMultiPaxosModel } from './model.ts';
import { initialLeader, leaderStep } from './leader.ts';
import { multiTypeOf, packMulti, permuteMulti, unpackMulti } from './packing.ts';
import { multiPaxosBounds, multiPaxosSpec } from './spec.ts';
import type { LeaderState, Multi1b } from './types.ts';
import { multiConfig, type MultiCluster } from './world.ts';

const config = multiConfig({ acceptors: 3, values: 2, ballots: 2, slots: 2, symmetry: false }, undefined);
const promise = (acc: number, mbal: number[], mval: number[]): Multi1b => ({
  type: '1b',
  acc: nodeId(acc),
  bal: ballot(1),
  mbal: mbal.map(ballot),
  mval,
});

describe('Paxos Made Simple §3: the leader runs phase 1 once for every slot', () => {
  it('an acceptor\'s one promise reports its latest vote in every slot', () => {
    let a = initialMultiAcceptor(config);
    a = multiAcceptorStep(nodeId(0), a, { type: 'receive2a', message: { type: '2a', bal: ballot(0), slot: 1, val: 1 } }).state;
    const t = multiAcceptorStep(nodeId(0), a, { type: 'receive1a', message: { type: '1a', bal: ballot(1) } });
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '1b', acc: 0, bal: 1, mbal: [-1, 0], mval: [-1, 1] } }]);
  });

  it('the new leader must re-propose each slot\'s highest reported vote; other slots are free', () => {
    const inPhase1: LeaderState = { ...initialLeader(ballot(1), config), phase: 'phase1' };
    const promised = leaderStep(inPhase1, { type: 'receivePromises', promises: [promise(0, [-1, 0], [-1, 1]), promise(1, [-1, -1], [-1, -1])] }, config);
    expect(promised.state.safe).toEqual([-1, 1]);
    const slot1 = leaderStep(promised.state, { type: 'propose', slot: 1, clientValue: 0 }, config);
    expect(slot1.effects).toEqual([{ kind: 'send', message: { type: '2a', bal: 1, slot: 1, val: 1 } }]);
    const slot0 = leaderStep(slot1.state, { type: 'propose', slot: 0, clientValue: 0 }, config);
    expect(slot0.effects).toEqual([{ kind: 'send', message: { type: '2a', bal: 1, slot: 0, val: 0 } }]);
    expect(leaderStep(slot0.state, { type: 'propose', slot: 0, clientValue: 1 }, config).state).toBe(slot0.state);
  });

  it('mutant forget-later-slots leaves slot 1 free despite the reported vote', () => {
    const mutantConfig = { ...config, mutant: 'forget-later-slots' as const };
    const inPhase1: LeaderState = { ...initialLeader(ballot(1), mutantConfig), phase: 'phase1' };
    const t = leaderStep(inPhase1, { type: 'receivePromises', promises: [promise(0, [-1, 0], [-1, 1]), promise(1, [-1, -1], [-1, -1])] }, mutantConfig);
    expect(t.state.safe).toEqual([-1, -1]);
  });

  it('packs 1b messages with every slot\'s vote and renames only their sender', () => {
    const m = promise(2, [0, -1], [1, -1]);
    expect(unpackMulti(packMulti(m), 2)).toEqual(m);
    expect(unpackMulti(permuteMulti(packMulti(m), [1, 2, 0]), 2)).toEqual({ ...m, acc: 0 });
  });
});

describe('multi-paxos actions: only deliveries an acceptor acts on are offered', () => {
  it('every offered action has a successor, and every delivery left out is a no-op (all states, 1 slot)', () => {
    const bounds = multiPaxosBounds({ slots: 1 });
    const model = buildMultiPaxosModel(bounds, undefined);
    const seen = new Set<string>();
    const queue = [...model.init()];
    let leftOut = 0;
    const failures: string[] = [];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      const offered = model.actions(state);
      for (const action of offered) {
        const next = model.next(state, action);
        if (next === undefined) failures.push(`offered ${model.formatAction(action)} has no successor`);
        else {
          const key = JSON.stringify(model.view(next));
          if (!seen.has(key)) {
            seen.add(key);
            queue.push(next);
          }
        }
      }
      for (const message of state.network) {
        const type = multiTypeOf(message);
        if (type !== 0 && type !== 2) continue;
        for (let a = 0; a < bounds.acceptors; a++) {
          const kind = type === 0 ? 'Phase1b' : 'Phase2b';
          if (offered.some((o) => o.kind === kind && o.acc === a && o.message === message)) continue;
          leftOut++;
          const action = { kind, acc: nodeId(a), message } as const;
          if (model.next(state, action) !== undefined) failures.push(`left out ${model.formatAction(action)}, which changes the state`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(leftOut).toBeGreaterThan(queue.length);
  }, 60_000);
});

describe('multi-paxos model checking', () => {
  it('the ci preset: 133,314 distinct states, no violation, every slot chosen and a vote carried over', () => {
    const report = check(buildMultiPaxosModel(multiPaxosBounds({}), undefined), { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.distinctStates).toBe(133_314);
    expect(report.maxDepth).toBe(26);
    expect(report.sometimes.map((s) => [s.property, s.reached, s.depth])).toEqual([
      ['EverySlotChosen', true, 10],
      ['VoteCarriedOver', true, 11],
    ]);
  }, 120_000);

  it('forget-later-slots breaks SlotAgreement in slot 1 after 14 actions', () => {
    const report = check(buildMultiPaxosModel(multiPaxosBounds({}), 'forget-later-slots'), { progress: false });
    expect(report.violations.map((v) => [v.property, v.depth])).toEqual([['SlotAgreement', 14]]);
    expect(report.violations[0]!.trace.steps.map((s) => s.action).slice(-4)).toEqual([
      'Phase1Done(b1) promises from {a1, a2}',
      'Phase2a(b1, slot 1) client value v2',
      'Phase2b(a1, b1, slot 1, v2)',
      'Phase2b(a2, b1, slot 1, v2)',
    ]);
  });

  it('symmetry is sound: without it there are more states, at most 3! times as many', () => {
    const small = { slots: 1, values: 2 };
    const reduced = check(buildMultiPaxosModel(multiPaxosBounds(small), undefined), { progress: false }).distinctStates;
    const full = check(buildMultiPaxosModel(multiPaxosBounds({ ...small, symmetry: false }), undefined), { progress: false })
      .distinctStates;
    expect(full).toBeGreaterThan(reduced);
    expect(full).toBeLessThanOrEqual(6 * reduced);
  });

  it('encode under a permutation equals encoding the renamed copy, and tells apart what differs (seeded random walks)', () => {
    const seed = 20_261_208;
    const model = buildMultiPaxosModel(multiPaxosBounds({}), undefined);
    const perms = permutationsOf(3);
    const encoding = (state: MultiCluster, perm: Permutation) => {
      const ints: number[] = [];
      const sink = { int: (v: number) => void ints.push(v) } as unknown as StateSink;
      model.encode(state, sink, perm);
      return ints.join(',');
    };
    const renamed = (state: MultiCluster, perm: Permutation): MultiCluster => ({
      ...state,
      acceptors: state.acceptors.map((_, newId) => state.acceptors[perm.inverse[newId] as number]!),
      network: state.network.map((m) => permuteMulti(m, perm.map)).sort((x, y) => x - y),
    });
    let x = seed;
    const random = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
    const orbits = new Map<string, bigint>();
    for (let walk = 0; walk < 30; walk++) {
      let state = model.init()[0]!;
      for (let depth = 0; depth < 25; depth++) {
        const successors = model.actions(state).flatMap((a) => model.next(state, a) ?? []);
        if (successors.length === 0) break;
        state = successors[Math.floor(random() * successors.length)]!;
        for (const perm of perms) {
          expect(encoding(state, perm), `seed ${seed}, perm ${perm.map}`).toBe(encoding(renamed(state, perm), perms[0]!));
        }
        // The least renamed copy as plain data: equal exactly for states equal up to renaming.
        const canonical = perms.map((perm) => JSON.stringify(renamed(state, perm))).sort()[0]!;
        orbits.set(canonical, fingerprintOf(model, state));
      }
    }
    // Different orbits, different fingerprints: the digests do not merge states that differ.
    expect(new Set(orbits.values()).size).toBe(orbits.size);
    expect(orbits.size).toBeGreaterThan(200);
  });

  it('has ci first', () => {
    expect(multiPaxosSpec.presets[0]!.name).toBe('ci');
  });
});
