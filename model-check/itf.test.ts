// The ITF mapping (itf.ts): each kind of JavaScript value as Apalache's
// ADR-015 encodes its TLA+ counterpart, the variables, the action per state
// and a lasso's loop index.

import { describe, expect, it } from 'vitest';
import { itfTrace, toItfValue } from './itf.ts';

describe('toItfValue', () => {
  it('writes integers as #bigint, sequences as arrays, records as objects', () => {
    expect(toItfValue(3)).toEqual({ '#bigint': '3' });
    expect(toItfValue(-1)).toEqual({ '#bigint': '-1' });
    expect(toItfValue(2 ** 53 - 1)).toEqual({ '#bigint': '9007199254740991' });
    expect(toItfValue(10n ** 20n)).toEqual({ '#bigint': '100000000000000000000' });
    expect(toItfValue('LEADING')).toBe('LEADING');
    expect(toItfValue(false)).toBe(false);
    expect(toItfValue([1, [2]])).toEqual([{ '#bigint': '1' }, [{ '#bigint': '2' }]]);
    expect(toItfValue({ term: 2, log: [] })).toEqual({ term: { '#bigint': '2' }, log: [] });
  });

  it('writes a Set as #set and a Map as #map of pairs', () => {
    expect(toItfValue(new Set([1, 2]))).toEqual({ '#set': [{ '#bigint': '1' }, { '#bigint': '2' }] });
    expect(toItfValue(new Map([['s0', new Set(['a'])]]))).toEqual({ '#map': [['s0', { '#set': ['a'] }]] });
  });

  it('writes what TLA+ has no value for (null, a fraction) as #unserializable', () => {
    expect(toItfValue(null)).toEqual({ '#unserializable': 'null' });
    expect(toItfValue(undefined)).toEqual({ '#unserializable': 'null' });
    expect(toItfValue(0.5)).toEqual({ '#unserializable': '0.5' });
  });
});

describe('itfTrace', () => {
  const trace = {
    initial: { term: 1, votes: new Set<number>() },
    steps: [
      { action: 'Timeout(s0)', state: { term: 2, votes: new Set([0]) } },
      { action: 'Timeout(s1)', state: { term: 3, votes: new Set<number>() } },
    ],
  };

  it('names the top-level fields as variables and each state its index and the action that led to it', () => {
    const itf = itfTrace(trace, { spec: 'toy' });
    expect(itf['#meta']).toMatchObject({ format: 'ITF', spec: 'toy' });
    expect(itf.vars).toEqual(['term', 'votes']);
    expect(itf.states).toEqual([
      { '#meta': { index: 0 }, term: { '#bigint': '1' }, votes: { '#set': [] } },
      { '#meta': { index: 1, action: 'Timeout(s0)' }, term: { '#bigint': '2' }, votes: { '#set': [{ '#bigint': '0' }] } },
      { '#meta': { index: 2, action: 'Timeout(s1)' }, term: { '#bigint': '3' }, votes: { '#set': [] } },
    ]);
    expect('loop' in itf).toBe(false);
  });

  it('gives a lasso its loop index', () => {
    expect(itfTrace(trace, {}, 1).loop).toBe(1);
  });

  it('makes a view that is not a record one variable, state', () => {
    const itf = itfTrace({ initial: 1, steps: [{ action: 'Double', state: 2 }] }, {});
    expect(itf.vars).toEqual(['state']);
    expect(itf.states[1]).toEqual({ '#meta': { index: 1, action: 'Double' }, state: { '#bigint': '2' } });
  });
});
