// The folder's rule (README.md): model-check/ imports only its own files, the
// leaf library lib/ and packages, never a spec, conformance or the server, so
// the checker stays generic over its Model interface; and its files import
// each other without a cycle (type imports included), so each can be read
// from the leaves (model.ts, report-types.ts) up to check.ts.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const folder = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(folder).filter((name) => name.endsWith('.ts'));
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(`${folder}/${file}`, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => match[1] ?? match[2]!);
}

describe('model-check/ layering', () => {
  it('imports nothing outside model-check/ but lib/ and packages', () => {
    const outside = files.flatMap((file) => importsOf(file).filter((path) => path.startsWith('../') && !path.startsWith('../lib/')).map((path) => `${file} -> ${path}`));
    expect(outside).toEqual([]);
  });

  it('has no import cycle between its files', () => {
    const edges = new Map(files.map((file) => [file, importsOf(file).filter((path) => path.startsWith('./')).map((path) => path.slice(2))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
