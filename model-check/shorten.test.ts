// Counterexample shortening (shorten.ts): the result is a real path of the
// model from the same initial state, ends at its first violating state, and
// drops the detours a random walk takes.

import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import type { Property } from './model.ts';
import type { Trace } from './report-types.ts';
import { shortenViolation } from './shorten.ts';
import { type ClockState, clockModel, doublerModel } from './toys.ts';

describe('shortenViolation', () => {
  const model = doublerModel(12);
  const property = model.properties.find((p) => p.name === 'NeverTarget')!;
  const path = (actions: readonly ('Increment' | 'Double')[]): Trace => {
    let x = 1;
    const steps = actions.map((action) => {
      x = model.next(x, action)!;
      return { action, actionData: action, state: model.view(x) };
    });
    return { initial: model.view(1), steps };
  };

  it('drops detours and keeps a path that replays to the violation', () => {
    // Hand a reaches 3 (the violation) after ticks of hand b, which change nothing that matters.
    const handA: Property<ClockState> = { name: 'HandABelow3', kind: 'always', description: 'a < 3', holds: (s) => s.a < 3 };
    const clock = clockModel({ n: 6, properties: [handA] });
    const labels = ['Tick(b)', 'Tick(a)', 'Tick(b)', 'Tick(b)', 'Tick(a)', 'Tick(b)', 'Tick(b)', 'Tick(a)', 'Tick(b)'];
    let state: ClockState = { a: 0, b: 0 };
    const steps = labels.map((label) => {
      const action = clock.actions(state).find((a) => clock.formatAction(a) === label)!;
      state = clock.next(state, action)!;
      return { action: label, actionData: action, state };
    });
    const short = shortenViolation(clock, handA, { initial: { a: 0, b: 0 }, steps });
    expect(short.steps.map((s) => s.action)).toEqual(['Tick(a)', 'Tick(a)', 'Tick(a)']);
    expect(short.steps.at(-1)!.state).toEqual({ a: 3, b: 0 });
  });

  it('keeps a path it cannot shorten: 1 2 3 4 5 6 12 by doubling and increments, cut at the violation', () => {
    const long = path(['Increment', 'Increment', 'Increment', 'Increment', 'Increment', 'Double', 'Increment']);
    const short = shortenViolation(model, property, long);
    expect(short.steps.map((s) => s.action)).toEqual(['Increment', 'Increment', 'Increment', 'Increment', 'Increment', 'Double']);
    expect(short.steps.at(-1)!.state).toEqual({ x: 12 });
  });

  it('leaves a path that does not reach a violation as it is', () => {
    const harmless = path(['Increment', 'Double']);
    expect(shortenViolation(model, property, harmless)).toBe(harmless);
  });

  it('is what guided simulation reports: depth equals the trace length', () => {
    const report = check(doublerModel(37), { strategy: { kind: 'guided', walks: 500, seed: 3, depthMax: 40 }, progress: false });
    const violation = report.violations[0]!;
    expect(violation.depth).toBe(violation.trace.steps.length);
    expect(violation.trace.steps.at(-1)!.state).toEqual({ x: 37 });
  });
});
