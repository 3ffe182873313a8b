// `npm run build`: one JavaScript bundle per command under dist/, with esbuild.
//
// The list of commands is `commands` below, and only here: add a line to build
// another one (package.json's `bin` must name the same files, which
// .ci/build.test.ts checks). Each bundle is one ES module holding our code and
// the dependencies that can be bundled, so that a command starts by reading one
// file instead of tsx compiling some hundred modules on every start (measured
// in docs/operations.md, "Starting and stopping").
//
// Plain JavaScript on purpose: it is what turns the TypeScript into something
// node runs, so it runs on node alone (`node deploy/build.mjs`: half a second
// on a quiet machine, docs/operations.md), and the test runner imports it
// (.ci/build-once.ts) to build once per run.
//
// - `import.meta.url` in a bundled module is rewritten to that module's source
//   URL, relative to the bundle (`new URL('../cli/specs.ts', import.meta.url)`),
//   so that what a module finds beside itself (conformance's scenarios, the
//   checker's worker module, impl/testing's repository root) is found from the
//   bundle too, as long as dist/ sits in the repository it was built from. The
//   server's bundle uses none of it: it runs from dist/ alone (the container
//   image, deploy/Dockerfile).
// - A module that runs its main function only when it is the program
//   (`import.meta.url === argv[1]`, conformance/cli.ts) names that function in
//   `main`: the bundle's entry then calls it, since the rewrite above makes that
//   test false inside a bundle.
// - Each output is written to a temporary file and renamed over the old one, so
//   that a test spawning dist/server.js while another build runs (an `npm start`
//   in a test) never reads half a file.

import { chmodSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const distDir = join(repoRoot, 'dist');

/**
 * @typedef {object} Command
 * @property {string} name   the bundle, dist/<name>.js
 * @property {string} source its entry module, from the repository's root
 * @property {string} [bin]  the name package.json's `bin` gives it (none for a harness run through npm)
 * @property {string} [main] an exported `main(argv)` the bundle calls (for a module that checks whether it is the program)
 */

/** @type {readonly Command[]} */
export const commands = [
  { name: 'server', source: 'impl/main.ts', bin: 'zkspec-server' },
  { name: 'check', source: 'cli/check.ts', bin: 'zkspec-check' },
  { name: 'check-all', source: 'cli/check-all.ts', bin: 'zkspec-check-all' },
  // The explorer's server (cli/explorer/): a spec stepped by hand on a local page.
  { name: 'explore', source: 'cli/explore.ts', bin: 'zkspec-explore', main: 'exploreMain' },
  { name: 'conformance', source: 'conformance/cli.ts', bin: 'zkspec-conformance', main: 'main' },
  { name: 'ensemble', source: 'impl/ensemble/local.ts' },
  // `npm run catalogue`: docs/invariants.md from the specs (cli/catalogue.ts).
  { name: 'catalogue', source: 'cli/catalogue.ts' },
  // The offline tools for our data files (TxnLogToolkit, SnapshotFormatter): an operator runs them where the server runs.
  { name: 'txnlog', source: 'impl/tools/txn-log-tool.ts', bin: 'zkspec-txnlog', main: 'txnLogTool' },
  { name: 'snapshot', source: 'impl/tools/snapshot-tool.ts', bin: 'zkspec-snapshot', main: 'snapshotTool' },
  // Space-time diagrams of trace files, and the known bugs' pictures in docs/pictures/ (view/).
  { name: 'view', source: 'view/cli.ts', main: 'main' },
  { name: 'pictures', source: 'view/pictures.ts', main: 'main' },
  // The linearizability checker of recorded client histories (impl/linearizability/), run offline.
  { name: 'lincheck', source: 'impl/linearizability/lincheck.ts', main: 'lincheck' },
];

/**
 * Bundles that are not commands: modules a command loads by URL at run time.
 * The checker's worker threads start from a module file (lib/bundle.ts says
 * why), and rebuild the model from the spec registry, which they import by
 * its URL (model-check/parallel-protocol.ts findSpecIn).
 * @type {readonly Command[]}
 */
export const modules = [
  { name: 'check-worker', source: 'model-check/parallel-worker.ts' },
  { name: 'specs', source: 'cli/specs.ts' },
];

/**
 * Left to node_modules at run time: pino starts its transports (pino-roll) in a
 * worker thread from files it finds by path, which a bundle does not have.
 */
export const external = ['pino', 'pino-roll', 'thread-stream'];

// A bundled CommonJS dependency still calls require(); an ES module has none.
const banner = "#!/usr/bin/env node\nimport { createRequire as __zkspecCreateRequire } from 'node:module'; const require = __zkspecCreateRequire(import.meta.url);";

/**
 * Rewrites `import.meta.url` in our modules to the module's own source URL,
 * relative to the bundle in `outDir`. The rewrite is textual: a module must not
 * hold the words in a string (controlled-ensemble.ts once did, in a banner of
 * its own bundle, and esbuild rejected the result).
 */
const sourceUrls = (outDir) => ({
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
      const fromBundle = relative(outDir, args.path).split('\\').join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: 'ts' };
    });
  },
});

/** The entry module of a command whose source runs `main` only as the program. */
const mainCalls = {
  name: 'main-call',
  setup(build) {
    build.onResolve({ filter: /^zkspec-main:/ }, (args) => ({ path: args.path.slice('zkspec-main:'.length), namespace: 'zkspec-main' }));
    build.onLoad({ filter: /.*/, namespace: 'zkspec-main' }, (args) => {
      const command = commands.find((c) => c.name === args.path);
      const source = pathToFileURL(resolve(repoRoot, command.source)).pathname;
      return {
        contents: `import { ${command.main} as main } from ${JSON.stringify(source)};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
        loader: 'js',
        resolveDir: repoRoot,
      };
    });
  },
};

/** What a bundle is made of: every module of the source folders, the package files, this script. */
const inputFolders = ['lib', 'spec', 'model-check', 'cli', 'conformance', 'impl', 'view'];
const inputFiles = ['package.json', 'package-lock.json', 'deploy/build.mjs'];

function newestModification(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.ts') || inputFiles.some((f) => path.endsWith(f)) ? stat.mtimeMs : 0;
  let newest = 0;
  for (const name of readdirSync(path)) if (name !== 'node_modules' && name !== 'testdata') newest = Math.max(newest, newestModification(join(path, name)));
  return newest;
}

/**
 * Whether every bundle is newer than every file it is built from (about 600
 * files, a few milliseconds): `npm start` and the other scripts build first
 * with --if-changed, so that starting an unchanged tree does not wait for
 * esbuild. Modification times only move forward on edit and checkout, so a
 * stale bundle is never taken for a fresh one.
 */
export function upToDate(outDir = distDir) {
  let oldestOutput = Infinity;
  for (const command of [...commands, ...modules]) {
    try {
      oldestOutput = Math.min(oldestOutput, statSync(join(outDir, `${command.name}.js`)).mtimeMs);
    } catch {
      return false;
    }
  }
  const newestInput = Math.max(...inputFolders.map((f) => newestModification(join(repoRoot, f))), ...inputFiles.map((f) => newestModification(join(repoRoot, f))));
  return newestInput < oldestOutput;
}

/** Builds every command into dist/ (or `outDir`); resolves with the files written and the time it took. */
export async function build({ outDir = distDir, quiet = false } = {}) {
  const esbuild = await import('esbuild');
  const started = performance.now();
  const result = await esbuild.build({
    entryPoints: [...commands, ...modules].map((c) => ({ in: c.main === undefined ? join(repoRoot, c.source) : `zkspec-main:${c.name}`, out: c.name })),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    // lib/bundle.ts: the code can tell it runs from a bundle.
    define: { __ZKSPEC_BUNDLE__: 'true' },
    banner: { js: banner },
    plugins: [mainCalls, sourceUrls(resolve(outDir))],
    write: false,
    logLevel: quiet ? 'silent' : 'warning',
    legalComments: 'none',
  });
  mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const file of result.outputFiles) {
    const temporary = join(dirname(file.path), `.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(temporary, file.contents);
    chmodSync(temporary, 0o755);
    renameSync(temporary, file.path);
    written.push(relative(repoRoot, file.path));
  }
  return { files: written, elapsedMs: Math.round(performance.now() - started) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== '--if-changed')) {
    process.stderr.write(`usage: node deploy/build.mjs [--if-changed]   (--if-changed: only when a source is newer than a bundle)\n`);
    process.exit(2);
  }
  try {
    if (args.includes('--if-changed') && upToDate()) process.exit(0);
    const { files, elapsedMs } = await build();
    process.stderr.write(`built ${files.join(', ')} in ${elapsedMs} ms\n`);
  } catch (error) {
    // esbuild has printed the errors with their locations.
    process.stderr.write(`build failed: ${error.message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
