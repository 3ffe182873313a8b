// Fail closed: every ZooKeeper 3.8 setting is read, refused or warned about, and
// each refused one stops parsing with a message naming it. The guide's list
// (testdata/zookeeper-3.8.4-admin-keys.txt) is every `* *name* :` entry of
// zookeeperAdmin.md at release-3.8.4 from "Configuration Parameters" to
// "Metrics Providers" (161 names: "ssl.keyStore.location and ssl.keyStore.password"
// split in two, `server.x`/`group.x`/`weight.x` for their patterns, "Read Only
// Mode Server" as its property readonlymode.enabled).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { implementedKeys, parseZooCfg } from './zoo-cfg.ts';
import { classifyUnimplementedKey, displayKey, refuses, unimplementedKeys } from './zookeeper-keys.ts';

const guideKeys = readFileSync(new URL('testdata/zookeeper-3.8.4-admin-keys.txt', import.meta.url), 'utf8').trim().split('\n');
const concrete = (key: string) => key.replace(/\.x$/, '.1');

/** A value that turns the setting on: not among the entry's harmless values. */
function enablingValue(key: string): string {
  const entry = classifyUnimplementedKey(key)!;
  return entry.harmless?.includes('true') === true ? 'false' : 'true';
}

function refusal(line: string) {
  const result = parseZooCfg(`dataDir=/var/lib/zk\n${line}\n`);
  return result.ok ? undefined : result.error;
}

// Refused keys ZooKeeper reads that the guide does not list, and spellings operators use.
const refusedBeyondTheGuide = [
  'sslQuorumReloadCertFiles', 'portUnification', 'client.secure', 'client.certReload', 'dynamicConfigFile',
  'ssl.sslProvider', 'ssl.quorum.sslProvider', 'zookeeper.client.secure',
  'authProvider.1', 'authProvider.sasl', 'quorum.auth.enablesasl', 'quorum.auth.serverRequiresSasl', 'group.2', 'weight.3',
];

describe('every setting of ZooKeeper 3.8\'s Administrator\'s Guide', () => {
  it('is implemented, refused or warned about: none is unknown', () => {
    const counts = { implemented: 0, refused: 0, warned: 0 };
    for (const key of guideKeys) {
      if (implementedKeys.includes(key) || key === 'server.x') counts.implemented++;
      else {
        const entry = classifyUnimplementedKey(concrete(key));
        expect(entry, key).toBeDefined();
        counts[entry!.disposition]++;
      }
    }
    expect(guideKeys).toHaveLength(161);
    expect(counts).toEqual({ implemented: 68, refused: 10, warned: 83 });
  });

  const refusedGuideKeys = guideKeys.filter((k) => !implementedKeys.includes(k) && classifyUnimplementedKey(concrete(k))?.disposition === 'refused');
  it.each([...refusedGuideKeys.map(concrete), ...refusedBeyondTheGuide])('refuses %s, naming it and why', (key) => {
    const errors = refusal(`${key}=${enablingValue(key)}`);
    expect(errors, `${key} was accepted`).toHaveLength(1);
    const [error] = errors!;
    expect(error!.key).toBe(key);
    expect(error!.line).toBe(2);
    expect(error!.message).toMatch(new RegExp(`^line 2: ${key.replace(/\./g, '\\.')}: .*(not implemented|not enforced|always checks|only SHA1|not read|only the built-in|cannot be switched off|not a quorum.auth key)`));
  });

  it('refuses a TLS setting it does not know, by name; the client port\'s and the members\' TLS keys are read (tls-config.ts)', () => {
    expect(refusal('ssl.quorum.sslProvider=OPENSSL')![0]!.message).toMatch(/^line 2: ssl\.quorum\.sslProvider: this TLS setting is not implemented/);
    expect(refusal('secureClientPort=2281\nssl.keyStore.location=/etc/zk/keystore.p12')).toBeUndefined();
    expect(refusal('sslQuorum=true\nssl.quorum.keyStore.location=/etc/zk/keystore.p12\nssl.quorum.trustStore.location=/etc/zk/ca.pem')).toBeUndefined();
  });

  it('accepts, without a word, the values that mean "off"', () => {
    const off = ['sslQuorumReloadCertFiles=false', 'skipACL=no', 'sessionRequireClientSASLAuth=false', 'enforce.auth.enabled=false', 'portUnification=false', 'client.portUnification=no',
      'enforceQuota=false', 'audit.enable=false', 'quorum.auth.enableSasl=false', 'DigestAuthenticationProvider.enabled=true', 'DigestAuthenticationProvider.digestAlg=SHA1',
      'authProvider.1=org.apache.zookeeper.server.auth.DigestAuthenticationProvider', 'kerberos.removeHostFromPrincipal=false', 'zookeeper.client.secure=false'];
    const result = parseZooCfg(`dataDir=/d\n${off.join('\n')}\n`);
    expect(result).toMatchObject({ ok: true, value: { warnings: [] } });
  });

  it('reports every refused key of a file together, and never shows a password', () => {
    const result = parseZooCfg('dataDir=/d\nsecureClientPort=2281\nssl.quorum.sslProvider=x\nssl.quorum.keyStore.password=hunter2\nsslQuorum=true\nssl.keyStore.password=hunter2\nportUnification=true\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.map((e) => [e.key, e.line])).toEqual([['ssl.quorum.sslProvider', 3], ['portUnification', 7], ['secureClientPort', 2], ['sslQuorum', 5]]);
    expect(JSON.stringify(result.error)).not.toContain('hunter2');
  });

  it('warns about a harmless one with the reason it is harmless', () => {
    const result = parseZooCfg('dataDir=/d\nmetricsProvider.numWorkerThreads=2\nrequestThrottleLimit=100\nsyncEnabled=false\n');
    expect(result.ok && result.value.warnings).toEqual([
      'line 2: metricsProvider.numWorkerThreads is a ZooKeeper setting this server does not implement; ignored: the Prometheus provider records in the request path, without worker threads or a queue to tune',
      'line 3: requestThrottleLimit is a ZooKeeper setting this server does not implement; ignored: request and connection throttling is not implemented; the server queues up to globalOutstandingLimit and maxClientCnxns per address instead',
      'line 4: syncEnabled is a ZooKeeper setting this server does not implement; ignored: observers always log and fsync their txns, which is the default (true)',
    ]);
  });

  it('is not fooled by a refused key\'s harmless value on another refused key', () => {
    // `off` is per key: DigestAuthenticationProvider.enabled=false switches a provider off, which is refused.
    expect(refuses(classifyUnimplementedKey('DigestAuthenticationProvider.enabled')!, 'false')).toBe(true);
    expect(refuses(classifyUnimplementedKey('DigestAuthenticationProvider.enabled')!, 'TRUE')).toBe(false);
  });
});

describe('docs/operations.md', () => {
  const docs = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  it('has a row for every implemented key and for every refused or warned one, with its disposition', () => {
    for (const key of implementedKeys) expect(docs, key).toContain(`\`${key}\``);
    for (const entry of unimplementedKeys) expect(docs, entry.key).toContain(`| \`${displayKey(entry)}\` | ${entry.disposition} |`);
  });
});
