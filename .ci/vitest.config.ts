import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SlowestFirst } from './slowest-first.ts';

// The project's top level is fixed (package.json, tsconfig.json, biome.jsonc
// and the folders of docs/architecture.md's table), so the test runner's
// configuration lives here with CI's script.
// Tests live beside the code they test (*.test.ts). Long-running checks (model
// checking at CI bounds, server processes) set their own timeouts per test.
// Before any test runs, build-once.ts builds dist/ (`npm run build`): the
// tests that start a server start the built one.
//
// Two test files at a time at least, the slowest first. Vitest's default,
// one worker fewer than the cores, is ONE file at a time on CI's 2-core
// machine: the suite's 183 files took 948 s there end to end for 863 s of
// per-file time, with a core idle whenever a file waits on a server process,
// a timer or a socket (most of the impl/ files do). Two workers overlap those
// waits with the model-checking files' CPU. The order matters as much: on a
// fresh machine vitest starts the largest files first, and the mutant hunts
// (153 s and 83 s, two of the three longest) are small files, so they
// started last; slowest-first.ts starts them first. CI's per-file times
// spread over two workers longest first come to 431 s (half the sum; the
// longest file is 153 s) before any slowdown from sharing the two cores,
// against 948 s end to end with one worker. A file that runs beside
// another must not assume the machine to itself: ports come from
// impl/testing/ports.ts (locked across processes), directories from mkdtemp,
// and time bounds leave room for a busy core.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['{lib,cli,spec,model-check,conformance,impl,view}/**/*.test.ts', '.ci/*.test.ts'],
    globalSetup: ['.ci/build-once.ts'],
    pool: 'forks',
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: { provider: 'v8', include: ['lib/**', 'spec/**', 'model-check/**', 'cli/**', 'conformance/**', 'impl/**', 'view/**'] },
  },
});
