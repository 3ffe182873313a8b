// Every kind of trace file rendered, and the SVG checked by its structure (the
// data-* attributes svg.ts writes): the lanes, each message's arrow between
// the right lanes and steps, crash and restart marks, a lasso's cycle, the
// validator's highlighted step. The expectations come from the trace itself
// (the action names a delivery, the nondetPicks a conformance trace records,
// the verdict the validator returns), not from the drawing code.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { zabAdapter } from '../conformance/adapters/zab.ts';
import { parseTrace } from '../conformance/trace.ts';
import { validateTrace } from '../conformance/validate.ts';
import { main } from './cli.ts';
import { PICTURED_MUTANTS, pictureName } from './pictures.ts';
import { readTimeline, type ReadOptions } from './read-trace.ts';
import { diagramOf } from './render.ts';
import { specDefinition } from './spec-pictures.ts';
import type { Timeline } from './timeline.ts';

const repo = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const scenario = (name: string) => repo(`conformance/scenarios/zab/${name}.json`);

interface Element {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
}

/** The opening tags carrying data-* attributes, with their attributes (svg.ts writes one element per line group, no nesting of quotes). */
function elements(svg: string): Element[] {
  return [...svg.matchAll(/<(\w+)((?:\s+[\w-]+="[^"]*")*)\s*\/?>/g)].map((m) => ({
    tag: m[1]!,
    attrs: Object.fromEntries([...m[2]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  }));
}
const byClass = (svg: string, cls: string) => elements(svg).filter((e) => e.attrs.class === cls);

function render(path: string, options: ReadOptions = {}) {
  const read = readTimeline(path, options);
  if (!read.ok) throw new Error(read.error);
  const rendered = diagramOf(read.timeline);
  if (!rendered.ok) throw new Error(rendered.error);
  return { timeline: read.timeline, svg: rendered.svg };
}

describe('the space-time diagram', () => {
  it("a checker safety counterexample (ITF): a lane per server, an arrow per delivery the actions name, the crash, the violated property", () => {
    const { timeline, svg } = render(repo('docs/pictures/zab-ZOOKEEPER-3911.itf.json'));
    expect(timeline.source).toBe('checker-itf');
    expect(byClass(svg, 'lane').map((l) => l.attrs['data-lane'])).toEqual(['s0', 's1', 's2']);
    const arrows = byClass(svg, 'arrow');
    // Every delivery the trace's actions name (`FollowerProcessPROPOSAL(s1, s0) [PROPOSAL]`: s0 to s1) is an arrow ending at its step.
    let deliveries = 0;
    timeline.steps.forEach((step, k) => {
      const m = /^\w+\((s\d), (s\d)\) \[(\w+)\]$/.exec(step.action);
      if (m === null) return;
      deliveries++;
      const arrow = arrows.find((a) => a.attrs['data-received'] === String(k + 1) && a.attrs['data-kind'] === 'delivered');
      expect(arrow, `step ${k + 1} ${step.action}`).toBeDefined();
      expect([arrow!.attrs['data-from'], arrow!.attrs['data-to']]).toEqual([m[2], m[1]]);
      expect(Number(arrow!.attrs['data-sent'])).toBeLessThan(k + 1);
    });
    expect(deliveries).toBeGreaterThan(10);
    const crashes = timeline.steps.flatMap((s, k) => (s.action.startsWith('NodeCrash(') ? [{ lane: /s\d/.exec(s.action)![0], step: String(k + 1) }] : []));
    expect(crashes.length).toBeGreaterThan(0);
    const marks = byClass(svg, 'mark');
    for (const c of crashes) expect(marks.some((m) => m.attrs['data-kind'] === 'crash' && m.attrs['data-lane'] === c.lane && m.attrs['data-step'] === c.step)).toBe(true);
    // The UPTODATE in flight when the leader crashed is lost with the connection, not delivered.
    expect(arrows.some((a) => a.attrs['data-kind'] === 'dropped' && a.attrs['data-received'] === crashes[0]!.step)).toBe(true);
    expect(byClass(svg, 'violation')[0]?.attrs['data-violated']).toBe('CommittedNeverLost');
    expect(svg).not.toMatch(/<script|href=|xlink/);
  });

  it('a liveness lasso from the checker (JSON): its cycle is marked', () => {
    // Two lost messages leave one ballot without a quorum of promises: a lasso that stutters (357 states, about a second).
    const dir = mkdtempSync(join(tmpdir(), 'zkspec-view-'));
    const run = spawnSync(process.execPath, [repo('dist/check.js'), 'paxos', '--preset', 'ci-liveness', '--maxDrops', '2', '--ballots', '1', '--maxDuplicates', '0', '--trace-out', join(dir, 'lasso.json')], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const file = JSON.parse(readFileSync(join(dir, 'lasso.json'), 'utf8')) as { trace: { cycleStart?: number; steps: unknown[] } };
    expect(file.trace.cycleStart).toBeDefined();
    let drops = 0;
    const { timeline, svg } = render(join(dir, 'lasso.json'));
    expect(timeline.source).toBe('checker');
    const loop = byClass(svg, 'loop');
    expect(loop.map((l) => l.attrs['data-loop-start'])).toEqual([String(file.trace.cycleStart)]);
    // Proposers by ballot, acceptors, the learner.
    expect(byClass(svg, 'lane').map((l) => l.attrs['data-lane'])).toEqual(['b0', 'a1', 'a2', 'a3', 'l1']);
    // Each Phase1b(aX, bY) reads bY's 1a: an arrow bY -> aX ending at that step.
    const arrows = byClass(svg, 'arrow');
    timeline.steps.forEach((step, k) => {
      const m = /^Phase1b\((a\d), (b\d)\)$/.exec(step.action);
      if (m !== null) expect(arrows.some((a) => a.attrs['data-from'] === m[2] && a.attrs['data-to'] === m[1] && a.attrs['data-received'] === String(k + 1))).toBe(true);
      if (step.action.startsWith('DropMessage(')) drops++;
      if (step.action.startsWith('DropMessage(')) expect(arrows.some((a) => a.attrs['data-kind'] === 'dropped' && a.attrs['data-received'] === String(k + 1))).toBe(true);
    });
    expect(drops).toBe(2);
  });

  it("a conformance trace: deliveries from its nondetPicks, crash and restart marks", () => {
    const { timeline, svg } = render(scenario('ZOOKEEPER-4643'));
    expect(timeline.source).toBe('conformance');
    expect(byClass(svg, 'lane')).toHaveLength(3);
    const arrows = byClass(svg, 'arrow');
    const picked = timeline.steps.flatMap((s, k) => (typeof s.picks?.message === 'string' ? [{ from: `s${s.picks.from}`, to: `s${s.picks.to}`, step: String(k + 1) }] : []));
    expect(picked.length).toBeGreaterThan(5);
    expect(arrows.map((a) => ({ from: a.attrs['data-from'], to: a.attrs['data-to'], step: a.attrs['data-received'] }))).toEqual(picked);
    // The send is not in the trace: drawn from the sender's previous step, dashed.
    for (const a of arrows) expect(a.attrs['data-kind']).toBe('send-not-recorded');
    const marks = byClass(svg, 'mark').map((m) => `${m.attrs['data-kind']} ${m.attrs['data-lane']} ${m.attrs['data-step']}`);
    timeline.steps.forEach((s, k) => {
      if (s.action.startsWith('NodeCrash(')) expect(marks).toContain(`crash ${/s\d/.exec(s.action)![0]} ${k + 1}`);
      if (s.action.startsWith('NodeStart(')) expect(marks).toContain(`restart ${/s\d/.exec(s.action)![0]} ${k + 1}`);
    });
    expect(marks.some((m) => m.startsWith('crash'))).toBe(true);
  });

  it("a validator verdict: the step where the recording left the spec is highlighted (--validate, and a verdict file)", () => {
    const path = scenario('ZOOKEEPER-3911');
    const parsed = parseTrace(readFileSync(path, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error);
    const verdict = validateTrace(zabAdapter, parsed.trace, { hiddenStepsMax: 2 });
    expect(verdict.verdict).toBe('rejected');
    const step = (verdict as { step: number }).step;
    const validated = render(path, { validate: true }).svg;
    expect(byClass(validated, 'highlight').map((h) => h.attrs['data-highlight-step'])).toEqual([String(step)]);
    // The verdict as `conformance validate --json` prints it: the report first, the JSON line last.
    const dir = mkdtempSync(join(tmpdir(), 'zkspec-view-'));
    writeFileSync(join(dir, 'verdict.txt'), `rejected at step ${step}\n${JSON.stringify({ ...verdict, report: undefined })}\n`);
    const fromFile = render(path, { verdictFile: join(dir, 'verdict.txt') }).svg;
    expect(byClass(fromFile, 'highlight').map((h) => h.attrs['data-highlight-step'])).toEqual([String(step)]);
    expect(byClass(render(path).svg, 'highlight')).toEqual([]);
  });

  it('a recording of the real ensemble (a directory of member-*.jsonl): judged, lanes per member, deliveries drawn', () => {
    const { timeline, svg } = render(repo('conformance/recordings/fixtures/leader-fsync-lag'));
    expect(timeline.source).toBe('recording');
    expect(timeline.highlight).toBeUndefined(); // merge.test.ts: this recording is accepted
    expect(Number(elements(svg).find((e) => e.tag === 'svg')!.attrs['data-lanes'])).toBe(3);
    // A recording names each delivery `Handler(sTo, sFrom) [TYPE]` (its nondetPicks are empty): one arrow each, between those lanes.
    const deliveries = timeline.steps.flatMap((s, k) => {
      const m = /^\w+\((s\d), (s\d)\) \[\w+\]$/.exec(s.action);
      return m === null ? [] : [`${m[2]} -> ${m[1]} at ${k + 1}`];
    });
    expect(deliveries.length).toBeGreaterThan(50);
    expect(byClass(svg, 'arrow').map((a) => `${a.attrs['data-from']} -> ${a.attrs['data-to']} at ${a.attrs['data-received']}`)).toEqual(deliveries);
  });

  it('the committed pictures of every hunted mutant are current: each SVG is its .itf.json redrawn (npm run pictures -- --render-only)', () => {
    for (const { spec, mutant } of PICTURED_MUTANTS) {
      const base = repo(`docs/pictures/${pictureName(spec, mutant)}`);
      const { timeline, svg } = render(`${base}.itf.json`);
      expect(timeline.title, base).toContain(mutant);
      expect(svg === readFileSync(`${base}.svg`, 'utf8'), `${base}.svg is stale: run npm run pictures -- --render-only`).toBe(true);
    }
  });

  it('partitions, disk syncs, commits, crashes and restarts on a walk through the real ZAB model', () => {
    const zab = specDefinition('zab')!;
    const model = zab.build({ ...Object.fromEntries(zab.bounds.map((b) => [b.name, b.default])), maxPartitions: 1, maxCrashes: 1, maxTransactions: 1 }, undefined);
    // Each step: the first enabled action whose printed name starts with the prefix.
    const script = ['ElectLeader(s0, {s0, s1})', 'LeaderProcessFOLLOWERINFO', 'FollowerProcessLEADERINFO', 'LeaderProcessACKEPOCH', 'FollowerProcessSyncMessage', 'FollowerProcessNEWLEADER', 'LeaderProcessACKLD', 'FollowerProcessUPTODATE', 'LeaderProcessRequest(s0)', 'DiskSync(s0)', 'FollowerProcessPROPOSAL', 'DiskSync(s1)', 'LeaderProcessACK', 'PartitionStart(s0, s2)', 'PartitionRecover(s0, s2)', 'NodeCrash(s1)', 'NodeStart(s1)'];
    let state = model.init()[0];
    const steps: { action: string; state: unknown }[] = [];
    for (const prefix of script) {
      const action = model.actions(state).find((a: unknown) => model.formatAction(a).startsWith(prefix));
      expect(action, `${prefix} enabled after ${steps.map((s) => s.action).join(', ')}`).toBeDefined();
      state = model.next(state, action);
      steps.push({ action: model.formatAction(action), state: model.view(state) });
    }
    const timeline: Timeline = { spec: 'zab', source: 'checker', kind: 'spec-state', title: 'a walk', initial: model.view(model.init()[0]), steps, hiddenFields: model.hiddenFields ?? [] };
    const rendered = diagramOf(timeline);
    if (!rendered.ok) throw new Error(rendered.error);
    const marks = byClass(rendered.svg, 'mark').map((m) => `${m.attrs['data-kind']} ${m.attrs['data-lane']} ${m.attrs['data-step']}`);
    const at = (prefix: string) => script.indexOf(prefix) + 1;
    expect(marks).toEqual(
      expect.arrayContaining([
        `disk-sync s0 ${at('DiskSync(s0)')}`,
        `disk-sync s1 ${at('DiskSync(s1)')}`,
        `commit s0 ${at('LeaderProcessACK')}`,
        `partition s0 ${at('PartitionStart(s0, s2)')}`,
        `heal s0 ${at('PartitionRecover(s0, s2)')}`,
        `crash s1 ${at('NodeCrash(s1)')}`,
        `restart s1 ${at('NodeStart(s1)')}`,
      ]),
    );
    // The crashed lane is drawn as down between the crash and the restart.
    expect(byClass(rendered.svg, 'lane-line').filter((l) => l.attrs['data-role'] === 'down')).toHaveLength(1);
  });

  it('the command: writes the HTML and SVG, and answers a file that is not a trace with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkspec-view-'));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    expect(await main([scenario('ZOOKEEPER-4646'), '--out', join(dir, 'p.html'), '--svg', join(dir, 'p.svg')], io)).toBe(0);
    const html = readFileSync(join(dir, 'p.html'), 'utf8');
    expect(html).toContain(readFileSync(join(dir, 'p.svg'), 'utf8').trim().split('\n')[0]);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    writeFileSync(join(dir, 'bad.json'), '{"states": 3}');
    expect(await main([join(dir, 'bad.json')], io)).toBe(2);
    expect(err.join('\n')).toContain('not a trace this project writes');
  });
});
