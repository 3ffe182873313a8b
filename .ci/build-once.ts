// The test runner's global setup: `npm run build` once before any test file
// runs, so that the tests which start the server as a process run the bundle
// operators run (dist/server.js, impl/testing/built-server.ts) and a fresh
// clone's `npm test` needs no other step. Half a second on a quiet machine, a
// few seconds on a busy one (esbuild; deploy/build.mjs).

import { build } from '../deploy/build.mjs';

export default async function buildOnce(): Promise<void> {
  const { files, elapsedMs } = await build();
  process.stderr.write(`built ${files.join(', ')} in ${elapsedMs} ms (deploy/build.mjs)\n`);
}
