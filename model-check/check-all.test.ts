// check:all passes only when every spec's ci preset has no violation and
// reaches every `sometimes`.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAll } from './check-all.ts';
import type { CliIo } from './cli.ts';
import type { SpecDefinition } from './model.ts';
import { clockModel, toyClockSpec, toyCrewSpec } from './toys.ts';

function run(registry: readonly SpecDefinition[]): { code: number; out: string[] } {
  const out: string[] = [];
  const io: CliIo = { out: (text) => out.push(...text.split('\n')), err: (text) => out.push(...text.split('\n')), progress: false };
  return { code: checkAll(registry, io, mkdtempSync(join(tmpdir(), 'check-all-'))), out };
}

const overflowing: SpecDefinition = { ...toyClockSpec, name: 'toy-overflow', build: (bounds) => toyClockSpec.build(bounds, 'overflow') };
const idle: SpecDefinition = {
  ...toyClockSpec,
  name: 'toy-idle',
  build: () =>
    clockModel({ n: 2, properties: [{ name: 'PassesTwo', kind: 'sometimes', description: 'hand a passes 2', holds: (s) => s.a > 2 }] }),
};

describe('npm run check:all', () => {
  it('exits 0 when every spec passes at its ci preset', () => {
    const r = run([toyClockSpec]);
    expect(r.code).toBe(0);
    expect(r.out.some((line) => /^ {2}ok {3}toy-clock\s+16 states/.test(line))).toBe(true);
  });

  it('exits 1 on a violation, naming the spec and property', () => {
    const r = run([toyClockSpec, overflowing]);
    expect(r.code).toBe(1);
    expect(r.out.some((line) => line.includes('FAIL toy-overflow') && line.includes('violates HandsInRange at depth 4'))).toBe(true);
  });

  it('reports a spec whose model throws as failed, and still checks the others', () => {
    const crashing: SpecDefinition = { ...toyCrewSpec, name: 'toy-crash', build: (bounds) => toyCrewSpec.build(bounds, 'throws') };
    const r = run([crashing, toyClockSpec]);
    expect(r.code).toBe(1);
    expect(r.out.some((line) => line.includes('FAIL toy-crash') && line.includes('while trying Elect(s2): Error: Elect(s2) is broken'))).toBe(true);
    expect(r.out.some((line) => /^ {2}ok {3}toy-clock/.test(line))).toBe(true);
  });

  it('exits 1 when a sometimes is never reached', () => {
    const r = run([idle]);
    expect(r.code).toBe(1);
    expect(r.out.some((line) => line.includes('FAIL toy-idle') && line.includes('never reaches PassesTwo'))).toBe(true);
  });

  it('runs every ci-* preset after ci, and fails on the one that breaks', () => {
    // ci-wide: n = 4 (25 states, passes); ci-silent: the sometimes needs a = 9, which n = 2 never reaches.
    const layered: SpecDefinition = {
      ...toyClockSpec,
      name: 'toy-layered',
      presets: [
        { name: 'ci-wide', description: 'n = 4', bounds: { n: 4 } },
        { name: 'big', description: 'n = 30 (not a ci preset)', bounds: { n: 30 } },
        { name: 'ci', description: 'n = 3', bounds: {} },
        { name: 'ci-silent', description: 'n = 2', bounds: { n: 2 } },
      ],
      build: (bounds, mutant) =>
        bounds['n'] === 2
          ? clockModel({ n: 2, properties: [{ name: 'ReachesNine', kind: 'sometimes', description: 'hand a reaches 9', holds: (s) => s.a === 9 }] })
          : toyClockSpec.build(bounds, mutant),
    };
    const r = run([layered]);
    expect(r.code).toBe(1);
    const summary = r.out.slice(r.out.indexOf('check:all summary') + 1);
    expect(summary.map((line) => line.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'ok toy-layered 16',
      'ok toy-layered/ci-wide 25',
      'FAIL toy-layered/ci-silent 9',
    ]);
  });
});
