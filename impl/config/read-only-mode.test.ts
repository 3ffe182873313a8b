// readonlymode.enabled: ZooKeeper reads it as the JVM system property
// (QuorumPeer.run's Boolean.getBoolean("readonlymode.enabled"), set with -D in
// SERVER_JVMFLAGS); this server reads that and a zoo.cfg key of the same name.
// With it on, `isro` is always allowed, as FourLetterCommands.isEnabled does
// (read-only Java clients ask it to find a read-write server).

import { describe, expect, it } from 'vitest';
import { jvmSystemProperties } from './auth-keys.ts';
import { parseZooCfg } from './zoo-cfg.ts';

const ensemble = ['dataDir=/d', 'initLimit=5', 'syncLimit=2', 'server.1=127.0.0.1:2888:3888', 'server.2=127.0.0.1:2889:3889', 'server.3=127.0.0.1:2890:3890'];

function parse(lines: readonly string[], environment: Record<string, string> = {}) {
  return parseZooCfg([...lines, ''].join('\n'), jvmSystemProperties(environment));
}
function configOf(lines: readonly string[], environment: Record<string, string> = {}) {
  const result = parse(lines, environment);
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join('\n'));
  return result.value;
}

describe('readonlymode.enabled', () => {
  it('is off by default, and isro then follows the whitelist', () => {
    const { config } = configOf(ensemble);
    expect(config.readOnlyModeEnabled).toBe(false);
    expect(config.fourLetterWordWhitelist).toEqual(['srvr']);
  });

  it('is read from zoo.cfg, and adds isro to the whitelist', () => {
    const { config, warnings } = configOf([...ensemble, 'readonlymode.enabled=true', '4lw.commands.whitelist=ruok']);
    expect(config.readOnlyModeEnabled).toBe(true);
    expect(config.fourLetterWordWhitelist).toEqual(['isro', 'ruok', 'srvr']);
    expect(warnings).toEqual([]);
  });

  it('is read from SERVER_JVMFLAGS as ZooKeeper reads it (-Dreadonlymode.enabled, no zookeeper. prefix); zoo.cfg wins', () => {
    expect(configOf(ensemble, { SERVER_JVMFLAGS: '-Xmx1g -Dreadonlymode.enabled=true' }).config.readOnlyModeEnabled).toBe(true);
    expect(configOf(ensemble, { JVMFLAGS: '-Dreadonlymode.enabled=TRUE' }).config.readOnlyModeEnabled).toBe(true);
    expect(configOf([...ensemble, 'readonlymode.enabled=false'], { SERVER_JVMFLAGS: '-Dreadonlymode.enabled=true' }).config.readOnlyModeEnabled).toBe(false);
  });

  it('refuses a value that is neither true nor false, in zoo.cfg and in the JVM flags', () => {
    const fromFile = parse([...ensemble, 'readonlymode.enabled=yes']);
    expect(fromFile.ok ? [] : fromFile.error.map((e) => e.message)).toEqual(['line 7: invalid readonlymode.enabled="yes": expected true or false']);
    const fromFlags = parse(ensemble, { SERVER_JVMFLAGS: '-Dreadonlymode.enabled=1' });
    expect(fromFlags.ok ? [] : fromFlags.error.map((e) => e.message)).toEqual(['SERVER_JVMFLAGS -Dreadonlymode.enabled: invalid readonlymode.enabled="1": expected true or false']);
  });

  it('has no effect on a standalone server, which says so (ZooKeeperServerMain has no read-only mode)', () => {
    const { config, warnings } = configOf(['dataDir=/d', 'readonlymode.enabled=true']);
    expect(config.readOnlyModeEnabled).toBe(true);
    expect(warnings).toEqual([expect.stringMatching(/^readonlymode\.enabled=true has no effect on a standalone server/)]);
  });
});
