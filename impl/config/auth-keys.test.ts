// The authentication settings, from zoo.cfg and from the JVM flags operators
// set for zkServer.sh (SERVER_JVMFLAGS, JVMFLAGS), checked as
// AuthenticationHelper checks them; and loadConfig reading the JAAS file.

import { describe, expect, it } from 'vitest';
import { jvmSystemProperties, noAuthSettings, saslProviderClass } from './auth-keys.ts';
import { loadConfig } from './load.ts';
import { parseZooCfg } from './zoo-cfg.ts';

const parse = (lines: readonly string[], environment: Record<string, string> = {}) => parseZooCfg(['dataDir=/d', ...lines].join('\n') + '\n', jvmSystemProperties(environment));
const authOf = (lines: readonly string[], environment: Record<string, string> = {}) => {
  const result = parse(lines, environment);
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join('\n'));
  return result.value.config.auth;
};
const errorsOf = (lines: readonly string[], environment: Record<string, string> = {}) => {
  const result = parse(lines, environment);
  return result.ok ? [] : result.error.map((e) => e.message);
};

describe('zoo.cfg', () => {
  it('reads nothing when nothing is set', () => {
    expect(authOf([])).toEqual(noAuthSettings);
  });

  it('takes the SASL provider under any authProvider.N, with or without the zookeeper. prefix', () => {
    expect(authOf([`authProvider.1=${saslProviderClass}`]).saslProvider).toBe(true);
    expect(authOf([`zookeeper.authProvider.sasl=${saslProviderClass}`]).saslProvider).toBe(true);
    // Another class is still zookeeper-keys.ts's to refuse.
    expect(errorsOf(['authProvider.1=com.example.MyProvider'])).toEqual([expect.stringContaining('line 2: authProvider.1: only the built-in digest, ip, x509 and SASL (DIGEST-MD5) authentication providers exist here')]);
  });

  it('sessionRequireClientSASLAuth=true enforces sasl, and needs the SASL provider (AuthenticationHelper)', () => {
    expect(authOf([`authProvider.1=${saslProviderClass}`, 'sessionRequireClientSASLAuth=true'])).toMatchObject({ enforceAuthSchemes: ['sasl'], saslAuthRequired: true });
    expect(errorsOf(['sessionRequireClientSASLAuth=true'])).toEqual([`Authentication scheme sasl is not available: set authProvider.1=${saslProviderClass}`]);
    // It wins over enforce.auth.schemes, as in AuthenticationHelper.initConfigurations.
    expect(authOf([`authProvider.1=${saslProviderClass}`, 'sessionRequireClientSASLAuth=true', 'enforce.auth.enabled=true', 'enforce.auth.schemes=digest']).enforceAuthSchemes).toEqual(['sasl']);
  });

  it('enforce.auth.enabled needs schemes, each of a configured provider', () => {
    expect(authOf(['enforce.auth.enabled=true', 'enforce.auth.schemes= digest , ip '])).toMatchObject({ enforceAuthSchemes: ['digest', 'ip'], saslAuthRequired: false });
    expect(errorsOf(['enforce.auth.enabled=true'])).toEqual(['zookeeper.enforce.auth.enabled is true zookeeper.enforce.auth.schemes must be configured.']);
    expect(errorsOf(['enforce.auth.enabled=true', 'enforce.auth.schemes=digest,x509'])).toEqual(['Authentication scheme x509 is not available']);
    expect(authOf(['enforce.auth.enabled=false', 'enforce.auth.schemes=digest']).enforceAuthSchemes).toEqual([]);
  });

  it('refuses a security flag it cannot read, where ZooKeeper would read it as false', () => {
    expect(errorsOf(['sessionRequireClientSASLAuth=ture'])).toEqual(['line 2: invalid sessionRequireClientSASLAuth="ture": expected true or false']);
  });

  it('collects the SASL super users from superUser and superUser.*, and reads the JAAS path and section', () => {
    const auth = authOf(['superUser=alice', 'zookeeper.superUser.2=bob', 'superUser.x=alice', 'java.security.auth.login.config=/etc/zk/jaas.conf', 'sasl.serverconfig=ZkServer']);
    expect(auth).toMatchObject({ superUsers: ['alice', 'bob'], jaasPath: '/etc/zk/jaas.conf', saslServerSection: 'ZkServer' });
  });
});

describe('the JVM flags (zkServer.sh: JVMFLAGS="$SERVER_JVMFLAGS $JVMFLAGS")', () => {
  it('splits on white space and keeps the -D properties, in order', () => {
    expect(jvmSystemProperties({ SERVER_JVMFLAGS: ' -Xmx1g  -Da=1 -Db', JVMFLAGS: '-Da=2' }).map((p) => [p.key, p.value, p.source])).toEqual([
      ['a', '1', 'SERVER_JVMFLAGS -Da'],
      ['b', '', 'SERVER_JVMFLAGS -Db'],
      ['a', '2', 'JVMFLAGS -Da'],
    ]);
  });

  it('reads the JAAS path and the authentication properties there; zoo.cfg wins', () => {
    const flags = { SERVER_JVMFLAGS: `-Djava.security.auth.login.config=/etc/zk/jaas.conf -Dzookeeper.authProvider.1=${saslProviderClass} -Dzookeeper.superUser=bob -Dzookeeper.log.dir=/var/log` };
    expect(authOf([], flags)).toMatchObject({ saslProvider: true, jaasPath: '/etc/zk/jaas.conf', superUsers: ['bob'] });
    expect(authOf(['java.security.auth.login.config=/srv/jaas.conf', 'superUser=carol'], flags)).toMatchObject({ jaasPath: '/srv/jaas.conf', superUsers: ['carol'] });
  });

  it('refuses there what zoo.cfg would refuse, and says where the other ZooKeeper settings must go', () => {
    expect(errorsOf([], { SERVER_JVMFLAGS: '-Dzookeeper.ssl.keyStore.location=/ks -Dzookeeper.ssl.keyStore.password=hunter2' })).toEqual([
      expect.stringMatching(/^SERVER_JVMFLAGS -Dzookeeper\.ssl\.keyStore\.location: this server reads the TLS settings from zoo.cfg only; move ssl\.keyStore\.location=\.\.\. there$/),
      expect.stringMatching(/^SERVER_JVMFLAGS -Dzookeeper\.ssl\.keyStore\.password: this server reads the TLS settings/),
    ]);
    const parsed = parse([], { JVMFLAGS: '-Dzookeeper.forceSync=no -Dzookeeper.admin.enableServer=false' });
    expect(parsed.ok && parsed.value.warnings).toEqual([
      'JVMFLAGS -Dzookeeper.forceSync is ignored: this server reads forceSync from zoo.cfg only; write forceSync=... there',
      'JVMFLAGS -Dzookeeper.admin.enableServer is ignored: this server reads admin.enableServer from zoo.cfg only; write admin.enableServer=... there',
    ]);
  });
});

describe('loadConfig with SASL', () => {
  const files: Record<string, string> = {
    '/zk/zoo.cfg': `dataDir=/zk/data\nauthProvider.1=${saslProviderClass}\n`,
    '/zk/jaas.conf': 'Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob="secret"; };',
    '/zk/krb.conf': 'Server { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true; };',
  };
  const read = async (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return text;
  };

  it('reads the users of the JAAS file SERVER_JVMFLAGS names', async () => {
    const loaded = await loadConfig('/zk/zoo.cfg', read, { SERVER_JVMFLAGS: '-Djava.security.auth.login.config=/zk/jaas.conf' });
    expect(loaded.ok && loaded.value.config.saslLogin).toEqual({ jaasPath: '/zk/jaas.conf', section: 'Server', credentials: new Map([['bob', 'secret']]) });
  });

  it.each([
    [{}, 'no JAAS file is given'],
    [{ SERVER_JVMFLAGS: '-Djava.security.auth.login.config=/zk/missing.conf' }, 'cannot read the JAAS file /zk/missing.conf'],
    [{ SERVER_JVMFLAGS: '-Djava.security.auth.login.config=/zk/krb.conf' }, 'Kerberos (GSSAPI) is not implemented'],
    [{ SERVER_JVMFLAGS: '-Djava.security.auth.login.config=/zk/jaas.conf -Dzookeeper.sasl.serverconfig=ZkServer' }, "No JAAS configuration section named 'ZkServer'"],
  ])('stops the server with the SASL provider and %j', async (environment, message) => {
    const loaded = await loadConfig('/zk/zoo.cfg', read, environment);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.error[0]!.message).toContain(message);
  });
});
