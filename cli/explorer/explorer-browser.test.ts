// The explorer's page in headless Chromium (Debian's `chromium`, which CI
// installs): it loads, its own script (allowed by the Content-Security-Policy's
// hash) takes an initial state and two actions through its buttons, goes
// back, loads a counterexample from the traces directory, and the DOM
// Chromium dumps shows the state reached, the breadcrumb, the changed fields
// and the violated property, with no script error. The page's `?script=`
// (page.ts) is the sequence; `--dump-dom` after `--virtual-time-budget`
// waits for its requests. Without Chromium the test skips, saying which
// binary it looked for (ZKSPEC_CHROMIUM names another), unless
// ZKSPEC_CHROMIUM_REQUIRED=1 (CI), where it fails.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, chromiumPresent, chromiumRequired, dumpDom } from '../../lib/chromium.ts';
import type { StateAtPath } from './state-path.ts';
import { startTestExplorer, type TestExplorer, type TestTraces } from './test-traces.ts';

/** Chromium's start alone takes seconds on a loaded 2-core machine; past this it is killed. */
const CHROMIUM_TIMEOUT_MS = 50_000;

/** The text of the element with this id (the page builds its text with textContent, so it holds no markup). */
function textOf(dom: string, id: string): string {
  const match = new RegExp(`<[a-z]+ [^>]*id="${id}"[^>]*>([^<]*)<`).exec(dom);
  if (match === null) return '(no such element)';
  return match[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

const present = chromiumPresent();
if (!present && !chromiumRequired()) {
  describe('the explorer page in headless Chromium', () => {
    it.skip(`needs headless Chromium at ${chromiumPath()}: apt-get install chromium (CI does, and sets ZKSPEC_CHROMIUM_REQUIRED=1), or set ZKSPEC_CHROMIUM=/path/to/chromium`, () => {});
  });
} else {
  describe('the explorer page in headless Chromium', () => {
    let explorer: TestExplorer;
    let traces: TestTraces;
    let base: string;

    beforeAll(async () => {
      explorer = await startTestExplorer();
      ({ traces, base } = explorer);
    });

    afterAll(() => explorer.stop());

    const stateAt = async (model: unknown, path: readonly number[]): Promise<StateAtPath> => {
      const response = await fetch(new URL('/api/state', base), { method: 'POST', body: JSON.stringify({ model, path }) });
      return (await response.json()) as StateAtPath;
    };

    it('takes actions through its own buttons, goes back, opens a counterexample at its violation, without a script error', { timeout: 90_000 }, async () => {
      const enabled = (state: StateAtPath) => state.choices.find((c) => c.status === 'enabled')!.index;
      const first = enabled(await stateAt({ spec: 'paxos' }, [0]));
      const second = enabled(await stateAt({ spec: 'paxos' }, [0, first]));
      const steps = ['0', String(first), String(second), 'back', `trace:${traces.paxos.itf}`, 'tracestep:7', 'tracestep:8'];
      expect(present, `${chromiumPath()} is missing and ZKSPEC_CHROMIUM_REQUIRED=1: apt-get install chromium`).toBe(true);
      const run = await dumpDom(`${base}?script=${steps.join(',')}`, CHROMIUM_TIMEOUT_MS, ['--virtual-time-budget=5000']);
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, run.stderr.slice(-2000)).toBe(0);
      const dom = run.stdout;
      expect(textOf(dom, 'script-errors')).toBe('');
      expect(textOf(dom, 'error')).toBe('');
      expect(dom).toMatch(/<body[^>]* data-script="done"/);

      // Where each step led: the page's own log.
      const trace = (await (await fetch(new URL('/api/trace', base), { method: 'POST', body: JSON.stringify({ file: traces.paxos.itf }) })).json()) as {
        model: unknown;
        paths: number[][];
      };
      const at = (path: readonly number[]) => path.join('.');
      const last = trace.paths[8]!;
      expect(textOf(dom, 'script-log').split('\n')).toEqual([
        `0 -> 0`,
        `${first} -> 0.${first}`,
        `${second} -> 0.${first}.${second}`,
        `back -> 0.${first}`,
        `trace:${traces.paxos.itf} -> ${at(last)}`,
        `tracestep:7 -> ${at(trace.paths[7]!)}`,
        `tracestep:8 -> ${at(last)}`,
        '',
      ]);
      expect(/<body[^>]* data-at="([^"]*)"/.exec(dom)?.[1]).toBe(at(last));

      // The state rendered is the API's: the breadcrumb, the choices, the last step's changes highlighted, the violated property.
      const state = await stateAt(trace.model, last);
      expect(dom).toContain(`class="current" data-depth="8">8: ${state.labels[8]}</button>`);
      expect(dom.match(/<button data-index="\d+"/g)?.length).toBe(state.choices.length);
      expect(textOf(dom, 'changes')).toContain(`${state.labels[8]} changed:\n  ${state.changes[0]!.path}`);
      expect(dom).toMatch(/class="line changed"|<summary class="changed"/);
      expect(dom).toMatch(/<tr [^>]*data-property="Agreement" data-verdict="violated"/);
      expect(dom).toMatch(/<tr [^>]*data-property="Validity" data-verdict="holds"/);
      expect(dom).toContain('counterexample to Agreement (itf, paxos ci, mutant minority-quorum)');
      expect(dom).toMatch(/<button class="matched current"[^>]*data-step="8">8: Phase2b\(a1, b1, v2\)<\/button>/);
      // Hidden fields are collapsed: a closed details element.
      expect(dom).toMatch(/<details class="hidden-field" data-path="ghost">/);
    });
  });
}
