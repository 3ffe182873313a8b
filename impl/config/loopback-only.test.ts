// The team's rule, now that clientPortAddress defaults to every interface as in
// ZooKeeper: a test, bench or harness that writes a zoo.cfg must pass a loopback
// clientPortAddress itself. This scans the sources that write `dataDir=` and
// `clientPort=` into a configuration and fails on one that does not also write
// `clientPortAddress=`. The same for the AdminServer, on 0.0.0.0:8080 by
// default as ZooKeeper's: such a source turns it off (`admin.enableServer=false`)
// or sets `admin.serverAddress=` to loopback; and one that starts the
// Prometheus endpoint (0.0.0.0:7000 by default) sets `metricsProvider.httpHost=`
// to loopback.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Files that print or parse a configuration rather than start a server from one. */
const notStartingAServer = new Set(['impl/admin/four-letter-words.ts', 'impl/config/zoo-cfg.test.ts', 'impl/config/zookeeper-keys.test.ts', 'impl/config/loopback-only.test.ts',
  // Parses zoo.cfg lines and starts only the client listener (startServer), never the process's AdminServer.
  'impl/security/tls.test.ts',
]);

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

    const text = (path: string) => readFileSync(path, 'utf8');
    const adminOpen = writers.filter((path) => !text(path).includes('admin.enableServer=false') && !text(path).includes('admin.serverAddress='));
    expect(adminOpen.map((p) => relative(root, p)), 'writers that leave the AdminServer on 0.0.0.0').toEqual([]);
    const metricsOpen = writers.filter((path) => text(path).includes('PrometheusMetricsProvider') && !text(path).includes('metricsProvider.httpHost='));
    expect(metricsOpen.map((p) => relative(root, p)), 'writers that leave /metrics on 0.0.0.0').toEqual([]);
    // Every address they write for either is loopback (a literal, or the harness's loopback constant).
    const addresses = writers.flatMap((path) => [...text(path).matchAll(/(?:admin\.serverAddress|metricsProvider\.httpHost)=([^\s'"`\\,]+)/g)].map((m) => `${relative(root, path)}: ${m[1]}`));
    expect(addresses.filter((a) => !/: (127\.0\.0\.1|\$\{loopback\}|\$\{host\})$/.test(a))).toEqual([]);
  });
});
