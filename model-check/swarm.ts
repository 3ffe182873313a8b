// Swarm verification (Holzmann, Joshi and Groce, "Swarm Verification
// Techniques", IEEE TSE 37(6), 2011): instead of one search that cannot
// finish, many small, cheap and different ones. Each member is a short
// randomised search with its own seed, its own depth bound, its own order of
// the actions and its own subset of them: diversity finds bugs that one
// large search in one fixed order misses, and a member that finds one is
// small enough to rerun alone.
//
// Member i of a swarm with seed S has seed S + i, and everything about it is
// derived from that seed and the swarm's depthMax and member budget alone
// (memberPlan): so `--swarm 1 --seed <member's seed>` with the same --depth
// and --swarm-states reruns exactly that member. A member is one of:
// - dfs: a complete depth-bounded pass (bounded-dfs.ts) trying the actions of
//   each state in a weighted random order, omitting the omitted kinds;
// - walk: random walks of its depth bound, each step a weighted random
//   choice of the enabled actions (omitted kinds never chosen).
// Action kinds are the action's printed name up to '(' (`Timeout(s1)` is a
// Timeout); a member gives each kind a weight from 1/4 to 4, or 0 (omitted,
// SPIN's swarm's "feature omission") with the member's omission chance.
// Each member stops at its own budget of states visited (repeats included,
// so it bounds the member's work); the run stops at a violation or at
// the run's --states-max / time budget. Properties are checked once per
// state new to the whole run, so distinctStates counts the union.

import { Random } from '../lib/random.ts';
import { BoundedDepthFirst } from './bounded-dfs.ts';
import type { Exploration } from './explore.ts';
import type { Model } from './model.ts';
import type { TraceSource } from './properties.ts';
import { modelError, type SwarmMemberReport, type Trace, type TraceStep } from './report-types.ts';

export interface SwarmOptions {
  readonly members: number;
  readonly seed: number;
  /** The deepest member bound; members draw theirs from depthMax/4..depthMax. */
  readonly depthMax: number;
  /** States each member visits (generated within the boundary, repeats included): its budget of work. */
  readonly memberStatesMax: number;
}

/** A member's plan: its seed, mode, depth bound and the chance that it omits an action kind. */
export type MemberPlan = SwarmMemberReport;

export interface SwarmOutcome {
  readonly complete: boolean;
  readonly membersRun: number;
  /** The member that found the first violation. */
  readonly finder?: MemberPlan;
}

const OMISSION_CHANCES = [0, 0, 1 / 8, 1 / 4];
// A second stream per member for its kinds' weights, drawn as kinds are met.
const WEIGHT_STREAM = 0x5bd1e995;

/** The shallowest depth bound a member may draw: a quarter of depthMax, at least 1. */
export function shallowestBound(depthMax: number): number {
  return Math.max(1, Math.ceil(depthMax / 4));
}

/** Member `index`'s plan: a function of its seed (seed + index), depthMax and nothing else. */
export function memberPlan(options: SwarmOptions, index: number): MemberPlan {
  const seed = (options.seed + index) >>> 0;
  const random = new Random(seed);
  const mode = random.nextInt(2) === 0 ? 'dfs' : 'walk';
  const shallowest = shallowestBound(options.depthMax);
  const depthBound = shallowest + random.nextInt(Math.max(1, options.depthMax - shallowest + 1));
  const omission = OMISSION_CHANCES[random.nextInt(OMISSION_CHANCES.length)]!;
  return { index, seed, mode, depthBound, omission };
}

/** A member's weight per action kind, drawn from its own stream the first time each kind is met. */
class KindWeights<A> {
  private readonly weights = new Map<string, number>();
  private readonly random: Random;
  /** Whether an enabled action was ever left out (then a pass that cuts nothing is still not complete). */
  omittedAny = false;

  constructor(
    private readonly model: Model<unknown, A>,
    private readonly plan: MemberPlan,
  ) {
    this.random = new Random((plan.seed ^ WEIGHT_STREAM) >>> 0);
  }

  weight(action: A): number {
    const text = this.model.formatAction(action);
    const open = text.indexOf('(');
    const kind = open < 0 ? text : text.slice(0, open);
    let weight = this.weights.get(kind);
    if (weight === undefined) {
      weight = this.random.nextDouble() < this.plan.omission ? 0 : 2 ** (this.random.nextInt(5) - 2);
      this.weights.set(kind, weight);
    }
    if (weight === 0) this.omittedAny = true;
    return weight;
  }
}

/**
 * The actions with a non-zero weight in a weighted random order: each gets
 * the key -ln(u)/w, an exponential variate of rate w, and the smallest key
 * goes first (Efraimidis and Spirakis's weighted sampling without replacement).
 */
function weightedOrder<A>(actions: readonly A[], weights: KindWeights<A>, random: Random): A[] {
  const keyed: { action: A; key: number }[] = [];
  for (const action of actions) {
    const w = weights.weight(action);
    if (w > 0) keyed.push({ action, key: -Math.log(1 - random.nextDouble()) / w });
  }
  keyed.sort((a, b) => a.key - b.key);
  return keyed.map((k) => k.action);
}

/** A walk member: random walks, each step a weighted choice among the enabled actions. */
class Walker<S, A> implements TraceSource {
  private readonly states: S[] = [];
  private readonly taken: A[] = [];
  private length = 0;
  private trying: A | undefined = undefined;
  /** A walk has begun (states[0] is set): a model error then has a path to report. */
  private walking = false;

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
  ) {}

  /** Walks until `steps` states were visited. True: stop the run. */
  run(plan: MemberPlan, weights: KindWeights<A>, random: Random, steps: number): boolean {
    try {
      return this.walks(plan, weights, random, steps);
    } catch (error) {
      if (!this.walking) throw error;
      throw modelError(error, this.trace(), this.trying === undefined ? undefined : this.model.formatAction(this.trying));
    }
  }

  private walks(plan: MemberPlan, weights: KindWeights<A>, random: Random, steps: number): boolean {
    const model = this.model;
    const inits = model.init();
    let visited = 0;
    while (visited < steps && inits.length > 0) {
      let state: S = inits[random.nextInt(inits.length)]!;
      this.exploration.generated++;
      if (!model.withinBoundary(state)) return false;
      this.length = 0;
      this.states[0] = state;
      this.walking = true;
      visited++;
      if (this.visit(state)) return true;
      for (let depth = 1; depth <= plan.depthBound && visited < steps; depth++) {
        const ordered = weightedOrder(model.actions(state), weights, random);
        let successor: S | undefined;
        let anySuccessor = false;
        for (const action of ordered) {
          this.trying = action;
          successor = model.next(state, action);
          if (successor === undefined) continue;
          anySuccessor = true;
          this.exploration.generated++;
          if (model.withinBoundary(successor)) {
            this.taken[this.length] = action;
            break;
          }
          successor = undefined;
        }
        this.trying = undefined;
        if (successor === undefined) {
          // No action yields any successor (one outside the boundary is no deadlock, as in TLC).
          if (!anySuccessor && this.exploration.checkDeadlock && this.exploration.deadlocked(this.length, this, 0)) return true;
          break;
        }
        this.length++;
        this.states[this.length] = successor;
        state = successor;
        visited++;
        if (this.visit(state)) return true;
      }
    }
    return false;
  }

  private visit(state: S): boolean {
    const exploration = this.exploration;
    if (exploration.add(state) >= 0 && exploration.checkProperties(state, this.length, this, 0)) return true;
    return exploration.isFull;
  }

  trace(): Trace {
    const model = this.model;
    const steps: TraceStep[] = [];
    for (let i = 0; i < this.length; i++) {
      const action = this.taken[i]!;
      steps.push({ action: model.formatAction(action), actionData: action, state: model.view(this.states[i + 1]!) });
    }
    return { initial: model.view(this.states[0]!), steps };
  }
}

export function swarm<S, A>(model: Model<S, A>, exploration: Exploration<S, A>, options: SwarmOptions): SwarmOutcome {
  const bounded = new BoundedDepthFirst(model, exploration);
  const walker = new Walker(model, exploration);
  for (let index = 0; index < options.members; index++) {
    const plan = memberPlan(options, index);
    const weights = new KindWeights<A>(model as Model<unknown, A>, plan);
    const random = new Random(plan.seed);
    // The plan drew from this stream; skip what it drew so the order does not repeat the plan's draws.
    random.nextUint32();
    exploration.tick(plan.depthBound, -1);
    let stopped: boolean;
    if (plan.mode === 'dfs') {
      const pass = bounded.pass({ bound: plan.depthBound, order: (actions) => weightedOrder(actions, weights, random), visitsMax: options.memberStatesMax });
      stopped = pass.stopped;
      if (!stopped && !pass.cut && !weights.omittedAny) return { complete: true, membersRun: index + 1 };
    } else {
      stopped = walker.run(plan, weights, random, options.memberStatesMax);
    }
    if (stopped) {
      const found = exploration.properties.violations.length > 0;
      return { complete: false, membersRun: index + 1, ...(found ? { finder: plan } : {}) };
    }
  }
  return { complete: false, membersRun: options.members };
}
