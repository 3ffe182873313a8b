// The JAAS file as the JDK's ConfigFile reads it, and the server section
// ZooKeeper's SaslServerCallbackHandler takes its DIGEST-MD5 users from.

import { describe, expect, it } from 'vitest';
import { parseJaas } from './jaas.ts';
import { configureSaslLogin, saslLoginFromJaas } from './sasl-login.ts';

// ZooKeeper's documentation's example (zookeeperProgrammers / the SASL wiki page), with both comment styles.
const serverJaas = `
/* the server's users */
Server {
  org.apache.zookeeper.server.auth.DigestLoginModule required
    user_super="adminsecret"   // the super user
    user_bob="secret";
};
Client {
  org.apache.zookeeper.server.auth.DigestLoginModule required
    username="bob"
    password="secret";
};
`;

describe('parseJaas', () => {
  it('reads sections, login modules, flags and options', () => {
    const parsed = parseJaas(serverJaas);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect([...parsed.value.keys()]).toEqual(['Server', 'Client']);
    const [entry] = parsed.value.get('Server')!.entries;
    expect(entry).toEqual({ loginModule: 'org.apache.zookeeper.server.auth.DigestLoginModule', flag: 'required', options: new Map([['user_super', 'adminsecret'], ['user_bob', 'secret']]), line: 4 });
  });

  it('takes bare values, escapes in quoted ones, a flag in any case, several entries, and a section given twice', () => {
    const parsed = parseJaas('A { x.M REQUIRED k=v2 q="a\\"b\\\\c;d"; y.N optional; };\nA { z.O sufficient; };');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const entries = parsed.value.get('A')!.entries;
    expect(entries.map((e) => [e.loginModule, e.flag])).toEqual([['x.M', 'required'], ['y.N', 'optional'], ['z.O', 'sufficient']]);
    expect(entries[0]!.options).toEqual(new Map([['k', 'v2'], ['q', 'a"b\\c;d']]));
  });

  it.each([
    ['Server {\n  M required user_a="x"\n};', 'line 3: expected an option name or ";", found "}"'],
    ['Server {\n  M mandatory;\n};', 'line 2: a control flag: required, requisite, sufficient or optional'],
    ['Server {\n  M required user_a=;\n};', 'line 2: expected a value for user_a, found ";"'],
    ['Server {\n  M required user_a="x;\n};', 'line 2: a quoted value is not closed'],
    ['Server {\n  M required;\n}', 'line 3: the file ends where ";" after "}" was expected'],
    ['/* never closed', 'line 1: a /* comment is not closed'],
    ['Server { M required a=b&c; };', 'line 1: unexpected character "&"'],
  ])('refuses %j: %s', (text, message) => {
    expect(parseJaas(text)).toEqual({ ok: false, error: message });
  });
});

describe('the server section (SaslServerCallbackHandler, ServerCnxnFactory.configureSaslLogin)', () => {
  it('takes every user_NAME option as a DIGEST-MD5 user, from the Server section only', () => {
    const login = saslLoginFromJaas(serverJaas, '/etc/zk/jaas.conf', 'Server');
    expect(login).toEqual({ ok: true, value: { jaasPath: '/etc/zk/jaas.conf', section: 'Server', credentials: new Map([['super', 'adminsecret'], ['bob', 'secret']]) } });
    expect(saslLoginFromJaas(serverJaas, 'j', 'Elsewhere')).toEqual({ ok: true, value: undefined });
  });

  it('refuses Kerberos and any other login module, naming it and the line', () => {
    const krb = 'Server {\n com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k" principal="zookeeper/host@REALM";\n};';
    expect(saslLoginFromJaas(krb, '/j', 'Server')).toMatchObject({ ok: false, error: expect.stringMatching(/^the JAAS file \/j, line 2: com\.sun\.security\.auth\.module\.Krb5LoginModule: Kerberos \(GSSAPI\) is not implemented/) });
    expect(saslLoginFromJaas('Server { org.example.Ldap required; };', '/j', 'Server')).toMatchObject({ ok: false, error: expect.stringContaining('login module org.example.Ldap is not implemented') });
    expect(saslLoginFromJaas('Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob@EXAMPLE="x"; };', '/j', 'Server')).toMatchObject({ ok: false, error: expect.stringContaining('Kerberos name rules') });
  });

  const files: Record<string, string> = { '/etc/zk/jaas.conf': serverJaas, '/etc/zk/client-only.conf': 'Client { org.apache.zookeeper.server.auth.DigestLoginModule required username="bob" password="secret"; };' };
  const read = async (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return text;
  };

  it('with no JAAS file: no SASL login, unless the SASL provider or a section name asks for one', async () => {
    expect(await configureSaslLogin({ jaasPath: undefined, serverSection: undefined, saslProvider: false }, read)).toEqual({ ok: true, value: { login: undefined, warnings: [] } });
    expect(await configureSaslLogin({ jaasPath: undefined, serverSection: undefined, saslProvider: true }, read)).toMatchObject({ ok: false, error: expect.stringContaining('no JAAS file is given: set -Djava.security.auth.login.config') });
    expect(await configureSaslLogin({ jaasPath: undefined, serverSection: 'ZkServer', saslProvider: false }, read)).toMatchObject({ ok: false, error: expect.stringContaining("'ZkServer'") });
  });

  it('a file that cannot be read stops the server; a file without the section does only with the provider', async () => {
    expect(await configureSaslLogin({ jaasPath: '/missing.conf', serverSection: undefined, saslProvider: false }, read)).toEqual({ ok: false, error: 'cannot read the JAAS file /missing.conf (java.security.auth.login.config): ENOENT' });
    expect(await configureSaslLogin({ jaasPath: '/etc/zk/client-only.conf', serverSection: undefined, saslProvider: true }, read)).toEqual({
      ok: false,
      error: "No JAAS configuration section named 'Server' was found in '/etc/zk/client-only.conf'; SASL authentication needs it",
    });
    const off = await configureSaslLogin({ jaasPath: '/etc/zk/client-only.conf', serverSection: undefined, saslProvider: false }, read);
    expect(off).toMatchObject({ ok: true, value: { login: undefined, warnings: [expect.stringContaining("has no 'Server' section")] } });
  });

  it('reads the users, and warns when the provider that gives them an ACL identity is missing', async () => {
    const on = await configureSaslLogin({ jaasPath: '/etc/zk/jaas.conf', serverSection: undefined, saslProvider: true }, read);
    expect(on).toMatchObject({ ok: true, value: { login: { section: 'Server', credentials: new Map([['super', 'adminsecret'], ['bob', 'secret']]) }, warnings: [] } });
    const noProvider = await configureSaslLogin({ jaasPath: '/etc/zk/jaas.conf', serverSection: undefined, saslProvider: false }, read);
    expect(noProvider).toMatchObject({ ok: true, value: { login: { section: 'Server' }, warnings: [expect.stringContaining('their sessions get no sasl identity')] } });
  });
});
