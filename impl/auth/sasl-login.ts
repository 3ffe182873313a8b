// The server's SASL login, read once at start: ServerCnxnFactory.
// configureSaslLogin and SaslServerCallbackHandler's constructor. The JAAS
// file's section (`Server`, or zookeeper.sasl.serverconfig) lists the
// DIGEST-MD5 users as `user_NAME="PASSWORD"` options of
// org.apache.zookeeper.server.auth.DigestLoginModule; each connection then
// gets its own DIGEST-MD5 exchange over these credentials (digest-md5.ts).
//
// As in ZooKeeper: with no JAAS file there is no SASL login (a SASL token gets
// an empty answer); a JAAS file that cannot be read stops the server; a file
// without the section leaves SASL off. Where this server is stricter, on
// purpose (fail closed):
// - the SASL authentication provider configured (authProvider.N=...
//   SASLAuthenticationProvider) without a JAAS file or without its section
//   stops the server, where ZooKeeper would run with every SASL client
//   unauthenticated;
// - only DigestLoginModule is accepted: Kerberos (Krb5LoginModule) and any
//   other login module stop the server, naming the module;
// - a user name with "/" or "@" stops the server: ZooKeeper maps such names
//   through Kerberos name rules (KerberosName.getShortName), which are not
//   implemented.

import { err, ok, type Result } from '../../lib/result.ts';
import { parseJaas } from './jaas.ts';

export const digestLoginModule = 'org.apache.zookeeper.server.auth.DigestLoginModule';
const kerberosLoginModule = 'com.sun.security.auth.module.Krb5LoginModule';
/** ZooKeeperSaslServer.DEFAULT_LOGIN_CONTEXT_NAME. */
export const defaultServerSection = 'Server';

/** The DIGEST-MD5 users a server authenticates, from its JAAS section. */
export type SaslLogin = {
  readonly jaasPath: string;
  readonly section: string;
  /** User name -> password (SaslServerCallbackHandler.credentials). */
  readonly credentials: ReadonlyMap<string, string>;
};

export type SaslLoginSettings = {
  /** java.security.auth.login.config: the JAAS file; undefined when none is given. */
  readonly jaasPath: string | undefined;
  /** zookeeper.sasl.serverconfig, when set. */
  readonly serverSection: string | undefined;
  /** authProvider.N=org.apache.zookeeper.server.auth.SASLAuthenticationProvider is configured. */
  readonly saslProvider: boolean;
};

export type ConfiguredSaslLogin = { readonly login: SaslLogin | undefined; readonly warnings: readonly string[] };

/** Reads and checks the JAAS file when one is given; an error says what stops the server. */
export async function configureSaslLogin(settings: SaslLoginSettings, read: (path: string) => Promise<string>): Promise<Result<ConfiguredSaslLogin, string>> {
  const section = settings.serverSection ?? defaultServerSection;
  const { jaasPath } = settings;
  if (jaasPath === undefined) {
    if (settings.saslProvider) {
      return err('authProvider is set to org.apache.zookeeper.server.auth.SASLAuthenticationProvider but no JAAS file is given: set -Djava.security.auth.login.config=/path/to/jaas.conf in SERVER_JVMFLAGS, or java.security.auth.login.config in zoo.cfg');
    }
    if (settings.serverSection !== undefined) return err(`No JAAS configuration section named '${section}' was found. But zookeeper.sasl.serverconfig was set (and no JAAS file is given)`);
    return ok({ login: undefined, warnings: [] });
  }
  const text = await readJaasFile(jaasPath, read);
  if (!text.ok) return text;
  const login = saslLoginFromJaas(text.value, jaasPath, section);
  if (!login.ok) return login;
  if (login.value !== undefined) {
    const warnings = settings.saslProvider
      ? []
      : [`the JAAS file ${jaasPath} has a '${section}' section, so clients can authenticate with SASL, but authProvider.N=org.apache.zookeeper.server.auth.SASLAuthenticationProvider is not set: their sessions get no sasl identity and no ACL can name one (ZooKeeper adds the identity, which no ACL can name either)`];
    return ok({ login: login.value, warnings });
  }
  if (settings.saslProvider || settings.serverSection !== undefined) {
    return err(`No JAAS configuration section named '${section}' was found in '${jaasPath}'; SASL authentication needs it`);
  }
  return ok({ login: undefined, warnings: [`the JAAS file ${jaasPath} has no '${section}' section: SASL authentication of clients is off`] });
}

/** The section's users, or undefined when the file has no such section; an error for a syntax error or anything but DigestLoginModule. */
export function saslLoginFromJaas(text: string, jaasPath: string, section: string): Result<SaslLogin | undefined, string> {
  const parsed = parseJaas(text);
  if (!parsed.ok) return err(`the JAAS file ${jaasPath}: ${parsed.error}`);
  const found = parsed.value.get(section);
  if (found === undefined) return ok(undefined);
  const credentials = new Map<string, string>();
  for (const entry of found.entries) {
    if (entry.loginModule === kerberosLoginModule || /krb5|kerberos/i.test(entry.loginModule)) {
      return err(`the JAAS file ${jaasPath}, line ${entry.line}: ${entry.loginModule}: Kerberos (GSSAPI) is not implemented by this server, only DIGEST-MD5 with ${digestLoginModule}. Use DigestLoginModule or Apache ZooKeeper`);
    }
    if (entry.loginModule !== digestLoginModule) {
      return err(`the JAAS file ${jaasPath}, line ${entry.line}: login module ${entry.loginModule} is not implemented by this server; the '${section}' section must use ${digestLoginModule}`);
    }
    for (const [key, value] of entry.options) {
      if (!key.startsWith('user_')) continue;
      const userName = key.slice('user_'.length);
      if (/[/@]/.test(userName)) {
        return err(`the JAAS file ${jaasPath}, line ${entry.line}: user ${JSON.stringify(userName)}: a name with "/" or "@" is mapped by Kerberos name rules in ZooKeeper, which this server does not implement`);
      }
      credentials.set(userName, value);
    }
  }
  return ok({ jaasPath, section, credentials });
}

/** The JAAS file's text; an error names the file and why it could not be read. */
export async function readJaasFile(jaasPath: string, read: (path: string) => Promise<string>): Promise<Result<string, string>> {
  try {
    return ok(await read(jaasPath));
  } catch (thrown) {
    const code = (thrown as { code?: unknown }).code;
    return err(`cannot read the JAAS file ${jaasPath} (java.security.auth.login.config): ${typeof code === 'string' ? code : String(thrown)}`);
  }
}
