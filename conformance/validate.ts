// The other direction: does a recorded run (source 'impl', or any trace) follow
// the spec? A recording shows, after each step it saw, every node's projection
// (adapter.ts); it may miss steps its recorder cannot see (a disk sync, a
// message delivery that changed nothing visible). The validator searches
// depth-first from the spec's initial states: recorded step i+1 is matched by
// a spec action whose successor projects exactly to the recorded projection,
// after at most K hidden (unrecorded) spec actions; when several spec states
// match, it backtracks over them, at most B recorded steps back from the
// furthest step it reached (backtrackStepsMax): equivalent ways of matching
// (deliveries that change nothing visible) multiply behind a dead end. The
// trace is accepted when every recorded step is matched, and rejected at the
// deepest step no choice could match, with the spec states that came closest
// printed beside the recording.
//
// This is trace validation in the sense of Pressler's and Cirstea-Kuppe-Merz's
// TLA+ trace checking (the recorded states are a partial observation; the
// spec's behaviour must explain them), with the hidden steps bounded so that
// the search stays finite. The correct spec is the default judge
// (options.mutant undefined), whatever the trace's meta says it ran.

import { fingerprintOf } from '../model-check/fingerprint.ts';
import type { Model } from '../model-check/model.ts';
import type { AnyAdapter } from './adapter.ts';
import { successor } from './generate.ts';
import { ACTION_TAKEN, canonical, NODES, type ItfValue, type NodeProjection, type Trace } from './trace.ts';

// biome-ignore lint/suspicious/noExplicitAny: any spec's state and action types (a Model is invariant in them, so unknown will not do)
type AnyModel = Model<any, any>;

export interface ValidateOptions {
  /** The spec's mutant to judge by; default undefined, the correct protocol. */
  mutant?: string;
  /** K: unrecorded spec actions allowed before each recorded one (default 2). */
  hiddenStepsMax?: number;
  /** A bound on the work: successors computed over the whole search (default 2,000,000). */
  successorsMax?: number;
  /**
   * B: how many recorded steps the search may go back from the furthest step it reached to try another
   * way of matching them (default 64). Past that, the furthest step is a dead end and the recording is
   * rejected there; Infinity searches every way, up to successorsMax.
   */
  backtrackStepsMax?: number;
}

export interface Candidate {
  /** The spec actions from the last matched recorded step (hidden ones first). */
  readonly actions: readonly string[];
  readonly nodes: readonly NodeProjection[];
  /** Fields (node, field) that differ from the recording. */
  readonly differences: number;
}

export type Verdict =
  | { readonly verdict: 'accepted'; readonly steps: number; readonly hiddenSteps: number; readonly specActions: readonly string[]; readonly successors: number }
  | {
      readonly verdict: 'rejected';
      /** Spec successors computed to reach the verdict: the search's work. */
      readonly successors: number;
      /** The recorded state index (1 = the first step after init; 0 = no initial state matches). */
      readonly step: number;
      readonly action: string;
      readonly recorded: readonly NodeProjection[];
      readonly closest: readonly Candidate[];
      readonly report: string;
    }
  | { readonly verdict: 'undecided'; readonly step: number; readonly reason: string }
  | { readonly verdict: 'invalid'; readonly error: string };

const CLOSEST_MAX = 3;
/** The default B (ValidateOptions.backtrackStepsMax). */
export const BACKTRACK_STEPS_MAX = 64;

export function validateTrace(adapter: AnyAdapter, trace: Trace, options: ValidateOptions = {}): Verdict {
  const meta = trace['#meta'];
  if (meta.spec !== adapter.spec.name) return { verdict: 'invalid', error: `trace is for spec ${meta.spec}, adapter is for ${adapter.spec.name}` };
  for (let i = 0; i < trace.states.length; i++) {
    const nodes = trace.states[i]![NODES];
    for (let n = 0; n < nodes.length; n++) {
      const result = adapter.projectionSchema.safeParse(nodes[n]);
      if (!result.success) return { verdict: 'invalid', error: `states[${i}].nodes[${n}]: ${result.error.issues.map((e) => `${e.path.join('.')} ${e.message}`).join('; ')}` };
    }
  }
  let model: AnyModel;
  try {
    model = adapter.spec.build(meta.bounds, options.mutant);
  } catch (error) {
    return { verdict: 'invalid', error: `bounds: ${(error as Error).message}` };
  }
  // Fingerprints without symmetry: the recording names node ids, so a permuted state is not the same candidate.
  const plain: AnyModel = { ...model, symmetry: undefined };
  return new Search(adapter, plain, trace, options.hiddenStepsMax ?? 2, options.successorsMax ?? 2_000_000, options.backtrackStepsMax ?? BACKTRACK_STEPS_MAX).run();
}

class Search {
  private readonly recorded: string[];
  private readonly failed = new Set<string>();
  private successors = 0;
  private deepestFailure = 0;
  private closest: Candidate[] = [];
  private budgetSpent = false;
  /** The furthest recorded step matched so far; the search gives up when it would go back further than B from it. */
  private furthestMatched = 0;
  private backtrackSpent = false;
  private readonly chosen: string[] = [];
  private hiddenTotal = 0;

  constructor(
    private readonly adapter: AnyAdapter,
    private readonly model: AnyModel,
    private readonly trace: Trace,
    private readonly hiddenStepsMax: number,
    private readonly successorsMax: number,
    private readonly backtrackStepsMax: number,
  ) {
    this.recorded = trace.states.map((s) => canonical(s[NODES] as ItfValue));
  }

  run(): Verdict {
    const inits = this.model.init();
    for (const init of inits) {
      if (this.projectionOf(init) !== this.recorded[0]) continue;
      if (this.match(0, init)) {
        return { verdict: 'accepted', steps: this.trace.states.length - 1, hiddenSteps: this.hiddenTotal, specActions: [...this.chosen], successors: this.successors };
      }
      if (this.budgetSpent) return { verdict: 'undecided', step: this.deepestFailure, reason: `search budget of ${this.successorsMax} successors spent` };
      if (this.backtrackSpent) break;
    }
    if (this.deepestFailure === 0) {
      this.closest = inits
        .map((s) => this.candidate([], s, 0))
        .sort((a, b) => a.differences - b.differences)
        .slice(0, CLOSEST_MAX);
    }
    return this.rejection();
  }

  private projectionOf(state: unknown): string {
    return canonical(this.adapter.project(state) as ItfValue);
  }

  /**
   * Matches recorded steps i+1.. from `state`, which matched step i. Depth-first
   * with an explicit stack of frames, one per recorded step being matched, so
   * that a recording of tens of thousands of steps needs no call stack that deep
   * (recursion overflowed Node's stack at about 2,500 steps).
   */
  private match(i: number, state: unknown): boolean {
    const last = this.recorded.length - 1;
    if (i === last) return true;
    type Frame = { readonly key: string; readonly candidates: Iterator<unknown[] | undefined, void>; readonly chosenMark: number; readonly hiddenMark: number };
    const frameAt = (step: number, from: unknown): Frame | undefined => {
      const key = `${step}:${fingerprintOf(this.model, from)}`;
      if (this.failed.has(key)) return undefined;
      return { key, candidates: this.matchesOf(step, from), chosenMark: this.chosen.length, hiddenMark: this.hiddenTotal };
    };
    const first = frameAt(i, state);
    if (first === undefined) return false;
    const stack: Frame[] = [first];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      // This frame matches step + 1 from a state that matched `step`: trying another of its candidates goes
      // back furthestMatched - step recorded steps. Equivalent ways of matching (ACK deliveries that change
      // nothing visible) multiply without end behind a step nothing matches, so past B it is a dead end.
      if (this.furthestMatched - (i + stack.length - 1) > this.backtrackStepsMax) {
        this.backtrackSpent = true;
        return false;
      }
      // Back to what was chosen up to this frame's step before trying its next candidate.
      this.chosen.length = top.chosenMark;
      this.hiddenTotal = top.hiddenMark;
      const found = top.candidates.next();
      if (this.budgetSpent) return false;
      if (found.done === true) {
        this.failed.add(top.key);
        stack.pop();
        continue;
      }
      const [next, ...path] = found.value!;
      this.chosen.push(...path.map((a) => this.model.formatAction(a)));
      this.hiddenTotal += path.length - 1;
      const step = i + stack.length;
      if (step > this.furthestMatched) this.furthestMatched = step;
      if (step === last) return true;
      const child = frameAt(step, next);
      if (child !== undefined) stack.push(child);
    }
    return false;
  }

  /**
   * The ways to match recorded step i+1 from `state` (which matched step i), in
   * the order to try them: each as [the matching spec state, ...the actions that
   * reach it]. Hidden steps come in levels, breadth-first, so that the fewest
   * hidden steps are tried first. Stops, with budgetSpent set, when the search
   * has computed successorsMax successors.
   */
  private *matchesOf(i: number, state: unknown): Generator<unknown[], void> {
    const target = this.recorded[i + 1]!;
    const label = this.trace.states[i + 1]![ACTION_TAKEN];
    let level: { state: unknown; path: unknown[] }[] = [{ state, path: [] }];
    const seen = new Set<bigint>([fingerprintOf(this.model, state)]);
    for (let hidden = 0; hidden <= this.hiddenStepsMax && level.length > 0; hidden++) {
      const nextLevel: { state: unknown; path: unknown[] }[] = [];
      for (const from of level) {
        const actions = [...this.model.actions(from.state)];
        // The recorded label, when it names a spec action, is tried first (only an ordering: matching is by projection).
        actions.sort((a, b) => Number(this.model.formatAction(b) === label) - Number(this.model.formatAction(a) === label));
        for (const action of actions) {
          if (++this.successors > this.successorsMax) {
            this.budgetSpent = true;
            return;
          }
          const next = successor(this.model, from.state, action);
          if (next === undefined) continue;
          const path = [...from.path, action];
          if (this.projectionOf(next) === target) yield [next, ...path];
          else this.noteClosest(i + 1, path, next);
          if (hidden < this.hiddenStepsMax) {
            const fp = fingerprintOf(this.model, next);
            if (!seen.has(fp)) {
              seen.add(fp);
              nextLevel.push({ state: next, path });
            }
          }
        }
      }
      level = nextLevel;
    }
  }

  private candidate(path: readonly unknown[], state: unknown, step: number): Candidate {
    const nodes = this.adapter.project(state);
    const recorded = this.trace.states[step]![NODES];
    let differences = 0;
    nodes.forEach((node, n) => {
      const r = recorded[n] ?? {};
      for (const field of new Set([...Object.keys(node), ...Object.keys(r)])) if (canonical(node[field]) !== canonical(r[field])) differences++;
    });
    return { actions: path.map((a) => this.model.formatAction(a)), nodes, differences };
  }

  /** Remembers the spec states nearest to recorded step `step`, at the deepest step that failed. */
  private noteClosest(step: number, path: readonly unknown[], state: unknown): void {
    if (step < this.deepestFailure) return;
    if (step > this.deepestFailure) {
      this.deepestFailure = step;
      this.closest = [];
    }
    const c = this.candidate(path, state, step);
    const worst = this.closest[this.closest.length - 1];
    if (this.closest.length >= CLOSEST_MAX && worst !== undefined && worst.differences <= c.differences) return;
    const text = canonical(c.nodes as unknown as ItfValue);
    if (this.closest.some((o) => canonical(o.nodes as unknown as ItfValue) === text)) return;
    this.closest.push(c);
    this.closest.sort((a, b) => a.differences - b.differences || a.actions.length - b.actions.length);
    this.closest.length = Math.min(this.closest.length, CLOSEST_MAX);
  }

  private rejection(): Verdict {
    const step = this.deepestFailure;
    const state = this.trace.states[step]!;
    const recorded = state[NODES];
    const action = state[ACTION_TAKEN];
    const backtracked = this.backtrackSpent ? this.backtrackStepsMax : undefined;
    return { verdict: 'rejected', successors: this.successors, step, action, recorded, closest: this.closest, report: formatRejection(step, action, recorded, this.closest, this.hiddenStepsMax, backtracked) };
  }
}

/** The recorded projection and the closest spec projections side by side, differing fields marked. */
export function formatRejection(
  step: number,
  action: string,
  recorded: readonly NodeProjection[],
  closest: readonly Candidate[],
  hiddenStepsMax: number,
  backtrackStepsMax?: number,
): string {
  const lines = [
    step === 0
      ? 'rejected at step 0: no initial state of the spec projects to the recorded one'
      : `rejected at step ${step} (${action}): no spec action, after at most ${hiddenStepsMax} hidden ones, leads to the recorded projection` +
        (backtrackStepsMax === undefined ? '' : ` (from any way of matching the ${backtrackStepsMax} recorded steps before it)`),
  ];
  closest.forEach((c, k) => {
    lines.push(`closest spec state ${k + 1} (${c.differences} fields differ), after: ${c.actions.join(' ; ') || '(initial state)'}`);
    const rows: string[][] = [['node', 'field', 'recorded', 'spec', '']];
    recorded.forEach((node, n) => {
      const spec = c.nodes[n] ?? {};
      for (const field of new Set([...Object.keys(node), ...Object.keys(spec)])) {
        const r = canonical(node[field]);
        const s = canonical(spec[field]);
        if (r !== s || field === 'state') rows.push([`s${n}`, field, r, s, r !== s ? '<-- differs' : '']);
      }
    });
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
    for (const row of rows) lines.push(`  ${row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ')}`.trimEnd());
  });
  return lines.join('\n');
}
