// SASL between members: the quorum.auth.* keys as QuorumPeerConfig reads them
// from zoo.cfg (only there: ZooKeeper does not read them as system properties),
// with its defaults and its three checks:
//
//   quorum.auth.enableSasl=true                 build the SASL authenticators (else nothing changes on the wire)
//   quorum.auth.learnerRequireSasl=true         authenticate to every member this one connects to
//   quorum.auth.serverRequireSasl=true          refuse a member that does not authenticate
//   quorum.auth.learner.saslLoginContext=QuorumLearner   the JAAS sections (auth/quorum-login.ts)
//   quorum.auth.server.saslLoginContext=QuorumServer
//   quorum.auth.kerberos.servicePrincipal=zkquorum/localhost   GSSAPI only, which is refused
//
// The JAAS file is the one the client port's SASL reads (auth-keys.ts:
// java.security.auth.login.config in zoo.cfg or in SERVER_JVMFLAGS).

import { z } from 'zod';
import { defaultQuorumLearnerSection, defaultQuorumServerSection } from '../auth/quorum-login.ts';

/** zoo-cfg.ts's ConfigError, by shape (zoo-cfg.ts imports this file). */
type ConfigError = { readonly key: string; readonly value: string; readonly line: number | undefined; readonly message: string };
type Property = { readonly key: string; readonly value: string; readonly line: number };

export type QuorumAuthSettings = {
  readonly enableSasl: boolean;
  readonly learnerRequireSasl: boolean;
  readonly serverRequireSasl: boolean;
  readonly learnerLoginContext: string;
  readonly serverLoginContext: string;
  /** quorum.cnxn.threads.size: SASL exchanges in progress at once (ZooKeeper: 20, or more when set higher). */
  readonly cnxnThreadsSize: number;
};

export const quorumAuthOff: QuorumAuthSettings = {
  enableSasl: false,
  learnerRequireSasl: false,
  serverRequireSasl: false,
  learnerLoginContext: defaultQuorumLearnerSection,
  serverLoginContext: defaultQuorumServerSection,
  cnxnThreadsSize: 20,
};

const enableSasl = 'quorum.auth.enableSasl';
const learnerRequireSasl = 'quorum.auth.learnerRequireSasl';
const serverRequireSasl = 'quorum.auth.serverRequireSasl';
const servicePrincipal = 'quorum.auth.kerberos.servicePrincipal';

/** The keys read here, for the key table. */
export const quorumAuthKeyNames: readonly string[] = [enableSasl, learnerRequireSasl, serverRequireSasl, 'quorum.auth.learner.saslLoginContext', 'quorum.auth.server.saslLoginContext', servicePrincipal, 'quorum.cnxn.threads.size'];

// QuorumPeerConfig.parseBoolean: true or false in any case, anything else refused.
const javaBoolean = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['true', 'false'], "'true' or 'false'"))
  .transform((s) => s === 'true');
const section = z.string().trim().regex(/^[\w.$-]+$/, 'a JAAS section name');
const threads = z.string().trim().regex(/^\d{1,9}$/, 'a positive integer').transform(Number).pipe(z.number().int().min(1));

export class QuorumAuthKeys {
  private settings: { -readonly [K in keyof QuorumAuthSettings]: QuorumAuthSettings[K] } = { ...quorumAuthOff };
  private principal: Property | undefined;

  /** Whether `property` is one of the keys above (then read, or its error recorded). */
  read(property: Property, errors: ConfigError[]): boolean {
    const { key, value, line } = property;
    const fail = (expected: string) => errors.push({ key, value, line, message: `line ${line}: invalid ${key}=${JSON.stringify(value)}: expected ${expected}` });
    switch (key) {
      case enableSasl:
      case learnerRequireSasl:
      case serverRequireSasl: {
        const parsed = javaBoolean.safeParse(value);
        if (!parsed.success) fail("'true' or 'false'");
        else if (key === enableSasl) this.settings.enableSasl = parsed.data;
        else if (key === learnerRequireSasl) this.settings.learnerRequireSasl = parsed.data;
        else this.settings.serverRequireSasl = parsed.data;
        return true;
      }
      case 'quorum.auth.learner.saslLoginContext':
      case 'quorum.auth.server.saslLoginContext': {
        const parsed = section.safeParse(value);
        if (!parsed.success) fail('a JAAS section name');
        else if (key === 'quorum.auth.learner.saslLoginContext') this.settings.learnerLoginContext = parsed.data;
        else this.settings.serverLoginContext = parsed.data;
        return true;
      }
      case servicePrincipal:
        this.principal = property;
        return true;
      case 'quorum.cnxn.threads.size': {
        const parsed = threads.safeParse(value);
        // QuorumPeer.setQuorumCnxnThreadsSize: a value at or below the default leaves the default.
        if (!parsed.success) fail('a positive integer');
        else this.settings.cnxnThreadsSize = Math.max(quorumAuthOff.cnxnThreadsSize, parsed.data);
        return true;
      }
      default:
        return false;
    }
  }

  /** The settings after QuorumPeerConfig.parseProperties's checks; `warnings` gets what is read but has no effect. */
  complete(errors: ConfigError[], warnings: string[]): QuorumAuthSettings {
    const s = this.settings;
    const refuse = (key: string, message: string) => errors.push({ key, value: 'true', line: undefined, message });
    if (!s.enableSasl && s.serverRequireSasl) refuse(serverRequireSasl, `${enableSasl} is disabled, so cannot enable ${serverRequireSasl}`);
    if (!s.enableSasl && s.learnerRequireSasl) refuse(learnerRequireSasl, `${enableSasl} is disabled, so cannot enable ${learnerRequireSasl}`);
    // ZooKeeper: otherwise this member could not join a quorum of members like itself.
    if (!s.learnerRequireSasl && s.serverRequireSasl) refuse(serverRequireSasl, `${learnerRequireSasl} is disabled, so cannot enable ${serverRequireSasl}`);
    if (this.principal !== undefined) {
      warnings.push(`line ${this.principal.line}: ${servicePrincipal} names the Kerberos service of the members; only DIGEST-MD5 is implemented between members (a Kerberos JAAS section is refused), which does not use it`);
    }
    return { ...s };
  }
}
