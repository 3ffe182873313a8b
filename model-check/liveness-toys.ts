// Toy models for the liveness and deadlock checks (liveness.test.ts,
// cli.test.ts): small enough that every lasso can be worked out by hand.
// Not registered in cli/specs.ts.

import type { Bounds, Fairness, Model, Property, SpecDefinition } from './model.ts';

// --- An election that can time out forever: the livelock of repeated timeouts. -----------------

export interface ElectionState {
  readonly leader: boolean;
  /** The term, modulo 3: a candidate that keeps timing out cycles through 0, 1, 2. */
  readonly term: number;
}
export type ElectionAction = 'Timeout' | 'Win' | 'Heartbeat';

/**
 * One candidate from term 0: `Timeout` starts the next term (mod 3), `Win`
 * makes it leader, and a leader's `Heartbeat` changes nothing (a self-loop, so
 * a leader is no deadlock). <>leader fails by the cycle of three timeouts
 * unless Win is weakly fair (it is enabled on every state of that cycle).
 * Six states.
 */
export function electionModel(properties: readonly Property<ElectionState>[], fairness: readonly Fairness[] = []): Model<ElectionState, ElectionAction> {
  const candidate: readonly ElectionAction[] = ['Timeout', 'Win'];
  const leader: readonly ElectionAction[] = ['Heartbeat'];
  return {
    init: () => [{ leader: false, term: 0 }],
    actions: (s) => (s.leader ? leader : candidate),
    next: (s, action) => {
      switch (action) {
        case 'Timeout':
          return { leader: false, term: (s.term + 1) % 3 };
        case 'Win':
          return { leader: true, term: s.term };
        case 'Heartbeat':
          return s;
      }
    },
    properties,
    withinBoundary: () => true,
    encode: (s, sink) => {
      sink.bool(s.leader);
      sink.int(s.term);
    },
    formatAction: (action) => action,
    fairness,
    view: (s) => s,
  };
}

export const eventuallyLeader: Property<ElectionState> = { name: 'EventuallyLeader', kind: 'eventually', description: 'a leader is elected', holds: (s) => s.leader };

/** Fails even under WF(Win): a leader elected in term 1 stays in term 1 forever. */
export const leaderLeadsToTermZero: Property<ElectionState> = {
  name: 'LeaderLeadsToTermZero',
  kind: 'leadsTo',
  description: 'a leader ~> term 0',
  premise: (s) => s.leader,
  holds: (s) => s.term === 0,
};

/** Term 2 ~> leader: fails by timeouts without fairness, holds under WF(Win). */
export const termTwoLeadsToLeader: Property<ElectionState> = {
  name: 'TermTwoLeadsToLeader',
  kind: 'leadsTo',
  description: 'term 2 ~> a leader',
  premise: (s) => s.term === 2,
  holds: (s) => s.leader,
};

export const winIsFair: readonly Fairness[] = [{ kind: 'weak', actions: ['Win'] }];

// --- A countdown that stops: a deadlock, unless the model says stopping is fine. --------------

/**
 * x from `start` down to 0 by `Decrement`; at 0 nothing is enabled (a
 * deadlock at depth `start`). `floor` is a boundary below which successors
 * are discarded: the state just above it then has a successor (outside), so
 * it is no deadlock, and liveness does not follow the behaviour out.
 */
export function countdownModel(
  start: number,
  options: { readonly properties?: readonly Property<number>[]; readonly stops?: boolean; readonly floor?: number } = {},
): Model<number, 'Decrement'> {
  const decrement: readonly 'Decrement'[] = ['Decrement'];
  const none: readonly 'Decrement'[] = [];
  const floor = options.floor ?? 0;
  return {
    init: () => [start],
    actions: (x) => (x > 0 ? decrement : none),
    next: (x) => x - 1,
    properties: options.properties ?? [],
    withinBoundary: (x) => x >= floor,
    encode: (x, sink) => sink.int(x),
    formatAction: (action) => action,
    ...(options.stops === true ? { deadlock: 'stuttering-ok' as const } : {}),
    view: (x) => ({ x }),
  };
}

// --- The election as a spec, for the command line's tests. ----------------------------------

/** `toy-election`: <>leader; bound `fair` assumes WF(Win); mutant `stuck` makes the leader's state a deadlock. */
export const toyElectionSpec: SpecDefinition = {
  name: 'toy-election',
  description: 'A candidate that may time out forever (test-only spec)',
  bounds: [{ name: 'fair', description: 'assume weak fairness of Win', default: false }],
  presets: [{ name: 'ci', description: 'no fairness', bounds: {} }],
  mutants: [{ name: 'stuck', description: 'a leader has no Heartbeat' }],
  build(bounds: Bounds, mutant: string | undefined): Model<ElectionState, ElectionAction> {
    const model = electionModel([eventuallyLeader], bounds['fair'] === true ? winIsFair : []);
    if (mutant !== 'stuck') return model;
    return { ...model, actions: (s) => (s.leader ? [] : model.actions(s)) };
  },
};
