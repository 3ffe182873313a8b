// Simulation (TLC's -simulate, stateright's check_random): `walks` random
// walks of at most depthMax actions, each from a random initial state, each
// step a uniformly random enabled action whose successor lies within the
// boundary. Deterministic for a seed (random.ts), so a failing seed replays.
//
// Properties are checked on every state whose fingerprint is new (a state
// seen before was already checked), so distinctStates is the number of
// distinct fingerprints met. A walk ends early when no action yields a
// successor within the boundary: a deadlock (reported when no action yields
// any successor and the check is on) or the edge of the boundary.
// The counterexample is the walk so far, kept in two reused arrays.

import type { Exploration } from './explore.ts';
import type { TraceSource } from './properties.ts';
import type { Model } from './model.ts';
import { modelError, type Trace, type TraceStep } from './report-types.ts';
import { Random } from '../lib/random.ts';

const TICK_MASK = (1 << 12) - 1;

class Simulation<S, A> implements TraceSource {
  private readonly walkStates: S[] = [];
  private readonly walkActions: A[] = [];
  private length = 0;
  private candidates = new Int32Array(64);

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
  ) {}

  private walking = false;
  private trying: A | undefined = undefined;

  run(walks: number, seed: number, depthMax: number): boolean {
    try {
      return this.search(walks, seed, depthMax);
    } catch (error) {
      if (!this.walking) throw error;
      throw modelError(error, this.trace(), this.trying === undefined ? undefined : this.model.formatAction(this.trying));
    }
  }

  private search(walks: number, seed: number, depthMax: number): boolean {
    const model = this.model;
    const exploration = this.exploration;
    const random = new Random(seed);
    const inits = model.init();
    if (inits.length === 0) return true;
    for (let walk = 0; walk < walks; walk++) {
      if ((walk & 63) === 0) exploration.tick(0, -1);
      let state = inits[random.nextInt(inits.length)]!;
      exploration.generated++;
      if (!model.withinBoundary(state)) continue;
      this.length = 0;
      this.walkStates[0] = state;
      this.walking = true;
      if (exploration.add(state) >= 0) {
        if (exploration.checkProperties(state, 0, this, 0)) return false;
        if (exploration.isFull) return false;
      }
      for (let depth = 1; depth <= depthMax; depth++) {
        this.trying = undefined;
        const actions = model.actions(state);
        const successorAction = this.pickSuccessor(state, actions, random);
        if (successorAction < 0) {
          if (!this.anySuccessor && exploration.checkDeadlock && exploration.deadlocked(this.length, this, 0)) return false;
          break;
        }
        const successor = this.picked!;
        this.picked = undefined;
        this.walkActions[this.length] = actions[successorAction]!;
        this.length++;
        this.walkStates[this.length] = successor;
        state = successor;
        const index = exploration.add(successor);
        if (index >= 0) {
          if ((index & TICK_MASK) === 0) exploration.tick(depth, -1);
          if (exploration.checkProperties(successor, depth, this, 0)) return false;
          if (exploration.isFull) return false;
        }
      }
      // Walks past the deepest distinct state still count towards the depth reached.
      if (this.length > exploration.maxDepth) exploration.maxDepth = this.length;
    }
    return true;
  }

  trace(): Trace {
    const model = this.model;
    const steps: TraceStep[] = [];
    for (let i = 0; i < this.length; i++) {
      const action = this.walkActions[i]!;
      steps.push({ action: model.formatAction(action), actionData: action, state: model.view(this.walkStates[i + 1]!) });
    }
    return { initial: model.view(this.walkStates[0]!), steps };
  }

  private picked: S | undefined = undefined;
  // Whether pickSuccessor met any successor, inside the boundary or not (outside is no deadlock, as in TLC).
  private anySuccessor = false;

  /**
   * Tries the enabled actions in a random order (a partial Fisher-Yates
   * shuffle of their positions) until one yields a successor within the
   * boundary; leaves it in `picked` and returns the action's position, or -1.
   */
  private pickSuccessor(state: S, actions: readonly A[], random: Random): number {
    const model = this.model;
    const exploration = this.exploration;
    let remaining = actions.length;
    if (remaining > this.candidates.length) this.candidates = new Int32Array(remaining * 2);
    const candidates = this.candidates;
    for (let i = 0; i < remaining; i++) candidates[i] = i;
    this.anySuccessor = false;
    while (remaining > 0) {
      const r = random.nextInt(remaining);
      const k = candidates[r]!;
      candidates[r] = candidates[remaining - 1]!;
      remaining--;
      const action = actions[k]!;
      this.trying = action;
      const successor = model.next(state, action);
      if (successor === undefined) continue;
      this.anySuccessor = true;
      exploration.generated++;
      if (!model.withinBoundary(successor)) continue;
      this.picked = successor;
      return k;
    }
    return -1;
  }
}

export function simulate<S, A>(
  model: Model<S, A>,
  exploration: Exploration<S, A>,
  walks: number,
  seed: number,
  depthMax: number,
): boolean {
  return new Simulation(model, exploration).run(walks, seed, depthMax);
}
