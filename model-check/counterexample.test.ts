// The printed counterexample: a structural diff of consecutive views, the
// initial state whole, one line per step when it fits, and hidden fields left
// out unless verbose.

import { describe, expect, it } from 'vitest';
import { diffViews, formatTrace, formatWholeState, hiddenPatterns, isHidden } from './counterexample.ts';

describe('diffViews', () => {
  it('names each changed leaf by its path, objects by key and arrays by index', () => {
    const before = { acceptors: [{ maxBal: -1, votes: [] }, { maxBal: -1, votes: [] }], msgs: [{ type: '1a', bal: 0 }] };
    const after = { acceptors: [{ maxBal: -1, votes: [] }, { maxBal: 0, votes: [[0, 'v1']] }], msgs: [{ type: '1a', bal: 0 }, { type: '1b', bal: 0 }] };
    expect(diffViews(before, after)).toEqual([
      { path: 'acceptors[1].maxBal', before: -1, after: 0 },
      { path: 'acceptors[1].votes[0]', before: undefined, after: [0, 'v1'] },
      { path: 'msgs[1]', before: undefined, after: { type: '1b', bal: 0 } },
    ]);
  });

  it('reads taking the head of a queue and inserting into a bag as one element, not a shift', () => {
    const queue = [{ type: 'DIFF' }, { type: 'PROPOSAL' }, { type: 'COMMIT' }];
    expect(diffViews({ channel: queue }, { channel: queue.slice(1) })).toEqual([{ path: 'channel[0]', before: { type: 'DIFF' }, after: undefined }]);
    expect(diffViews({ bag: [1, 3, 4] }, { bag: [1, 2, 3, 4] })).toEqual([{ path: 'bag[1]', before: undefined, after: 2 }]);
    expect(diffViews([1, 2, 3], [1, 9, 3])).toEqual([{ path: '[1]', before: 2, after: 9 }]);
    // Both removal and insertion in the middle: compared index by index from the first difference.
    expect(diffViews([1, 2, 3, 9], [1, 7, 8, 3, 9])).toEqual([
      { path: '[1]', before: 2, after: 7 },
      { path: '[2]', before: 3, after: 8 },
      { path: '[3]', before: 9, after: 3 },
      { path: '[4]', before: undefined, after: 9 },
    ]);
  });

  it('reports removed keys, type changes and whole-state changes', () => {
    expect(diffViews({ a: 1, b: { c: 2 } }, { a: 1 })).toEqual([{ path: 'b', before: { c: 2 }, after: undefined }]);
    expect(diffViews({ a: [1] }, { a: { 0: 1 } })).toEqual([{ path: 'a', before: [1], after: { 0: 1 } }]);
    expect(diffViews(3, 4)).toEqual([{ path: '(state)', before: 3, after: 4 }]);
    expect(diffViews({ a: null }, { a: null })).toEqual([]);
  });
});

describe('formatTrace', () => {
  const initial = { acceptors: [{ maxBal: -1 }, { maxBal: -1 }], leader: null };
  const trace = {
    initial,
    steps: [
      { action: 'Phase1a(b0)', actionData: {}, state: { ...initial, leader: 'p0' } },
      { action: 'Phase1b(a1, b0)', actionData: {}, state: { acceptors: [{ maxBal: -1 }, { maxBal: 0 }], leader: 'p0' } },
      { action: 'Stutter', actionData: {}, state: { acceptors: [{ maxBal: -1 }, { maxBal: 0 }], leader: 'p0' } },
    ],
  };

  it('prints the initial state whole, field by field, then one step per line with the changed fields', () => {
    expect(formatTrace(trace)).toEqual([
      '  0: Init',
      '        acceptors: [{"maxBal":-1},{"maxBal":-1}]',
      '        leader: null',
      '  1: Phase1a(b0)       leader: null -> "p0"',
      '  2: Phase1b(a1, b0)   acceptors[1].maxBal: -1 -> 0',
      '  3: Stutter           (no change)',
    ]);
  });

  it('never cuts the initial state: a long field is split into its parts (short ones sharing a line), a long leaf printed whole', () => {
    const long = 'x'.repeat(300);
    const lines = formatTrace({ initial: { servers: [{ log: long, term: 1 }, { log: 'short', term: 2 }] }, steps: [] });
    expect(lines).toEqual(['  0: Init', '        servers[0]: term=1', `        servers[0].log: "${long}"`, '        servers[1]: {"log":"short","term":2}']);
    expect(lines.join('\n')).not.toContain('...');
  });

  it('packs the short fields of a long record into lines of at most 110 characters', () => {
    const node = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`field${i}`, i * 1000]));
    const lines = formatTrace({ initial: { node }, steps: [] });
    expect(lines.slice(1)).toEqual([
      '        node: field0=0 field1=1000 field2=2000 field3=3000 field4=4000 field5=5000 field6=6000 field7=7000 field8=8000',
      '        node: field9=9000 field10=10000 field11=11000',
    ]);
  });

  it('puts the changes of a long step one per line under its action', () => {
    const before = { a: 'x'.repeat(70), b: 'y'.repeat(70), c: 1 };
    const after = { a: 'z'.repeat(70), b: 'w'.repeat(70), c: 2 };
    const lines = formatTrace({ initial: before, steps: [{ action: 'Big', state: after }] });
    expect(lines.slice(4)).toEqual(['  1: Big', `        a: "${'x'.repeat(70)}" -> "${'z'.repeat(70)}"`, `        b: "${'y'.repeat(70)}" -> "${'w'.repeat(70)}"`, '        c: 1 -> 2']);
  });

  it('shows a short set of ids as one field, not an element per line', () => {
    const lines = formatTrace({ initial: { votes: [0, 1] }, steps: [{ action: 'Timeout(s0)', state: { votes: [] } }] });
    expect(lines.at(-1)).toBe('  1: Timeout(s0)   votes: [0,1] -> []');
  });

  it('hides the fields a spec declares unless verbose, and says what it hid', () => {
    const view = (term: number, sent: number) => ({ servers: [{ term, config: { n: 3 } }], ghost: { sent }, dropsUsed: 0 });
    const hidden = { initial: view(1, 0), steps: [{ action: 'Timeout(s0)', state: view(2, 0) }, { action: 'Send', state: view(2, 1) }] };
    const hiddenFields = ['ghost', 'dropsUsed', 'servers[*].config'];
    expect(formatTrace(hidden, { hiddenFields })).toEqual([
      '  0: Init',
      '        servers: [{"term":1}]',
      '  1: Timeout(s0)   servers[0].term: 1 -> 2',
      '  2: Send          (only hidden fields changed)',
      '  hidden: ghost, dropsUsed, servers[*].config (1 changes to them not shown); --verbose shows them',
    ]);
    const verbose = formatTrace(hidden, { hiddenFields, verbose: true });
    expect(verbose).toContain('  2: Send          ghost.sent: 0 -> 1');
    expect(verbose).toContain('        ghost: {"sent":0}');
    expect(verbose.join('\n')).not.toContain('hidden:');
  });
});

describe('hidden field patterns', () => {
  it('match the field and what lies inside it, any index for [*], and nothing else', () => {
    const patterns = hiddenPatterns(['ghost', 'servers[*].node.config']);
    for (const path of ['ghost', 'ghost.committed[0]', 'ghost[1]', 'servers[2].node.config', 'servers[10].node.config.voters']) {
      expect(isHidden(path, patterns), path).toBe(true);
    }
    for (const path of ['ghosts', 'servers[2].node.configured', 'servers[2].node', 'servers.node.config', 'x.ghost']) {
      expect(isHidden(path, patterns), path).toBe(false);
    }
  });

  it('leave a whole state that is all hidden with no lines', () => {
    expect(formatWholeState({ ghost: 1 }, hiddenPatterns(['ghost']))).toEqual([]);
  });
});
