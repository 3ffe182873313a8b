// The team's rule, now that clientPortAddress defaults to every interface as in
// ZooKeeper: every zoo.cfg a test, bench or harness writes listens on loopback
// only. Each one is checked when it is written, by writeLoopbackZooCfg
// (impl/testing/loopback-zoo-cfg.ts: clientPortAddress and
// secureClientPortAddress 127.0.0.1, the AdminServer off or on 127.0.0.1, the
// Prometheus endpoint on 127.0.0.1), which throws before the file exists. This
// test checks that check on good and bad configurations, and that the sources
// write configurations through it: no writeFileSync of a configuration (its
// content names clientPort or dataDir=, or its path names a config or .cfg
// file), and no appendFileSync that adds a listening key, outside the files
// below that only print or parse one.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nonLoopbackListeners, writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The text of each call `name(...)` in `text`, parentheses matched. */
function calls(text: string, name: string): string[] {
  const found: string[] = [];
  for (let start = text.indexOf(`${name}(`); start >= 0; start = text.indexOf(`${name}(`, start + 1)) {
    let depth = 0;
    let end = start + name.length;
    for (; end < text.length; end++) {
      if (text[end] === '(') depth++;
      else if (text[end] === ')' && --depth === 0) break;
    }
    found.push(text.slice(start, end + 1).replace(/\s+/g, ' '));
  }
  return found;
}

const good = ['dataDir=/tmp/x', 'clientPort=0', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false'];

describe('writeLoopbackZooCfg', () => {
  it('passes a configuration whose every port is on 127.0.0.1', () => {
    expect(nonLoopbackListeners(good)).toEqual([]);
    expect(nonLoopbackListeners([...good, 'secureClientPort=2281', 'secureClientPortAddress=127.0.0.1'])).toEqual([]);
    expect(nonLoopbackListeners(['clientPort=1', 'clientPortAddress=127.0.0.1', 'admin.serverAddress=127.0.0.1', 'admin.serverPort=9'])).toEqual([]);
    const prometheus = 'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';
    expect(nonLoopbackListeners([...good, prometheus, 'metricsProvider.httpHost=127.0.0.1'])).toEqual([]);
    expect(nonLoopbackListeners([...good, prometheus])).toEqual(['the Prometheus endpoint on 0.0.0.0 (set metricsProvider.httpHost=127.0.0.1)']);
  });

  it('names each port a configuration would open beyond loopback; a later line wins, as in java.util.Properties', () => {
    expect(nonLoopbackListeners(['dataDir=/tmp/x', 'clientPort=0', 'admin.enableServer=false'])).toEqual(['clientPort without clientPortAddress=127.0.0.1 (got none: every interface)']);
    expect(nonLoopbackListeners(['clientPort=0', 'clientPortAddress=0.0.0.0', 'admin.enableServer=false'])).toEqual(['clientPort without clientPortAddress=127.0.0.1 (got 0.0.0.0)']);
    expect(nonLoopbackListeners([...good, 'secureClientPort=2281'])).toEqual(['secureClientPort without secureClientPortAddress=127.0.0.1 (got none: every interface)']);
    expect(nonLoopbackListeners(['clientPort=0', 'clientPortAddress=127.0.0.1'])).toEqual(['the AdminServer on 0.0.0.0 (set admin.enableServer=false or admin.serverAddress=127.0.0.1)']);
    expect(nonLoopbackListeners([...good, 'admin.enableServer=true'])).toHaveLength(1);
    expect(nonLoopbackListeners([...good, 'clientPortAddress=10.0.0.1'])).toHaveLength(1);
  });

  it('throws before writing a bad one, and writes a good one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-loopback-'));
    try {
      expect(() => writeLoopbackZooCfg(join(dir, 'bad.cfg'), ['dataDir=/tmp/x', 'clientPort=0'])).toThrow(/refusing to write .*bad\.cfg: .*clientPort without clientPortAddress=127\.0\.0\.1/);
      expect(existsSync(join(dir, 'bad.cfg'))).toBe(false);
      writeLoopbackZooCfg(join(dir, 'good.cfg'), good);
      expect(readFileSync(join(dir, 'good.cfg'), 'utf8')).toBe(`${good.join('\n')}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Files that print or parse a configuration rather than write one for a server to start from. */
const notWritingAConfig = new Set(['impl/admin/four-letter-words.ts', 'impl/config/zoo-cfg.test.ts', 'impl/config/zookeeper-keys.test.ts', 'impl/config/loopback-only.test.ts', 'impl/testing/loopback-zoo-cfg.ts']);

describe('zoo.cfg files written by tests, benches and harnesses', () => {
  it('are written through writeLoopbackZooCfg (checked as each is written), never with a bare writeFileSync', () => {
    const files = ['impl', 'conformance', 'cli'].flatMap((dir) => (existsSync(join(root, dir)) ? sources(join(root, dir)) : [])).filter((path) => !notWritingAConfig.has(relative(root, path)));
    const bare = files.flatMap((path) =>
      calls(readFileSync(path, 'utf8'), 'writeFileSync')
        .filter((call) => /clientPort|dataDir=/.test(call) || /config|cfg/i.test(call.slice('writeFileSync('.length).split(',')[0]!))
        .map((call) => `${relative(root, path)}: ${call.slice(0, 120)}`),
    );
    expect(bare).toEqual([]);
    const appended = files.flatMap((path) =>
      calls(readFileSync(path, 'utf8'), 'appendFileSync')
        .filter((call) => /clientPort|secureClientPort|admin\.|metricsProvider\./.test(call))
        .map((call) => `${relative(root, path)}: ${call.slice(0, 120)}`),
    );
    expect(appended, 'appends that add a listening key after the check').toEqual([]);
    // The writers are there to be checked: the harnesses and the tests that start servers.
    const writers = files.filter((path) => readFileSync(path, 'utf8').includes('writeLoopbackZooCfg('));
    expect(writers.length).toBeGreaterThanOrEqual(10);
  });
});
