// The team's rule, now that clientPortAddress defaults to every interface as in
// ZooKeeper: a test, bench or harness that writes a zoo.cfg must pass a loopback
// clientPortAddress itself. This scans the sources that write `dataDir=` and
// `clientPort=` into a configuration and fails on one that does not also write
// `clientPortAddress=`.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Files that print or parse a configuration rather than start a server from one. */
const notStartingAServer = new Set(['impl/admin/four-letter-words.ts', 'impl/config/zoo-cfg.test.ts', 'impl/config/zookeeper-keys.test.ts', 'impl/config/loopback-only.test.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('zoo.cfg files written by tests, benches and harnesses', () => {
  it('set clientPortAddress (to loopback) wherever they set dataDir and clientPort', () => {
    const writers = ['impl', 'conformance', 'cli']
      .flatMap((dir) => sources(join(root, dir)))
      .filter((path) => !notStartingAServer.has(relative(root, path)))
      .filter((path) => {
        const text = readFileSync(path, 'utf8');
        return text.includes('dataDir=') && text.includes('clientPort=');
      });
    expect(writers.length).toBeGreaterThanOrEqual(8);
    const without = writers.filter((path) => !readFileSync(path, 'utf8').includes('clientPortAddress='));
    expect(without.map((p) => relative(root, p))).toEqual([]);
  });
});
