// A member's SASL logins for authenticating to and being authenticated by the
// other members (quorum.auth.enableSasl), read once at start from the JAAS
// file, as QuorumPeer.initialize builds SaslQuorumAuthServer and
// SaslQuorumAuthLearner:
//
//   QuorumServer {                              (quorum.auth.server.saslLoginContext)
//     org.apache.zookeeper.server.auth.DigestLoginModule required
//       user_test="secret";                     the learners this member accepts
//   };
//   QuorumLearner {                             (quorum.auth.learner.saslLoginContext)
//     org.apache.zookeeper.server.auth.DigestLoginModule required
//       username="test" password="secret";      who this member is to the others
//   };
//
// As in ZooKeeper, both sections must exist once quorum SASL is enabled (the
// constructors throw "SASL-authentication failed because the specified JAAS
// configuration section '...' could not be found"). Stricter, on purpose
// (fail closed): only DigestLoginModule is accepted; Kerberos (GSSAPI, the
// Krb5LoginModule) stops the member naming the module, and so does a
// QuorumLearner section without a username and password.

import { err, ok, type Result } from '../../lib/result.ts';
import { parseJaas, type JaasSection } from './jaas.ts';
import { digestLoginModule, readJaasFile, saslLoginFromJaas, type SaslLogin } from './sasl-login.ts';

/** QuorumAuth's defaults. */
export const defaultQuorumServerSection = 'QuorumServer';
export const defaultQuorumLearnerSection = 'QuorumLearner';

/** DigestLoginModule's options for a client: who this member says it is. */
export type LearnerLogin = { readonly jaasPath: string; readonly section: string; readonly userName: string; readonly password: string };

export type QuorumLogins = { readonly server: SaslLogin; readonly learner: LearnerLogin };

export type QuorumLoginSettings = {
  readonly jaasPath: string | undefined;
  readonly serverSection: string;
  readonly learnerSection: string;
};

/** Reads the JAAS file and both sections; an error says what stops the member. */
export async function configureQuorumLogins(settings: QuorumLoginSettings, read: (path: string) => Promise<string>): Promise<Result<QuorumLogins, string>> {
  const { jaasPath } = settings;
  if (jaasPath === undefined) {
    return err('quorum.auth.enableSasl=true needs a JAAS file with the QuorumServer and QuorumLearner sections: set -Djava.security.auth.login.config=/path/to/jaas.conf in SERVER_JVMFLAGS, or java.security.auth.login.config in zoo.cfg');
  }
  const text = await readJaasFile(jaasPath, read);
  if (!text.ok) return text;
  return quorumLoginsFromJaas(text.value, jaasPath, settings.serverSection, settings.learnerSection);
}

const missing = (jaasPath: string, section: string, key: string) =>
  `SASL-authentication failed because the specified JAAS configuration section '${section}' could not be found in ${jaasPath} (${key}); quorum.auth.enableSasl=true needs it`;

export function quorumLoginsFromJaas(text: string, jaasPath: string, serverSection: string, learnerSection: string): Result<QuorumLogins, string> {
  const server = saslLoginFromJaas(text, jaasPath, serverSection);
  if (!server.ok) return server;
  if (server.value === undefined) return err(missing(jaasPath, serverSection, 'quorum.auth.server.saslLoginContext'));
  const parsed = parseJaas(text);
  if (!parsed.ok) return err(`the JAAS file ${jaasPath}: ${parsed.error}`);
  const section = parsed.value.get(learnerSection);
  if (section === undefined) return err(missing(jaasPath, learnerSection, 'quorum.auth.learner.saslLoginContext'));
  const learner = learnerLogin(section, jaasPath);
  if (!learner.ok) return learner;
  return ok({ server: server.value, learner: learner.value });
}

/** DigestLoginModule.initialize: the username and password options become the subject's public and private credentials. */
function learnerLogin(section: JaasSection, jaasPath: string): Result<LearnerLogin, string> {
  let found: LearnerLogin | undefined;
  for (const entry of section.entries) {
    if (/krb5|kerberos/i.test(entry.loginModule)) {
      return err(`the JAAS file ${jaasPath}, line ${entry.line}: ${entry.loginModule}: Kerberos (GSSAPI) between members is not implemented by this server, only DIGEST-MD5 with ${digestLoginModule}. Use DigestLoginModule or Apache ZooKeeper`);
    }
    if (entry.loginModule !== digestLoginModule) {
      return err(`the JAAS file ${jaasPath}, line ${entry.line}: login module ${entry.loginModule} is not implemented by this server; the '${section.name}' section must use ${digestLoginModule}`);
    }
    const userName = entry.options.get('username');
    const password = entry.options.get('password');
    if (userName === undefined || password === undefined) {
      return err(`the JAAS file ${jaasPath}, line ${entry.line}: the '${section.name}' section needs username="..." and password="..." (who this member is to the others)`);
    }
    found ??= { jaasPath, section: section.name, userName, password };
  }
  if (found === undefined) return err(`the JAAS file ${jaasPath}: the '${section.name}' section has no login module entry`);
  return ok(found);
}
