// The invariant catalogue (issue #16): every property of every registered
// spec, with the sentence of the paper or TLA+ spec it comes from
// (Property.paper), its kind, the line of spec/ that declares it, and the
// mutants whose declared hunt violates it, with the hunt's counterexample depth
// and the picture `npm run pictures` renders of it. `npm run catalogue`
// (catalogue.ts) writes it to docs/invariants.md; catalogue.test.ts fails when
// the committed file differs from what this module renders.
//
// Everything here is derived, none of it kept by hand, so that the page cannot
// drift from the specs: the properties come from building each spec's model
// (a new property, e.g. a liveness table another file adds, appears without
// an edit here), the line numbers from the spec's source text, the pictures
// from the files present. Only the depths cost a search (the hunts take
// minutes), and `npm run pictures` already runs every hunt and commits its
// counterexample (docs/pictures/<spec>-<mutant>.itf.json), so a depth is read
// from there: one runner of the hunts for the docs, not two. The hunt tests
// (mutant-hunt-suite.ts) check that each committed counterexample's depth is
// the one the hunt finds.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Bounds, MutantDefinition, PaperSentence, PropertyKind, SpecDefinition } from '../model-check/model.ts';
import { itfTraceFileSchema } from '../model-check/trace-file-schema.ts';

/** Where the catalogue lives, from the repository's root. */
export const CATALOGUE_PATH = 'docs/invariants.md';
/** `npm run pictures` writes a mutant's picture here (the convention shared with the view command)... */
export const picturePath = (spec: string, mutant: string): string => `docs/pictures/${spec}-${mutant}.svg`;
/** ...and the hunt's counterexample it draws, whose length is the hunt's depth. */
export const counterexamplePath = (spec: string, mutant: string): string => `docs/pictures/${spec}-${mutant}.itf.json`;

/** The command that rewrites the catalogue, as the stale test's message names it. */
export const REGENERATE = 'npm run catalogue';
/** The command that reruns one hunt and commits its counterexample (and so its depth). */
export const rehunt = (spec: string, mutant: string): string => `npm run pictures -- --only ${spec}-${mutant}`;

/** Each spec's hunt depths by mutant, from the committed counterexamples. */
export type RecordedDepths = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface SourceLine {
  /** From the repository's root. */
  readonly file: string;
  readonly line: number;
}

export interface CataloguedProperty {
  readonly name: string;
  readonly kind: PropertyKind;
  readonly description: string;
  readonly paper: readonly PaperSentence[];
  readonly defined: SourceLine | undefined;
  /** The presets whose model checks it (none: only the default bounds do). */
  readonly presets: readonly string[];
}

export interface CataloguedMutant {
  readonly mutant: MutantDefinition;
  readonly defined: SourceLine | undefined;
}

export interface CataloguedSpec {
  readonly spec: SpecDefinition;
  /** The spec's folder under spec/, from the repository's root. */
  readonly folder: string;
  readonly properties: readonly CataloguedProperty[];
  readonly mutants: readonly CataloguedMutant[];
}

// The order the catalogue lists kinds in: safety, then liveness, then the reachability checks.
const KIND_ORDER: readonly PropertyKind[] = ['always', 'eventually', 'leadsTo', 'sometimes'];

/**
 * Every property the spec's models check under its default bounds or any of
 * its presets, so that a property is listed as soon as some preset turns it
 * on (a liveness table checked only with a bound needs a preset, as Raft's
 * and Paxos's `liveness` presets are). Building a model is cheap (no search);
 * flipping bounds beyond the presets is not done, as a scripted start
 * (spec/raft/scenarios.ts) may search for its state under bounds it was not
 * written for.
 */
export function collectProperties(spec: SpecDefinition): Omit<CataloguedProperty, 'defined'>[] {
  const found = new Map<string, { name: string; kind: PropertyKind; description: string; paper: readonly PaperSentence[]; presets: string[] }>();
  const variants: { preset: string | undefined; bounds: Bounds }[] = [{ preset: undefined, bounds: {} }, ...spec.presets.map((p) => ({ preset: p.name, bounds: p.bounds }))];
  for (const variant of variants) {
    for (const p of spec.build(variant.bounds, undefined).properties) {
      const entry = found.get(p.name) ?? { name: p.name, kind: p.kind, description: p.description, paper: p.paper ?? [], presets: [] };
      found.set(p.name, entry);
      if (variant.preset !== undefined && !entry.presets.includes(variant.preset)) entry.presets.push(variant.preset);
    }
  }
  // Stable: within a kind, the order the checker reports them in.
  return [...found.values()].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
}

/**
 * The .ts files of `folder` (not tests), recursively; with `ownOnly`, not
 * those of a sub-folder that holds a spec of its own (spec/paxos/multi/ is
 * multi-paxos's, not paxos's).
 */
function sourceFiles(root: string, folder: string, ownOnly: boolean): string[] {
  return readdirSync(join(root, folder))
    .sort()
    .flatMap((name) => {
      const path = join(folder, name);
      if (!statSync(join(root, path)).isDirectory()) return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
      if (ownOnly && existsSync(join(root, path, 'spec.ts'))) return [];
      return sourceFiles(root, path, ownOnly);
    });
}

/** The folder of spec/ whose spec.ts declares the spec named `name`. */
export function specFolder(root: string, name: string): string {
  const declares = new RegExp(`^\\s*name: '${escapeRegExp(name)}',`, 'm');
  const candidates = sourceFiles(root, 'spec', false).filter((file) => file.endsWith('/spec.ts') && declares.test(readFileSync(join(root, file), 'utf8')));
  if (candidates.length !== 1) throw new Error(`spec ${name}: ${candidates.length} spec.ts files under spec/ declare it (${candidates.join(', ')}), expected one`);
  return dirname(candidates[0] as string);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every line of `files` that `matches` (given the file's lines and the line's index). */
function linesWhere(root: string, files: readonly string[], matches: (lines: readonly string[], index: number) => boolean): SourceLine[] {
  const hits: SourceLine[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((_, index) => {
      if (matches(lines, index)) hits.push({ file, line: index + 1 });
    });
  }
  return hits;
}

/** Whether a line among the next few of the object opened around `index` (before it closes) matches `key`. */
function objectHas(lines: readonly string[], index: number, key: RegExp): boolean {
  for (let i = index + 1; i < Math.min(lines.length, index + 10); i++) {
    const text = lines[i] as string;
    if (key.test(text)) return true;
    if (/^\s*\},?\s*$/.test(text)) return false;
  }
  return false;
}

/** What a declaration written as an object has beside its `name:`: a property its `kind:`, a mutant its `hunt:` (a preset, which may share a mutant's name, has neither). */
export const PROPERTY_KEY = /^\s*kind:/;
export const MUTANT_KEY = /^\s*hunt:/;

/**
 * The line that declares `name` in the spec's sources: `always('Name'`,
 * `sometimes('Name'` (or the name alone on the line after `always(`), or
 * `name: 'Name'` in an object that also has `key` (a declaration written
 * out, a mutant), or `name: NAME` there where `const NAME = 'Name'` (ZAB's
 * mutants, whose names the server's configuration shares). Undefined when no
 * line or more than one line does (the catalogue test fails on it).
 */
export function findDeclaration(root: string, files: readonly string[], name: string, key: RegExp): SourceLine | undefined {
  const quoted = `['"\`]${escapeRegExp(name)}['"\`]`;
  const call = new RegExp(`\\b(always|sometimes|eventually|leadsTo)\\(\\s*${quoted}`);
  const alone = new RegExp(`^\\s*${quoted},?\\s*$`);
  const opensCall = /\b(always|sometimes|eventually|leadsTo)\(\s*$/;
  const named = (value: string) => new RegExp(`\\bname:\\s*${value}`);
  const literal = named(quoted);
  const direct = linesWhere(
    root,
    files,
    (lines, i) =>
      call.test(lines[i] as string) ||
      (alone.test(lines[i] as string) && i > 0 && opensCall.test(lines[i - 1] as string)) ||
      (literal.test(lines[i] as string) && objectHas(lines, i, key)),
  );
  if (direct.length > 0) return direct.length === 1 ? direct[0] : undefined;
  const constant = new RegExp(`\\bconst\\s+(\\w+)\\s*=\\s*${quoted}`);
  const identifiers = linesWhere(root, files, (lines, i) => constant.test(lines[i] as string)).map((at) => constant.exec(lineText(root, at))?.[1] as string);
  if (identifiers.length !== 1) return undefined;
  const byConstant = named(`${identifiers[0]}\\b`);
  const viaConstant = linesWhere(root, files, (lines, i) => byConstant.test(lines[i] as string) && objectHas(lines, i, key));
  return viaConstant.length === 1 ? viaConstant[0] : undefined;
}

/** The text of one source line. */
export function lineText(root: string, at: SourceLine): string {
  return readFileSync(join(root, at.file), 'utf8').split('\n')[at.line - 1] ?? '';
}

/** The catalogue's data: every registered spec, its properties and mutants, each with the line declaring it. */
export function catalogue(root: string, registry: readonly SpecDefinition[]): CataloguedSpec[] {
  return registry.map((spec) => {
    const folder = specFolder(root, spec.name);
    const files = sourceFiles(root, folder, true);
    return {
      spec,
      folder,
      properties: collectProperties(spec).map((p) => ({ ...p, defined: findDeclaration(root, files, p.name, PROPERTY_KEY) })),
      mutants: spec.mutants.map((mutant) => ({ mutant, defined: findDeclaration(root, files, mutant.name, MUTANT_KEY) })),
    };
  });
}

/**
 * The depth of each declared hunt's committed counterexample: the steps from
 * the initial state (its ITF states less one). A hunt with no counterexample
 * file has no depth (missingDepths names it).
 */
export function readDepths(root: string, registry: readonly SpecDefinition[]): RecordedDepths {
  const depths: Record<string, Record<string, number>> = {};
  for (const spec of registry) {
    const own: Record<string, number> = {};
    for (const mutant of spec.mutants.filter((m) => m.hunt !== undefined)) {
      const path = join(root, counterexamplePath(spec.name, mutant.name));
      if (!existsSync(path)) continue;
      const parsed = itfTraceFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (!parsed.success) throw new Error(`${counterexamplePath(spec.name, mutant.name)} is not a counterexample of the checker's: ${parsed.error.message}`);
      own[mutant.name] = parsed.data.states.length - 1;
    }
    depths[spec.name] = own;
  }
  return depths;
}

/** The hunts with no committed counterexample (each needs its `rehunt`). */
export function missingDepths(registry: readonly SpecDefinition[], depths: RecordedDepths): string[] {
  return registry.flatMap((spec) => spec.mutants.filter((m) => m.hunt !== undefined && depths[spec.name]?.[m.name] === undefined).map((m) => `${spec.name} ${m.name}`));
}
