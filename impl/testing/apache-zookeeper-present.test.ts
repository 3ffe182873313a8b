// The compatibility tests against Apache ZooKeeper (zkCli.sh, the C client
// cli_mt, the differential test against a real 3.8 server, election interop)
// run only where Debian's zookeeper and zookeeper-bin packages are installed,
// so that a developer without them can still run the suite. CI installs them
// (.ci/run) and sets ZK_APACHE_REQUIRED=1; there, their absence must fail the
// run instead of silently skipping those suites.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliMt, java, servletApiJar, zkCli, zookeeperJar } from './apache-zookeeper.ts';

const required = process.env.ZK_APACHE_REQUIRED === '1';

const artefacts = [zkCli, cliMt, zookeeperJar, java, servletApiJar];

describe('Apache ZooKeeper 3.8 for compatibility tests', () => {
  it(required ? 'is installed (required in CI)' : 'is reported (optional outside CI)', () => {
    const missing = artefacts.filter((path) => !existsSync(path));
    if (required) expect(missing, 'apt-get install zookeeper zookeeper-bin').toEqual([]);
    else if (missing.length > 0) console.warn(`compatibility suites will not run; missing: ${missing.join(', ')}`);
  });
});
