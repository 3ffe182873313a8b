// The explorer's HTTP API (server.ts) on 127.0.0.1 with a free port: initial
// states, actions, steps, going back, properties at each state, counterexample
// files written by the checker re-executed to their violating state, traces
// that do not match the spec, and bad requests answered 400 without harm to
// the server. The command line (dist/explore.js) once, with --trace.

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetBounds } from '../../model-check/cli-options.ts';
import type { Model, SpecDefinition } from '../../model-check/model.ts';
import { parseExploreArguments } from '../explore.ts';
import { specs } from '../specs.ts';
import { explorerServer, listen } from './server.ts';
import type { StateAtPath } from './state-path.ts';
import { startTestExplorer, type TestExplorer, type TestTraces } from './test-traces.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Large enough for the test's trace files, small enough that refusing a larger body is quick to test. */
const BODY_BYTES_MAX_TEST = 1024 * 1024;
let explorer: TestExplorer;
let directory: string;
let traces: TestTraces;
let base: string;

beforeAll(async () => {
  explorer = await startTestExplorer({ bodyBytesMax: BODY_BYTES_MAX_TEST });
  ({ directory, traces, base } = explorer);
});

afterAll(() => explorer.stop());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(20_000) };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(new URL(path, base), init);
  return { status: response.status, json: await response.json() };
}

async function stateAt(model: unknown, path: number[]): Promise<StateAtPath> {
  const { status, json } = await call('POST', '/api/state', { model, path });
  expect(status, JSON.stringify(json)).toBe(200);
  return json as StateAtPath;
}

describe('the explorer API, stepping by hand', () => {
  it('lists the registry and the model the command line chose', async () => {
    const { status, json } = await call('GET', '/api/specs');
    expect(status).toBe(200);
    expect(json.specs.map((s: { name: string }) => s.name)).toEqual(specs.map((s) => s.name));
    expect(json.initial).toMatchObject({ spec: 'paxos', preset: 'ci', mutant: null });
    expect(json.trace).toBeNull();
  });

  // Every registered spec: Init, a few steps along the first enabled action, back, each state as the model computes it.
  for (const definition of specs) {
    it(`${definition.name}: Init, the enabled actions, a step, back, the properties`, async () => {
      const model = { spec: definition.name };
      const root = await stateAt(model, []);
      expect(root.state).toBeNull();
      const direct = definition.build(presetBounds(definition, definition.presets[0]!), undefined);
      expect(root.choices.length).toBe(direct.init().length);

      const init = await stateAt(model, [0]);
      expect(init.labels).toEqual(['Init']);
      expect(init.state).toEqual(JSON.parse(JSON.stringify(direct.view(direct.init()[0]))));
      expect(init.changes).toEqual([]);
      const always = direct.properties.filter((p) => p.kind === 'always').map((p) => p.name);
      expect(init.properties.filter((p) => p.kind === 'always').map((p) => [p.name, p.verdict])).toEqual(always.map((name) => [name, 'holds']));

      // Its enabled actions are exactly those whose successor the model gives within the bounds, labelled as a counterexample labels them.
      const expected = direct
        .actions(direct.init()[0])
        .flatMap((action, index) => {
          const next = direct.next(direct.init()[0], action);
          return next !== undefined && direct.withinBoundary(next) ? [{ index, label: direct.formatAction(action) }] : [];
        });
      expect(init.choices.filter((c) => c.status === 'enabled').map((c) => ({ index: c.index, label: c.label }))).toEqual(expected);
      const first = expected[0]!;
      const stepped = await stateAt(model, [0, first.index]);
      expect(stepped.labels).toEqual(['Init', first.label]);
      const successor = direct.next(direct.init()[0], direct.actions(direct.init()[0])[first.index]);
      expect(stepped.state).toEqual(JSON.parse(JSON.stringify(direct.view(successor))));
      expect(stepped.changes.length).toBeGreaterThan(0);

      const second = stepped.choices.find((c) => c.status === 'enabled')!;
      const deeper = await stateAt(model, [0, first.index, second.index]);
      expect(deeper.labels).toEqual(['Init', first.label, second.label]);
      // Back is the path without its last step: the same state as before.
      expect(await stateAt(model, deeper.path.slice(0, -1) as number[])).toEqual(stepped);
    });
  }

  it('says a liveness property is not judged per state, and names what holds there', async () => {
    const state = await stateAt({ spec: 'paxos', preset: 'ci-liveness' }, [0]);
    const live = state.properties.find((p) => p.kind === 'eventually');
    expect(live).toMatchObject({ name: 'ValueEventuallyChosen', verdict: 'not judged per state' });
    expect(live!.note).toContain('does not hold');
    expect(state.properties.find((p) => p.name === 'ValueChosen')!.verdict).toBe('not here');
  });

  it('takes bound overrides and a mutant as the check command does', async () => {
    const state = await stateAt({ spec: 'raft', preset: 'ci', bounds: { servers: 2 }, mutant: 'double-vote' }, [0]);
    expect(state.model).toMatchObject({ spec: 'raft', preset: 'ci', mutant: 'double-vote' });
    expect(state.model.bounds['servers']).toBe(2);
    expect(state.hiddenFields).toContain('ghost');
  });
});

describe('the explorer API, counterexample files', () => {
  it('lists the trace files of its traces directory', async () => {
    const { json } = await call('GET', '/api/traces');
    expect(json.files).toEqual(['paxos.itf.json', 'paxos.json', 'zab.itf.json', 'zab.json']);
  });

  for (const [spec, format] of [['paxos', 'json'], ['paxos', 'itf'], ['zab', 'json'], ['zab', 'itf']] as const) {
    it(`re-executes ${spec}'s counterexample (${format}) to the state where its property is violated`, async () => {
      const file = traces[spec][format];
      const { status, json } = await call('POST', '/api/trace', { file });
      expect(status, JSON.stringify(json)).toBe(200);
      const document = JSON.parse(readFileSync(join(directory, traces[spec].json), 'utf8'));
      expect(json.mismatch).toBeUndefined();
      expect(json.format).toBe(format);
      expect(json.property).toBe(traces[spec].property);
      expect(json.labels).toEqual(['Init', ...document.trace.steps.map((s: { action: string }) => s.action)]);
      expect(json.paths.length).toBe(json.labels.length);
      const verdict = async (path: number[]) => (await stateAt(json.model, path)).properties.find((p) => p.name === traces[spec].property)!.verdict;
      expect(await verdict(json.paths[0])).toBe('holds');
      expect(await verdict(json.paths[json.paths.length - 1])).toBe('violated');
      // Each step's state is the file's state.
      const last = await stateAt(json.model, json.paths[json.paths.length - 1]);
      expect(last.state).toEqual(document.trace.steps[document.trace.steps.length - 1].state);
    });
  }

  it('names the step where an edited trace leaves the spec', async () => {
    const document = JSON.parse(readFileSync(join(directory, traces.paxos.json), 'utf8'));
    document.trace.steps[3].state.acceptors[0].maxBal = 7;
    const edited = await call('POST', '/api/trace', { document });
    expect(edited.status).toBe(200);
    expect(edited.json.mismatch.step).toBe(4);
    expect(edited.json.mismatch.reason).toMatch(/leads elsewhere: acceptors\[0\]\.maxBal: -?\d+ -> 7/);
    expect(edited.json.paths.length).toBe(4);

    const renamed = JSON.parse(readFileSync(join(directory, traces.paxos.json), 'utf8'));
    renamed.trace.steps[1].action = 'Phase9(z)';
    const wrongAction = await call('POST', '/api/trace', { document: renamed });
    expect(wrongAction.json.mismatch).toMatchObject({ step: 2 });
    expect(wrongAction.json.mismatch.reason).toContain('no such action is enabled here; enabled: Phase1a');

    const otherStart = JSON.parse(readFileSync(join(directory, traces.zab.itf, ), 'utf8'));
    otherStart.states[0].servers = [];
    const wrongInit = await call('POST', '/api/trace', { document: otherStart });
    expect(wrongInit.json.mismatch).toMatchObject({ step: 0 });
    expect(wrongInit.json.paths).toEqual([]);
  });
});

describe('the explorer API, bad requests', () => {
  const badStates: [string, unknown, RegExp][] = [
    ['not JSON', '{"model":', /not JSON/],
    ['an unknown spec', { model: { spec: 'nope' }, path: [] }, /unknown spec 'nope'; registered: paxos/],
    ['an unknown preset', { model: { spec: 'paxos', preset: 'huge' }, path: [] }, /unknown preset 'huge'/],
    ['an unknown mutant', { model: { spec: 'zab', mutant: 'x' }, path: [] }, /unknown mutant 'x'/],
    ['an unknown bound', { model: { spec: 'paxos', bounds: { servers: 3 } }, path: [] }, /unknown bound 'servers'/],
    ['a bound of the wrong type', { model: { spec: 'paxos', bounds: { bag: 3 } }, path: [] }, /bound 'bag' of paxos must be true or false/],
    ['a bound too large', { model: { spec: 'paxos', bounds: { acceptors: 100000 } }, path: [] }, /model\.bounds\.acceptors/],
    ['an initial state that is not there', { model: { spec: 'paxos' }, path: [5] }, /path\[0\] = 5: there are 1 initial states/],
    ['an action that is not there', { model: { spec: 'paxos' }, path: [0, 999] }, /path\[1\] = 999/],
    ['a negative index', { model: { spec: 'paxos' }, path: [0, -1] }, /path\.1/],
    ['a fraction', { model: { spec: 'paxos' }, path: [0.5] }, /path\.0/],
    ['an unknown field', { model: { spec: 'paxos' }, path: [], session: 1 }, /session/],
    ['no path', { model: { spec: 'paxos' } }, /path/],
    ['a path too long', { model: { spec: 'paxos' }, path: new Array(5000).fill(0) }, /path/],
  ];
  for (const [what, body, message] of badStates) {
    it(`answers 400 to /api/state with ${what}`, async () => {
      const { status, json } = await call('POST', '/api/state', body);
      expect(status).toBe(400);
      expect(json.error).toMatch(message);
    });
  }

  it('answers 400 to a trace request naming no trace file or no trace', async () => {
    for (const [body, message] of [
      [{ file: '../../etc/passwd' }, /a trace file name/],
      [{ file: 'missing.json' }, /cannot read missing\.json/],
      [{ document: { spec: 'paxos' } }, /not a trace file the checker writes/],
      [{ document: { '#meta': {}, vars: [], states: [] } }, /read as ITF/],
      [{ document: null }, /not a trace file/],
      [{ file: 'paxos.json', document: {} }, /.+/],
    ] as const) {
      const { status, json } = await call('POST', '/api/trace', body);
      expect([status, json.error]).toEqual([400, expect.stringMatching(message)]);
    }
  });

  it('answers 404, 405 and 413, and 403 to a Host that is not loopback, and keeps serving', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
    expect((await call('GET', '/api/state')).status).toBe(405);
    expect((await call('POST', '/api/specs', {})).status).toBe(405);
    expect((await call('POST', '/api/state', 'x'.repeat(BODY_BYTES_MAX_TEST + 1))).status).toBe(413);
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(new URL('/api/specs', base), { headers: { host: 'attacker.example:80' }, timeout: 10_000 }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    expect(rebound).toBe(403);
    expect((await call('GET', '/api/specs')).status).toBe(200);
  });
});

/**
 * A spec whose step and property throw where the counter reaches 2, as a spec
 * assertion fires in a mutant: the explorer shows it and keeps serving.
 */
const throwingSpec: SpecDefinition = {
  name: 'throwing',
  description: 'a counter whose Increment throws at 2',
  bounds: [],
  presets: [{ name: 'ci', description: 'the only one', bounds: {} }],
  mutants: [],
  build: (): Model<number, 'Increment' | 'Reset'> => ({
    init: () => [0],
    actions: () => ['Increment', 'Reset'],
    next: (n, action) => {
      if (action === 'Reset') return n === 0 ? undefined : 0;
      if (n === 2) throw new Error('assertion: the counter passes 2');
      return n + 1;
    },
    properties: [
      { name: 'Small', kind: 'always', description: 'n < 2', holds: (n) => n < 2 },
      {
        name: 'Reads',
        kind: 'always',
        description: 'throws at 2',
        holds: (n) => {
          if (n === 2) throw new Error('the property cannot read 2');
          return true;
        },
      },
    ],
    withinBoundary: () => true,
    encode: (n, sink) => sink.int(n),
    formatAction: (action) => action,
    view: (n) => ({ n }),
  }),
};

describe('the explorer API, a model that throws', () => {
  it('lists the step that throws as an error, answers 422 to a path through it, and keeps serving', async () => {
    const own = explorerServer({ registry: [throwingSpec], initial: { spec: 'throwing' }, tracesDirectory: directory });
    const address = await listen(own, 0);
    try {
      const post = async (path: number[]) => {
        const response = await fetch(new URL('/api/state', address), { method: 'POST', body: JSON.stringify({ model: { spec: 'throwing' }, path }) });
        return { status: response.status, json: (await response.json()) as any };
      };
      const atTwo = await post([0, 0, 0]);
      expect(atTwo.status).toBe(200);
      expect(atTwo.json.choices).toEqual([
        { index: 0, label: 'Increment', status: 'error', note: 'assertion: the counter passes 2' },
        { index: 1, label: 'Reset', status: 'enabled' },
      ]);
      expect(atTwo.json.properties.map((p: { verdict: string }) => p.verdict)).toEqual(['violated', 'error']);
      const through = await post([0, 0, 0, 0]);
      expect(through.status).toBe(422);
      expect(through.json.error).toBe('path[3]: Increment threw in the model: assertion: the counter passes 2');
      expect((await post([0, 0, 0, 1])).json.state).toEqual({ n: 0 });
    } finally {
      await new Promise<void>((resolve) => {
        own.close(() => resolve());
        own.closeAllConnections();
      });
    }
  });
});

describe('npm run explore, its command line', () => {
  it('takes the spec, preset, bounds and mutant as npm run check does, and a port', () => {
    expect(parseExploreArguments(['raft', '--preset', 'elections', '--servers', '2', '--drop', 'true', '--mutant', 'double-vote', '--port', '8123'], specs)).toEqual({
      initial: { spec: 'raft', preset: 'elections', bounds: { servers: 2, drop: true }, mutant: 'double-vote' },
      port: 8123,
      tracesDirectory: 'traces',
    });
    expect(parseExploreArguments(['paxos'], specs)).toMatchObject({ port: 0, initial: { spec: 'paxos', bounds: {}, mutant: null } });
    const fromTrace = parseExploreArguments(['--trace', join(directory, traces.zab.json), '--traces', directory], specs);
    expect(fromTrace).toMatchObject({ initial: { spec: 'zab' }, tracesDirectory: directory, tracePath: join(directory, traces.zab.json) });
  });

  for (const [argv, message] of [
    [[], /which spec\? registered: paxos, raft, zab, multi-paxos/],
    [['paxos', 'raft'], /one spec at a time/],
    [['nope'], /unknown spec 'nope'/],
    [['paxos', '--preset', 'nope'], /unknown preset 'nope'/],
    [['paxos', '--mutant', 'nope'], /unknown mutant 'nope'/],
    [['paxos', '--servers', '3'], /unknown option --servers for paxos; bounds: --acceptors/],
    [['paxos', '--acceptors', 'three'], /--acceptors must be an integer from 0 to 64/],
    [['paxos', '--bag', 'yes'], /--bag must be true or false/],
    [['paxos', '--port', '70000'], /--port must be at most 65535/],
    [['paxos', '--port'], /--port needs a value/],
    [['raft', '--trace', 'TRACE_ZAB'], /is a trace of zab, not of raft/],
    [['--trace', 'TRACE_ZAB', '--maxEpoch', '3'], /--trace takes the preset, bounds and mutant from the file; drop --maxEpoch/],
    [['--trace', 'NOT_A_TRACE'], /not a trace file the checker writes/],
    [['--trace', 'MISSING'], /--trace .*MISSING.*ENOENT/],
  ] as const) {
    it(`refuses ${argv.join(' ') || 'no arguments'}`, () => {
      writeFileSync(join(directory, 'not-a-trace.txt'), '{"spec": "paxos"}');
      const resolved = argv.map((a) => (a === 'TRACE_ZAB' ? join(directory, traces.zab.itf) : a === 'NOT_A_TRACE' ? join(directory, 'not-a-trace.txt') : a === 'MISSING' ? join(directory, 'MISSING.json') : a));
      expect(() => parseExploreArguments(resolved, specs)).toThrow(message);
    });
  }
});

describe('npm run explore (dist/explore.js)', () => {
  it('prints its loopback address and opens with the trace given by --trace', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/explore.js'), '--trace', join(directory, traces.zab.itf), '--port', '0', '--traces', directory], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += String(chunk);
          const match = /explorer: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code} before printing its address: ${out}`)));
      });
      const response = await fetch(new URL('/api/specs', address), { signal: AbortSignal.timeout(20_000) });
      const json = (await response.json()) as any;
      expect(json.initial).toMatchObject({ spec: 'zab', preset: 'zookeeper-3911', mutant: 'ZOOKEEPER-3911' });
      expect(json.trace.mismatch).toBeUndefined();
      expect(json.trace.property).toBe('CommittedDurable');
      const page = await fetch(address, { signal: AbortSignal.timeout(20_000) });
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'sha256-/);
      expect(await page.text()).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!127\.0\.0\.1)/);
    } finally {
      clearTimeout(killer);
      child.kill('SIGTERM');
    }
  });

  it('refuses a spec it does not know with the usage (exit 2)', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/explore.js'), 'nope'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let err = '';
    child.stderr.on('data', (chunk) => (err += String(chunk)));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain("unknown spec 'nope'");
    expect(err).toContain('usage: npm run explore');
  });
});
