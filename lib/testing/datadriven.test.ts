// The scenario runner itself: how it reads a file, that a wrong expectation
// fails, and that rewriting (REWRITE=1) writes the actual outputs back.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDrivenMismatch, rewriteRequested, runFile, runText, testdataFiles, type Handler, type TestCase } from './datadriven.ts';

/** A handler for tests: `echo` prints its arguments and input; `add` sums; `count` counts its calls. */
function calculator(): Handler {
  let calls = 0;
  return (tc: TestCase) => {
    calls++;
    switch (tc.command) {
      case 'echo':
        return [...tc.args.map((a) => `${a.key}:${tc.strings(a.key).join('|')}`), tc.input].filter((s) => s !== '').join('\n');
      case 'add':
        return String(tc.ints('n').reduce((a, b) => a + b, 0));
      case 'count':
        return String(calls);
      case 'paragraphs':
        return 'one\n\ntwo';
      default:
        throw tc.error('unknown command');
    }
  };
}

const SCENARIO = `# Comments and blank lines between cases are kept.

add n=(1, 2,3)
----
6

echo flag key=value list=(a,b)
first input line
second input line
----
flag:
key:value
list:a|b
first input line
second input line

count
----
3
`;

describe('lib/testing/datadriven: reading a scenario', () => {
  it('runs every case in order, with bare, single and list arguments and input lines, and returns the text unchanged', () => {
    expect(runText('calc.txt', SCENARIO, calculator(), { rewrite: false })).toBe(SCENARIO);
  });

  it('reads doubled separators around an output that has blank lines', () => {
    const text = 'paragraphs\n----\n----\none\n\ntwo\n----\n----\n\ncount\n----\n2\n';
    expect(runText('p.txt', text, calculator(), { rewrite: false })).toBe(text);
  });

  it('an empty output is a separator followed by a blank line', () => {
    const silent: Handler = (tc) => (tc.command === 'quiet' ? '' : 'loud');
    expect(runText('q.txt', 'quiet\n----\n\nother\n----\nloud\n', silent, { rewrite: false })).toContain('quiet');
  });

  it('positionals are the bare arguments', () => {
    let seen: string[] = [];
    runText('p.txt', 'go a b=1 c\n----\n', (tc) => ((seen = tc.positionals()), tc.int('b'), ''), { rewrite: false });
    expect(seen).toEqual(['a', 'c']);
  });
});

describe('lib/testing/datadriven: a wrong expectation fails', () => {
  const wrong = SCENARIO.replace('6\n', '7\n');

  it('throws at the first differing case, naming the file and line, with both outputs', () => {
    let caught: unknown;
    try {
      runText('calc.txt', wrong, calculator(), { rewrite: false });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataDrivenMismatch);
    const mismatch = caught as DataDrivenMismatch;
    expect(mismatch.where).toBe('calc.txt:3');
    expect(mismatch.expected).toBe('7\n');
    expect(mismatch.actual).toBe('6\n');
    expect(mismatch.message).toContain('add n=(1, 2,3)');
  });

  it('an argument the handler never reads fails (a typo must not pass silently)', () => {
    expect(() => runText('t.txt', 'add n=(1) typo=2\n----\n1\n', calculator(), { rewrite: false })).toThrow(/t\.txt:1: add: unknown argument typo/);
  });

  it("a handler's error names the line", () => {
    expect(() => runText('t.txt', '\nnope\n----\n', calculator(), { rewrite: false })).toThrow(/t\.txt:2: nope: unknown command/);
  });

  it('a command without a separator is a malformed file', () => {
    expect(() => runText('t.txt', 'add n=(1)\n1\n', calculator(), { rewrite: false })).toThrow(/t\.txt:1: .* has no ---- line/);
  });
});

describe('lib/testing/datadriven: rewriting', () => {
  it('writes the actual outputs in place, keeping comments, inputs and blank lines', () => {
    const stale = SCENARIO.replace('6\n', '7\n8\n').replace('flag:\nkey:value\n', 'flag:\n');
    const rewritten = runText('calc.txt', stale, calculator(), { rewrite: true });
    expect(rewritten).toBe(SCENARIO);
  });

  it('switches to doubled separators when the new output has a blank line', () => {
    const rewritten = runText('p.txt', 'paragraphs\n----\nold\n\ncount\n----\n2\n', calculator(), { rewrite: true });
    expect(rewritten).toBe('paragraphs\n----\n----\none\n\ntwo\n----\n----\n\ncount\n----\n2\n');
  });

  it('fills in the output of a case written with an empty one, at the end of a file without a final newline', () => {
    expect(runText('c.txt', 'count\n----', calculator(), { rewrite: true })).toBe('count\n----\n1');
  });

  describe('REWRITE in the environment', () => {
    const saved = process.env['REWRITE'];
    const dirs: string[] = [];
    afterEach(() => {
      if (saved === undefined) delete process.env['REWRITE'];
      else process.env['REWRITE'] = saved;
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it('is on for REWRITE=1 and off when unset, empty, 0 or false', () => {
      expect(rewriteRequested({ REWRITE: '1' })).toBe(true);
      expect(rewriteRequested({})).toBe(false);
      expect(rewriteRequested({ REWRITE: '' })).toBe(false);
      expect(rewriteRequested({ REWRITE: '0' })).toBe(false);
      expect(rewriteRequested({ REWRITE: 'false' })).toBe(false);
    });

    it('runFile rewrites the file under REWRITE=1, and fails on it without', () => {
      const dir = mkdtempSync(join(tmpdir(), 'datadriven-'));
      dirs.push(dir);
      const file = join(dir, 'sum.txt');
      writeFileSync(file, 'add n=(2,2)\n----\n5\n');
      delete process.env['REWRITE'];
      expect(() => runFile(file, calculator())).toThrow(DataDrivenMismatch);
      process.env['REWRITE'] = '1';
      runFile(file, calculator());
      expect(readFileSync(file, 'utf8')).toBe('add n=(2,2)\n----\n4\n');
      delete process.env['REWRITE'];
      runFile(file, calculator());
    });

    it('testdataFiles lists the .txt files of a folder in name order', () => {
      const dir = mkdtempSync(join(tmpdir(), 'datadriven-'));
      dirs.push(dir);
      for (const name of ['b.txt', 'a.txt', 'notes.md']) writeFileSync(join(dir, name), '');
      expect(testdataFiles(dir)).toEqual([join(dir, 'a.txt'), join(dir, 'b.txt')]);
    });
  });
});
