// The layers of the house (docs/architecture.md) and the two rules that keep
// them a map of the architecture:
// - an import goes down a layer or stays in its own folder, never sideways or up
//   (`allowed` below: spec/ builds models for the checker through
//   model-check/model.ts and nothing else of it; impl/ is held to spec/ by
//   conformance, not by importing it);
// - no import cycle, neither between files nor between the folders of one
//   layer (impl/'s parts).
// Type-only imports count: a cycle of types is still two concepts that cannot
// be read apart. The imports are read from the source text (every `from '…'`,
// `import '…'` and `import('…')` with a relative specifier), which is all this
// project uses.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const topFolders = ['lib', 'cli', 'spec', 'model-check', 'conformance', 'impl', 'view', '.ci'] as const;
type Layer = (typeof topFolders)[number];

/** What each layer's source files may import besides their own folder. Tests may also import what `allowedInTests` adds. */
const allowed: Readonly<Record<Layer, readonly string[]>> = {
  lib: [],
  spec: ['lib/', 'model-check/model.ts'],
  'model-check': ['lib/'],
  conformance: ['lib/', 'spec/', 'model-check/', 'impl/'],
  // package.json: the server's --version prints the package's version (impl/process/command-line.ts).
  impl: ['lib/', 'package.json'],
  cli: ['lib/', 'spec/', 'model-check/'],
  // The diagrams read every kind of trace file: the checker's, conformance's traces, recordings and verdicts.
  view: ['lib/', 'spec/', 'model-check/', 'conformance/'],
  '.ci': ['lib/', 'spec/', 'model-check/', 'conformance/', 'impl/', 'cli/', 'view/', 'deploy/'],
};
/** A spec's tests run the checker on it. */
const allowedInTests: Readonly<Partial<Record<Layer, readonly string[]>>> = {
  spec: ['model-check/'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    if (name === 'node_modules' || name === 'testdata') continue;
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    out.push(normalize(join(dirname(file), match[1]!)));
  }
  return out;
}

const layerOf = (file: string): Layer | undefined => topFolders.find((top) => file.startsWith(`${top}/`));
/** The unit whose folder-level cycles count: impl's parts (impl/server, impl/tree, ...), else the top folder. */
const partOf = (file: string): string => {
  const parts = file.split('/');
  return parts[0] === 'impl' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
};

const files = topFolders.flatMap((top) => {
  try {
    return sourceFiles(top);
  } catch {
    return []; // a layer that does not exist yet
  }
});
// Every relative import names its .ts file (tsconfig's allowImportingTsExtensions); one that does not is listed as
// it is, so that the layer rules see it instead of it slipping past them.
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Strongly connected components with more than one member (Tarjan), each sorted. */
function cycles(nodes: readonly string[], edges: (node: string) => readonly string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges(node)) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return out;
}

const sortedCycles = (list: readonly (readonly string[])[]): string[] => list.map((cycle) => [...cycle].sort().join(' ')).sort();

function layerViolations(imports: ReadonlyMap<string, readonly string[]>): string[] {
  const violations: string[] = [];
  for (const [file, targets] of imports) {
    const layer = layerOf(file);
    if (layer === undefined) continue;
    const ok = [`${layer}/`, ...allowed[layer], ...(file.endsWith('.test.ts') ? (allowedInTests[layer] ?? []) : [])];
    for (const target of targets) {
      if (!ok.some((prefix) => (prefix.endsWith('/') ? target.startsWith(prefix) : target === prefix))) {
        violations.push(`${file} -> ${target}`);
      }
    }
  }
  return violations;
}

/** Folders .gitignore leaves out (node_modules, coverage, scratch output such as traces/): not part of the layout. */
const ignoredFolders = readFileSync(join(root, '.gitignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim().replace(/^\//, '').replace(/\/$/, ''))
  .filter((line) => line !== '' && !line.startsWith('#'));

/** A top folder git would hold: not ignored, not .git, not empty. */
function inLayout(folder: string): boolean {
  return folder !== '.git' && !ignoredFolders.includes(folder) && readdirSync(join(root, folder)).length > 0;
}

/** The folders in the first column of the Markdown table headed `| folder |` (`lib/` or [`lib/`](...)), sorted. */
function tableFolders(markdown: string): string[] {
  const lines = markdown.split('\n');
  const out: string[] = [];
  for (let k = lines.findIndex((line) => line.startsWith('| folder |')) + 2; k > 1 && lines[k]?.startsWith('|'); k++) {
    const folder = /^\| \[?`(\.?[a-z-]+\/)`/.exec(lines[k]!)?.[1];
    if (folder !== undefined) out.push(folder);
  }
  return out.sort();
}

/** Cycles between impl's parts (and between the top folders), from the file graph. */
function partCycles(fileGraph: ReadonlyMap<string, readonly string[]>): string[] {
  const partEdges = new Map<string, Set<string>>();
  for (const [file, targets] of fileGraph) {
    const from = partOf(file);
    for (const target of targets) {
      const to = partOf(target);
      if (to === from) continue;
      if (!partEdges.has(from)) partEdges.set(from, new Set());
      partEdges.get(from)!.add(to);
    }
  }
  const parts = [...new Set([...fileGraph.keys()].map(partOf))];
  return sortedCycles(cycles(parts, (part) => [...(partEdges.get(part) ?? [])]));
}

describe('the layers', () => {
  it('reads the whole tree', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(files).toContain('.ci/layers.test.ts');
    // The import reader works: a known edge is there, and the tree has as many edges as a tree of this size does
    // (every check below would pass on a graph without edges).
    expect(graph.get('cli/check.ts')).toEqual(['model-check/cli.ts', 'cli/specs.ts']);
    expect([...graph.values()].reduce((sum, targets) => sum + targets.length, 0)).toBeGreaterThan(files.length);
  });

  it('every import goes down a layer or stays in its folder', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('no import cycle between files', () => {
    expect(sortedCycles(cycles([...graph.keys()], (file) => graph.get(file) ?? []))).toEqual([]);
  });

  it("no import cycle between impl's parts or between the top folders", () => {
    expect(partCycles(graph)).toEqual([]);
  });

  it('the sans-IO cores import only lib/ and their own folder (impl/raft: no server, storage or network in the core)', () => {
    const cores = ['impl/raft/'];
    const outside = [...graph].flatMap(([file, targets]) =>
      cores.some((core) => file.startsWith(core)) ? targets.filter((t) => !t.startsWith('lib/') && !cores.some((core) => t.startsWith(core))).map((t) => `${file} -> ${t}`) : [],
    );
    expect([...graph.keys()].filter((f) => f.startsWith('impl/raft/')).length).toBeGreaterThan(5);
    expect(outside).toEqual([]);
  });

  it("the README's table and docs/architecture.md's name exactly the top folders", () => {
    // A newcomer reads the layout from these two tables; a folder added or gone must show in both.
    const folders = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && inLayout(entry.name))
      .map((entry) => `${entry.name}/`)
      .sort();
    // docs/ and deploy/ (the build script, the container image, the service unit) hold no layer's TypeScript.
    expect(folders).toEqual([...topFolders.map((folder) => `${folder}/`), 'docs/', 'deploy/'].sort());
    expect(tableFolders(readFileSync(join(root, 'README.md'), 'utf8'))).toEqual(folders);
    expect(tableFolders(readFileSync(join(root, 'docs/architecture.md'), 'utf8'))).toEqual(folders);
  });

  it('finds a cycle and a sideways import when there is one', () => {
    // The checks above pass vacuously if the reading is wrong: plant both.
    const planted = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles([...planted.keys()], (n) => planted.get(n) ?? [])).toEqual([['a', 'b', 'c']]);
    // Two impl parts that import each other through different files: no file cycle, a part cycle.
    const parts = new Map([
      ['impl/a/x.ts', ['impl/b/y.ts']],
      ['impl/b/y.ts', ['impl/a/z.ts']],
      ['impl/a/z.ts', []],
    ]);
    expect(cycles([...parts.keys()], (n) => parts.get(n) ?? [])).toEqual([]);
    expect(partCycles(parts)).toEqual(['impl/a impl/b']);
    const sideways = new Map([
      ['impl/x.ts', ['impl/y.ts', 'lib/assert.ts', 'spec/zab/types.ts']],
      ['spec/a.ts', ['model-check/model.ts', 'model-check/check.ts']],
      ['spec/a.test.ts', ['model-check/check.ts']],
      ['model-check/b.ts', ['lib/assert.ts', 'conformance/trace.ts']],
    ]);
    expect(layerViolations(sideways)).toEqual([
      'impl/x.ts -> spec/zab/types.ts',
      'spec/a.ts -> model-check/check.ts',
      'model-check/b.ts -> conformance/trace.ts',
    ]);
    expect(graph.get('.ci/layers.test.ts')).toEqual([]);
  });
});
