// The invariant catalogue (invariant-catalogue.ts, catalogue-markdown.ts):
// docs/invariants.md must be what the specs give today (rendered again here,
// with the committed counterexamples' depths, in about a second), every
// property and mutant must be found at its declaring line, and the renderer
// must say what it promises (a paraphrase marked as one, a missing picture as
// not rendered). That each committed counterexample's depth is the one its
// hunt finds is checked where the hunts run (mutant-hunt-suite.ts).

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderCatalogue } from './catalogue-markdown.ts';
import {
  CATALOGUE_PATH,
  catalogue,
  findDeclaration,
  lineText,
  MUTANT_KEY,
  PROPERTY_KEY,
  missingDepths,
  picturePath,
  REGENERATE,
  readDepths,
  rehunt,
} from './invariant-catalogue.ts';
import { specs } from './specs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = catalogue(root, specs);
const depths = readDepths(root, specs);

describe('docs/invariants.md', () => {
  it('has a committed counterexample, so a depth, for every declared hunt', () => {
    const missing = missingDepths(specs, depths);
    expect(missing, `hunts with no counterexample: run ${missing.map((m) => rehunt(...(m.split(' ') as [string, string]))).join('; ')}`).toEqual([]);
  });

  it('is what the specs give today', () => {
    const rendered = renderCatalogue(entries, { depths, pictureExists: (path) => existsSync(join(root, path)) });
    const committed = existsSync(join(root, CATALOGUE_PATH)) ? readFileSync(join(root, CATALOGUE_PATH), 'utf8') : '';
    expect(committed, `${CATALOGUE_PATH} is stale: run ${REGENERATE} and commit it`).toBe(rendered);
  });
});

describe('the catalogue', () => {
  it('finds every property and mutant at a line of its spec that names it', () => {
    for (const entry of entries) {
      for (const { name, defined } of [...entry.properties, ...entry.mutants.map((m) => ({ name: m.mutant.name, defined: m.defined }))]) {
        expect(defined, `${entry.spec.name} ${name}: no single declaring line under ${entry.folder}/`).toBeDefined();
        const line = lineText(root, defined!);
        // The name itself, or the constant holding it (`name: ZOOKEEPER_3911` with `const ZOOKEEPER_3911 = 'ZOOKEEPER-3911'`).
        const constant = /\bname:\s*([A-Z_0-9]+)\b/.exec(line)?.[1];
        const names = line.includes(name) || (constant !== undefined && readFileSync(join(root, defined!.file), 'utf8').includes(`const ${constant} = '${name}'`));
        expect(names, `${entry.spec.name} ${name} at ${defined!.file}:${defined!.line}: ${line}`).toBe(true);
        expect(defined!.file.startsWith(`${entry.folder}/`)).toBe(true);
      }
    }
  });

  it("lists every hunt's mission property, and every property of each preset's model", () => {
    for (const entry of entries) {
      const names = entry.properties.map((p) => p.name);
      for (const m of entry.spec.mutants) if (m.hunt !== undefined) expect(names).toContain(m.hunt.violates);
      for (const preset of entry.spec.presets) {
        for (const p of entry.spec.build(preset.bounds, undefined).properties) expect(names, `${entry.spec.name} ${preset.name}`).toContain(p.name);
      }
    }
  });

  it('keeps multi-paxos apart from paxos, although its folder is inside paxos/', () => {
    const paxos = entries.find((e) => e.spec.name === 'paxos');
    const multi = entries.find((e) => e.spec.name === 'multi-paxos');
    expect(paxos?.folder).toBe('spec/paxos');
    expect(multi?.folder).toBe('spec/paxos/multi');
    expect(paxos?.properties.every((p) => !p.defined?.file.startsWith('spec/paxos/multi/'))).toBe(true);
  });

  it('quotes what is quoted, marks a paraphrase, and links only pictures that exist', () => {
    const raft = entries.filter((e) => e.spec.name === 'raft');
    const withPicture = picturePath('raft', 'double-vote');
    const page = renderCatalogue(raft, { depths: { raft: { 'double-vote': 7 } }, pictureExists: (path) => path === withPicture });
    expect(page).toContain('> "at most one leader can be elected in a given term." (Raft, extended version (Ongaro and Ousterhout), Figure 3, Election Safety (§5.2))');
    expect(page).toMatch(/> Paraphrase, not a quotation: .* \(Raft, extended version, §5\.3 and §5\.4\.3\)/);
    expect(page).toContain('[picture](pictures/raft-double-vote.svg)');
    expect(page).toContain('not rendered (`docs/pictures/raft-figure8-commit.svg`)');
    expect(page).toMatch(/\| \[`double-vote`\]\(\.\.\/spec\/raft\/mutants\.ts#L\d+\) \| .* \| 7 \|/);
    expect(page).toContain(`not hunted yet (\`${rehunt('raft', 'figure8-commit')}\`)`);
  });
});

describe('findDeclaration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zkspec-catalogue-'));
  writeFileSync(join(dir, 'a.ts'), "  always('Once', 'x', f),\n  always(\n    'Split',\n    'y',\n  ),\n  {\n    name: 'Written',\n    kind: 'eventually',\n  },\n  cite('Once'),\n  { name: 'Written', bounds: {} },\n");
  writeFileSync(join(dir, 'b.ts'), "  sometimes('Twice', 'z', g),\n");
  writeFileSync(join(dir, 'c.ts'), "  sometimes('Twice', 'z', g),\n");
  writeFileSync(join(dir, 'd.ts'), "export const BUG_1 = 'BUG-1';\nconst all = [\n  {\n    name: BUG_1,\n    hunt: H,\n  },\n];\n");
  // A preset that shares a mutant's name (zab's zab-paper-newleader-gap) is not the mutant's declaration.
  writeFileSync(join(dir, 'e.ts'), "  {\n    name: 'gap',\n    bounds: {},\n  },\n  {\n    name: 'gap',\n    description: 'x',\n    hunt: H,\n  },\n");

  it('finds a call, a call split over lines, a written-out declaration and one named by a constant, and ignores other mentions and presets', () => {
    expect(findDeclaration(dir, ['a.ts'], 'Once', PROPERTY_KEY)).toEqual({ file: 'a.ts', line: 1 });
    expect(findDeclaration(dir, ['a.ts'], 'Split', PROPERTY_KEY)).toEqual({ file: 'a.ts', line: 3 });
    expect(findDeclaration(dir, ['a.ts'], 'Written', PROPERTY_KEY)).toEqual({ file: 'a.ts', line: 7 });
    expect(findDeclaration(dir, ['d.ts'], 'BUG-1', MUTANT_KEY)).toEqual({ file: 'd.ts', line: 4 });
    expect(findDeclaration(dir, ['e.ts'], 'gap', MUTANT_KEY)).toEqual({ file: 'e.ts', line: 6 });
  });

  it('gives no line for a name declared twice or not at all', () => {
    expect(findDeclaration(dir, ['b.ts', 'c.ts'], 'Twice', PROPERTY_KEY)).toBeUndefined();
    expect(findDeclaration(dir, ['a.ts'], 'Absent', PROPERTY_KEY)).toBeUndefined();
  });
});
