import { describe, expect, it } from 'vitest';
import { always, propertiesFor, sometimes } from './properties.ts';

describe('a property table', () => {
  const positive = (n: number) => n > 0;
  const below = (n: number, max: number) => n < max;
  const table = [
    always('Positive', 'n is positive.', positive),
    always('Below', 'n stays below the bound.', below),
    sometimes('Large', 'n gets large.', (n: number) => n > 100, (max: number) => max > 100),
  ];

  it('keeps table order, drops what `when` rules out, and binds the params', () => {
    const small = propertiesFor(table, 10);
    expect(small.map((p) => `${p.kind} ${p.name}`)).toEqual(['always Positive', 'always Below']);
    expect(small[0]!.holds).toBe(positive); // a one-argument predicate is handed over as it is
    expect([small[1]!.holds(9), small[1]!.holds(10)]).toEqual([true, false]);
    expect(propertiesFor(table, 1000).map((p) => p.name)).toEqual(['Positive', 'Below', 'Large']);
  });
});
