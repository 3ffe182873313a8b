// `npm run pictures [-- --render-only] [--only SPEC-MUTANT ...]`: the pictures
// of every mutant hunt's counterexample; docs/zab.md and docs/raft.md embed the
// known bugs', docs/invariants.md links them all.
// For each bug it runs the checker's declared hunt from the real initial state
// (`npm run check -- <spec> --mutant <M>`: the mutant's preset and strategy,
// model-check/mutant-hunt.ts), keeps the counterexample of the hunt's mission
// property as docs/pictures/<spec>-<mutant>.itf.json, and renders it from that
// file to .svg, .html and, where Chromium is installed, .png. ZOOKEEPER-4643's
// hunt is about a minute of CPU; --render-only redraws from the committed
// .itf.json files without hunting (for a change to the drawing).
//
// The names docs/pictures/<spec>-<mutant>.svg are a contract: the invariant
// catalogue (docs/invariants.md) links to them.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromiumPath, chromiumPresent } from '../lib/chromium.ts';
import { processIo, type Io } from './cli.ts';
import { readTimeline } from './read-trace.ts';
import { diagramOf, writeOutputs } from './render.ts';
import { PICTURED_SPECS, specDefinition } from './spec-pictures.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const PICTURES_DIR = join(repoRoot, 'docs', 'pictures');

/** The known bugs pictured, in the order the docs show them. */
export const KNOWN_BUGS: readonly { readonly spec: string; readonly mutant: string }[] = [
  { spec: 'zab', mutant: 'ZOOKEEPER-3911' },
  { spec: 'zab', mutant: 'ZOOKEEPER-4643' },
  { spec: 'zab', mutant: 'ZOOKEEPER-4646' },
  { spec: 'zab', mutant: 'ZOOKEEPER-2845' },
  { spec: 'raft', mutant: 'figure8-commit' },
];

/**
 * Every mutant with a declared hunt, the known bugs first: the invariant catalogue (docs/invariants.md)
 * links each mutant to its picture, so every hunt's counterexample is drawn, not only the docs' five.
 */
export const PICTURED_MUTANTS: readonly { readonly spec: string; readonly mutant: string }[] = [
  ...KNOWN_BUGS,
  ...PICTURED_SPECS.flatMap((spec) =>
    (specDefinition(spec)?.mutants ?? [])
      .filter((m) => m.hunt !== undefined && !KNOWN_BUGS.some((b) => b.spec === spec && b.mutant === m.name))
      .map((m) => ({ spec, mutant: m.name })),
  ),
];

export const pictureName = (spec: string, mutant: string) => `${spec}-${mutant}`;

export const PICTURES_USAGE = 'usage: npm run pictures [-- --render-only] [--only SPEC-MUTANT ...] [--out DIR]   (e.g. --only zab-ZOOKEEPER-3911)';

/** Runs the mutant's declared hunt with the built checker; the path of the mission property's ITF counterexample. */
function hunt(spec: string, mutant: string, io: Io): { ok: true; itf: string } | { ok: false; error: string } {
  const definition = specDefinition(spec)?.mutants.find((m) => m.name === mutant);
  const mission = definition?.hunt?.violates;
  if (mission === undefined) return { ok: false, error: `${spec} has no mutant ${mutant} with a declared hunt` };
  const dir = mkdtempSync(join(tmpdir(), 'zkspec-pictures-'));
  const args = [join(repoRoot, 'dist', 'check.js'), spec, '--mutant', mutant, '--trace-out', join(dir, `${pictureName(spec, mutant)}.json`)];
  io.out(`hunting: npm run check -- ${spec} --mutant ${mutant}`);
  const started = performance.now();
  // The hunt is the checker's own command, bounded at 20 minutes (4643's takes about one).
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 1_200_000, maxBuffer: 256 * 1024 * 1024 });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (run.status !== 1) return { ok: false, error: `the hunt of ${mutant} exited ${run.status}${run.signal ? ` (${run.signal})` : ''} after ${seconds} s, not 1 (a violation): ${(run.stderr || run.stdout).trim().split('\n').slice(-5).join(' | ')}` };
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json') && !n.endsWith('.itf.json'))) {
    const file = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { property?: string };
    if (file.property === mission) {
      io.out(`  ${mission} violated, found in ${seconds} s`);
      return { ok: true, itf: join(dir, name.replace(/\.json$/, '.itf.json')) };
    }
  }
  return { ok: false, error: `the hunt of ${mutant} wrote no counterexample of its mission property ${mission} (${dir})` };
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const renderOnly = argv.includes('--render-only');
  const only: string[] = [];
  let out = PICTURES_DIR;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (arg === '--render-only') continue;
    if ((arg === '--only' || arg === '--out') && argv[k + 1] !== undefined) {
      if (arg === '--only') only.push(argv[++k]!);
      else out = argv[++k]!;
      continue;
    }
    if (arg === '--help') {
      io.out(PICTURES_USAGE);
      return 0;
    }
    io.err(`unknown argument ${arg}\n${PICTURES_USAGE}`);
    return 2;
  }
  const chosen = PICTURED_MUTANTS.filter((b) => only.length === 0 || only.includes(pictureName(b.spec, b.mutant)));
  if (chosen.length === 0) {
    io.err(`--only names none of ${PICTURED_MUTANTS.map((b) => pictureName(b.spec, b.mutant)).join(', ')}`);
    return 2;
  }
  if (!chromiumPresent()) io.err(`no PNGs: ${chromiumPath()} is not installed (Debian's chromium; ZKSPEC_CHROMIUM names another path)`);
  mkdirSync(out, { recursive: true });
  let failures = 0;
  for (const { spec, mutant } of chosen) {
    const base = join(out, pictureName(spec, mutant));
    if (!renderOnly) {
      const found = hunt(spec, mutant, io);
      if (!found.ok) {
        io.err(found.error);
        failures++;
        continue;
      }
      copyFileSync(found.itf, `${base}.itf.json`);
      rmSync(join(found.itf, '..'), { recursive: true, force: true });
    } else if (!existsSync(`${base}.itf.json`)) {
      io.err(`${base}.itf.json is missing: run npm run pictures without --render-only`);
      failures++;
      continue;
    }
    failures += await render(base, io);
  }
  return failures === 0 ? 0 : 1;
}

async function render(base: string, io: Io): Promise<number> {
  const read = readTimeline(`${base}.itf.json`);
  const rendered = read.ok ? diagramOf(read.timeline) : read;
  if (!rendered.ok) {
    io.err(rendered.error);
    return 1;
  }
  const result = await writeOutputs(rendered, { svg: `${base}.svg`, html: `${base}.html`, ...(chromiumPresent() ? { png: `${base}.png` } : {}), regenerate: 'npm run pictures' });
  for (const path of result.written) io.out(`  wrote ${path}`);
  if (result.error !== undefined) io.err(result.error);
  return result.error === undefined ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main(process.argv.slice(2));
