// A state of the explorer, addressed by its path: the index of an initial
// state (model.init()), then the index of each action taken (into
// model.actions(state) at that state). Replaying the path from Init is how
// the API stays stateless (no session, no table of states that grows with
// use): the model's reducers are pure, so the same path is always the same
// state, and a path of a few hundred steps replays in milliseconds.
//
// What a state shows (stateright's Explorer, TLC's trace explorer): its view,
// the fields the last step changed, every property evaluated there, and the
// steps that leave it, labelled as the checker labels a counterexample's steps
// (model.formatAction).

import { assertNever } from '../../lib/assert.ts';
import { type Result, err, ok } from '../../lib/result.ts';
import { diffViews, type FieldChange, hiddenPatterns } from '../../model-check/counterexample.ts';
import type { Property } from '../../model-check/model.ts';
import type { LoadedModel, ResolvedConfig } from './model-config.ts';

/** Steps a path may hold: far beyond a counterexample's depth, short enough that one replay stays cheap. */
export const PATH_STEPS_MAX = 2_000;
/** Initial states or actions listed at most (a bound past the cap still works, the list says it was cut). */
export const CHOICES_MAX = 500;

/** How a property reads at one state. */
export type Verdict =
  /** `always`: the state satisfies it. */
  | 'holds'
  /** `always`: the state breaks it (a counterexample ends here). */
  | 'violated'
  /** `sometimes`: this state is an example of it. */
  | 'reached'
  /** `sometimes`: not this state (the check looks for any reachable one). */
  | 'not here'
  /** `eventually`, `leadsTo`: judged on whole behaviours under fairness, never on one state. */
  | 'not judged per state'
  /** The property threw on this state (a finding in the spec: its message is in `note`). */
  | 'error';

export interface PropertyAtState {
  readonly name: string;
  readonly kind: Property<unknown>['kind'];
  readonly description: string;
  readonly verdict: Verdict;
  /** For a liveness property, whether its goal (Q) holds here; for an error, the message. */
  readonly note?: string;
}

/** One step that leaves the state: an initial state at the root, else an action. */
export interface Choice {
  /** What a path names to take it. */
  readonly index: number;
  readonly label: string;
  /** 'enabled': it can be taken. 'outside': its successor is outside the bounds (the checker discards it). 'error': the model threw (`note`). */
  readonly status: 'enabled' | 'outside' | 'error';
  readonly note?: string;
}

export interface StateAtPath {
  readonly model: ResolvedConfig;
  readonly path: readonly number[];
  /** "Init", then each step's label: the breadcrumb. */
  readonly labels: readonly string[];
  /** model.view of the state; null at the root (before Init). */
  readonly state: unknown;
  /** What the last step changed, field by field (counterexample.ts's diff); the initial state changes nothing. */
  readonly changes: readonly { readonly path: string; readonly before: unknown; readonly after: unknown }[];
  /** Model.hiddenFields, and the same as regular expressions over field paths (counterexample.ts's hiddenPatterns). */
  readonly hiddenFields: readonly string[];
  readonly hiddenPatterns: readonly string[];
  readonly properties: readonly PropertyAtState[];
  /** Initial states at the root, else the actions model.actions lists that have a successor. */
  readonly choices: readonly Choice[];
  /** More choices existed than CHOICES_MAX. */
  readonly choicesCut: boolean;
  /** No choice is enabled: a deadlock unless the model says it ends there by design. */
  readonly deadlock: boolean;
  readonly deadlockNote: string;
}

/** Why a path leads nowhere: an index that is no choice there (the request's fault), or the model threw (a finding in the spec). */
export interface PathError {
  readonly kind: 'bad-path' | 'model-threw';
  readonly message: string;
}
const badPath = (text: string) => err<PathError>({ kind: 'bad-path', message: text });

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** JSON's view of a view (undefined fields dropped), as a trace file holds it and as the page receives it. */
export function jsonView(view: unknown): unknown {
  const text = JSON.stringify(view);
  return text === undefined ? null : JSON.parse(text);
}

/** The state a path leads to, or why it leads nowhere (an index that is not a choice there). */
// biome-ignore lint/suspicious/noExplicitAny: the spec's own state type
export function replayPath(loaded: LoadedModel, path: readonly number[]): Result<{ states: any[]; labels: string[] }, PathError> {
  const model = loaded.model;
  if (path.length === 0) return ok({ states: [], labels: [] });
  const initial = model.init();
  const first = path[0]!;
  if (first >= initial.length) return badPath(`path[0] = ${first}: there are ${initial.length} initial states`);
  const states = [initial[first]];
  const labels = ['Init'];
  for (let i = 1; i < path.length; i++) {
    const state = states[states.length - 1];
    const actions = model.actions(state);
    const index = path[i]!;
    if (index >= actions.length) return badPath(`path[${i}] = ${index}: the state after ${labels.join(' -> ')} has ${actions.length} actions`);
    const action = actions[index];
    let next: unknown;
    try {
      next = model.next(state, action);
    } catch (error) {
      return err({ kind: 'model-threw', message: `path[${i}]: ${model.formatAction(action)} threw in the model: ${message(error)}` });
    }
    if (next === undefined) return badPath(`path[${i}]: ${model.formatAction(action)} is not enabled after ${labels.join(' -> ')}`);
    if (!model.withinBoundary(next)) return badPath(`path[${i}]: ${model.formatAction(action)} leaves the bounds`);
    states.push(next);
    labels.push(model.formatAction(action));
  }
  return ok({ states, labels });
}

/** Everything the page shows of the state at `path`. */
export function stateAtPath(loaded: LoadedModel, path: readonly number[]): Result<StateAtPath, PathError> {
  const replayed = replayPath(loaded, path);
  if (!replayed.ok) return replayed;
  const model = loaded.model;
  const { states, labels } = replayed.value;
  const hiddenFields = model.hiddenFields ?? [];
  const common = { model: loaded.config, path, labels, hiddenFields, hiddenPatterns: hiddenPatterns(hiddenFields).map((re) => re.source) };
  if (states.length === 0) {
    const initial = model.init();
    const choices = initial.slice(0, CHOICES_MAX).map((_, index): Choice => ({ index, label: initial.length === 1 ? 'Init' : `Init #${index}`, status: 'enabled' }));
    return ok({ ...common, state: null, changes: [], properties: [], choices, choicesCut: initial.length > CHOICES_MAX, deadlock: false, deadlockNote: '' });
  }
  const state = states[states.length - 1];
  const view = jsonView(model.view(state));
  const changes: FieldChange[] = states.length < 2 ? [] : diffViews(jsonView(model.view(states[states.length - 2])), view);
  const { choices, cut } = choicesAt(loaded, state);
  const deadlock = !choices.some((choice) => choice.status === 'enabled');
  const deadlockNote = !deadlock
    ? ''
    : model.deadlock === 'stuttering-ok'
      ? 'no action is enabled: the spec ends here by design (it stutters; not a deadlock for this spec)'
      : 'no action is enabled: a deadlock, which the checker reports as a violation';
  return ok({ ...common, state: view, changes, properties: propertiesAt(loaded, state), choices, choicesCut: cut, deadlock, deadlockNote });
}

// biome-ignore lint/suspicious/noExplicitAny: the spec's own state type
function choicesAt(loaded: LoadedModel, state: any): { choices: Choice[]; cut: boolean } {
  const model = loaded.model;
  const choices: Choice[] = [];
  const actions = model.actions(state);
  let index = 0;
  for (; index < actions.length && choices.length < CHOICES_MAX; index++) {
    const action = actions[index];
    const label = model.formatAction(action);
    try {
      const next = model.next(state, action);
      if (next === undefined) continue;
      choices.push({ index, label, status: model.withinBoundary(next) ? 'enabled' : 'outside' });
    } catch (error) {
      // A spec assertion that fires on this step is a finding to show, not a reason to hide the state.
      choices.push({ index, label, status: 'error', note: message(error) });
    }
  }
  return { choices, cut: index < actions.length };
}

// biome-ignore lint/suspicious/noExplicitAny: the spec's own state type
function propertiesAt(loaded: LoadedModel, state: any): PropertyAtState[] {
  return loaded.model.properties.map((property): PropertyAtState => {
    const base = { name: property.name, kind: property.kind, description: property.description };
    try {
      switch (property.kind) {
        case 'always':
          return { ...base, verdict: property.holds(state) ? 'holds' : 'violated' };
        case 'sometimes':
          return { ...base, verdict: property.holds(state) ? 'reached' : 'not here' };
        case 'eventually':
          return { ...base, verdict: 'not judged per state', note: `its goal ${property.holds(state) ? 'holds' : 'does not hold'} here` };
        case 'leadsTo': {
          const premise = property.premise?.(state) === true ? 'holds' : 'does not hold';
          return { ...base, verdict: 'not judged per state', note: `its premise ${premise} here, its goal ${property.holds(state) ? 'holds' : 'does not hold'}` };
        }
        default:
          return assertNever(property.kind, 'property kind');
      }
    } catch (error) {
      return { ...base, verdict: 'error', note: message(error) };
    }
  });
}
