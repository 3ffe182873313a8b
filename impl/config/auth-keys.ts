// The authentication settings: the SASL provider, the JAAS file, the SASL
// super users and authentication enforcement. ZooKeeper 3.8 reads all of them
// as Java system properties (ProviderRegistry, ServerCnxnFactory.
// configureSaslLogin, ZooKeeperServer.isSaslSuperUser, AuthenticationHelper),
// which an operator sets either as `-Dzookeeper.KEY=VALUE` in SERVER_JVMFLAGS
// or as `KEY=VALUE` in zoo.cfg (QuorumPeerConfig turns an unknown zoo.cfg key
// into the property `zookeeper.KEY`). Both are read here, zoo.cfg winning as
// it does in ZooKeeper (it sets the property after the JVM started):
//
//   authProvider.N=org.apache.zookeeper.server.auth.SASLAuthenticationProvider
//   sessionRequireClientSASLAuth=true        (enforce.auth.enabled + schemes=sasl)
//   enforce.auth.enabled=true, enforce.auth.schemes=sasl,digest
//   superUser=NAME, superUser.X=NAME         (zookeeper.superUser[.X])
//   sasl.serverconfig=Server                 (zookeeper.sasl.serverconfig)
//   java.security.auth.login.config=PATH     (ours: the JVM property, as a zoo.cfg key)
//
// Each is accepted with or without the `zookeeper.` prefix. authProvider.N
// with another class is left to zookeeper-keys.ts (the built-in digest and ip
// providers are accepted there, anything else refused).

import { z } from 'zod';
import { withoutZookeeperPrefix } from './properties.ts';

/** zoo-cfg.ts's ConfigError, by shape (zoo-cfg.ts imports this file). */
type ConfigError = { readonly key: string; readonly value: string; readonly line: number | undefined; readonly message: string };

export const saslProviderClass = 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider';

/** The guide's names of the settings implemented here, for the key table. */
export const authKeyNames: readonly string[] = ['authProvider', 'sessionRequireClientSASLAuth', 'enforce.auth.enabled', 'enforce.auth.schemes', 'zookeeper.superUser', 'sasl.serverconfig', 'java.security.auth.login.config'];

export type AuthSettings = {
  /** authProvider.N=...SASLAuthenticationProvider: the `sasl` ACL scheme is known. */
  readonly saslProvider: boolean;
  /** java.security.auth.login.config: the JAAS file, from zoo.cfg or the JVM flags. */
  readonly jaasPath: string | undefined;
  /** zookeeper.sasl.serverconfig: the JAAS section (ZooKeeper's default: Server). */
  readonly saslServerSection: string | undefined;
  /** zookeeper.superUser and zookeeper.superUser.*: SASL users who get the `super` id. */
  readonly superUsers: readonly string[];
  /** AuthenticationHelper's enforceAuthSchemes; empty when enforcement is off. */
  readonly enforceAuthSchemes: readonly string[];
  /** AuthenticationHelper.isSaslAuthRequired: a failed SASL exchange answers SessionClosedRequireSaslAuth. */
  readonly saslAuthRequired: boolean;
};

export const noAuthSettings: AuthSettings = { saslProvider: false, jaasPath: undefined, saslServerSection: undefined, superUsers: [], enforceAuthSchemes: [], saslAuthRequired: false };

/** A setting as read: from zoo.cfg (with its line) or from the JVM flags (source names the variable). */
export type AuthProperty = { readonly key: string; readonly value: string; readonly line: number | undefined; readonly source: string };

// Boolean.parseBoolean would read anything but "true" as false; a typo in a security setting is refused instead.
const flag = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', 'yes', 'no'], 'true or false'))
  .transform((s) => s === 'true' || s === 'yes');
const nonEmpty = z.string().trim().min(1, 'a non-empty value');

const strip = withoutZookeeperPrefix;

/** Collects the authentication settings of one configuration; zoo.cfg's are read after the JVM flags', so they win. */
export class AuthKeys {
  private readonly providers = new Map<string, string>();
  private readonly superUsers = new Map<string, string>();
  private readonly values = new Map<string, AuthProperty>();
  private readonly parsedFlags = new Map<string, boolean>();

  /** Whether `key` is an authentication setting read here (it is then consumed, or its error recorded). */
  read(property: AuthProperty, errors: ConfigError[]): boolean {
    const key = strip(property.key);
    if (key.startsWith('authProvider.')) {
      if (property.value.trim() !== saslProviderClass) return false;
      this.providers.set(key, property.value.trim());
      return true;
    }
    if (key === 'superUser' || key.startsWith('superUser.')) {
      this.superUsers.set(key, property.value.trim());
      return true;
    }
    if (key === 'sessionRequireClientSASLAuth' || key === 'enforce.auth.enabled') {
      const parsed = flag.safeParse(property.value);
      if (!parsed.success) {
        errors.push(invalid(property, 'true or false'));
        return true;
      }
      this.parsedFlags.set(key, parsed.data);
      return true;
    }
    if (key === 'enforce.auth.schemes' || key === 'sasl.serverconfig' || property.key === 'java.security.auth.login.config') {
      if (!nonEmpty.safeParse(property.value).success) {
        errors.push(invalid(property, 'a non-empty value'));
        return true;
      }
      this.values.set(property.key === 'java.security.auth.login.config' ? property.key : key, property);
      return true;
    }
    return false;
  }

  /** The settings, and AuthenticationHelper.validateConfiguredProperties's checks. */
  complete(errors: ConfigError[]): AuthSettings {
    const saslProvider = this.providers.size > 0;
    const requireSasl = this.parsedFlags.get('sessionRequireClientSASLAuth') === true;
    // AuthenticationHelper: sessionRequireClientSASLAuth=true means enforcement with the sasl scheme, whatever else is set.
    const enforce = requireSasl || this.parsedFlags.get('enforce.auth.enabled') === true;
    const schemesProperty = this.values.get('enforce.auth.schemes');
    const enforceAuthSchemes = !enforce
      ? []
      : requireSasl
        ? ['sasl']
        : (schemesProperty?.value.split(',').map((s) => s.trim()) ?? []).filter((s) => s !== '');
    if (enforce && enforceAuthSchemes.length === 0) {
      errors.push({ key: 'enforce.auth.schemes', value: '', line: undefined, message: 'zookeeper.enforce.auth.enabled is true zookeeper.enforce.auth.schemes must be configured.' });
    }
    const available = new Set(['digest', 'ip', ...(saslProvider ? ['sasl'] : [])]);
    for (const scheme of enforceAuthSchemes) {
      if (available.has(scheme)) continue;
      const hint = scheme === 'sasl' ? `: set authProvider.1=${saslProviderClass}` : '';
      errors.push({ key: requireSasl ? 'sessionRequireClientSASLAuth' : 'enforce.auth.schemes', value: scheme, line: undefined, message: `Authentication scheme ${scheme} is not available${hint}` });
    }
    return {
      saslProvider,
      jaasPath: this.values.get('java.security.auth.login.config')?.value.trim(),
      saslServerSection: this.values.get('sasl.serverconfig')?.value.trim(),
      superUsers: [...new Set(this.superUsers.values())].filter((u) => u !== ''),
      enforceAuthSchemes,
      saslAuthRequired: enforceAuthSchemes.includes('sasl'),
    };
  }
}

function invalid(property: AuthProperty, expected: string): ConfigError {
  const where = property.line === undefined ? property.source : `line ${property.line}`;
  return { key: property.key, value: property.value, line: property.line, message: `${where}: invalid ${property.key}=${JSON.stringify(property.value)}: expected ${expected}` };
}

/**
 * The `-Dname=value` system properties of the JVM flags zkServer.sh passes
 * (`JVMFLAGS="$SERVER_JVMFLAGS $JVMFLAGS"`, unquoted, so split on white space
 * with no quote removal; a later one wins, as on java's command line).
 */
export function jvmSystemProperties(environment: Readonly<Record<string, string | undefined>>): AuthProperty[] {
  const properties: AuthProperty[] = [];
  for (const variable of ['SERVER_JVMFLAGS', 'JVMFLAGS']) {
    for (const word of (environment[variable] ?? '').split(/\s+/)) {
      if (!word.startsWith('-D') || word.length <= 2) continue;
      const equals = word.indexOf('=');
      const key = equals === -1 ? word.slice(2) : word.slice(2, equals);
      properties.push({ key, value: equals === -1 ? '' : word.slice(equals + 1), line: undefined, source: `${variable} -D${key}` });
    }
  }
  return properties;
}
