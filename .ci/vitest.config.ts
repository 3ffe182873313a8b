import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The project's top level is fixed (package.json, tsconfig.json, biome.jsonc
// and the folders of docs/architecture.md's table), so the test runner's
// configuration lives here with CI's script.
// Tests live beside the code they test (*.test.ts). Long-running checks (model
// checking at CI bounds, server processes) set their own timeouts per test.
// Before any test runs, build-once.ts builds dist/ (`npm run build`): the
// tests that start a server start the built one.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['{lib,cli,spec,model-check,conformance,impl,view}/**/*.test.ts', '.ci/*.test.ts'],
    globalSetup: ['.ci/build-once.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: { provider: 'v8', include: ['lib/**', 'spec/**', 'model-check/**', 'cli/**', 'conformance/**', 'impl/**', 'view/**'] },
  },
});
