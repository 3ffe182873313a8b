// zoo.cfg: the keys this server understands, their defaults, and validation.
//
// Defaults follow ZooKeeper 3.8 (QuorumPeerConfig, ZooKeeperServer, the
// zookeeperAdmin guide) except where our design differs on purpose:
// - none for dataDir and the listen address: as ZooKeeper, a zoo.cfg without
//   dataDir is refused ("dataDir is not set") and clientPortAddress defaults
//   to every interface (0.0.0.0: IPv4 only, where ZooKeeper's JVM binds the
//   dual-stack wildcard); tests and docs pass 127.0.0.1 explicitly; the
//   AdminServer is on by default on 0.0.0.0:8080, as ZooKeeper's, and test
//   configurations turn it off or put it on 127.0.0.1;
// - `4lw.commands.whitelist` defaults to `srvr` alone, and `srvr` is always
//   allowed, exactly as ZooKeeper 3.5.3+ does (FourLetterCommands.isEnabled:
//   "zkServer.sh depends on srvr"); `*` enables every known command;
// - keys ZooKeeper reads as Java system properties (forceSync, jute.maxbuffer,
//   globalOutstandingLimit, leaderServes, cnxTimeout, 4lw.commands.whitelist,
//   DigestAuthenticationProvider.superDigest, enforceQuota, extendedTypesEnabled,
//   digest.enabled) are plain zoo.cfg keys here; ZooKeeper accepts them in
//   zoo.cfg too, by turning unknown keys into `zookeeper.<key>` system
//   properties. znode.container.* are read here from zoo.cfg too, where
//   ZooKeeper reads them only as JVM system properties (-D, without the
//   `zookeeper.` prefix);
// - the boolean keys of ZooKeeperServer (enforceQuota, extendedTypesEnabled,
//   digest.enabled) take `true` or `false`; Boolean.parseBoolean would read
//   any other spelling as false, here it is an error.
// A ZooKeeper key not read here is refused when ignoring it would weaken
// security or durability (TLS, Kerberos, quorum SASL, skipACL, hierarchical
// quorums: zookeeper-keys.ts), else a warning. Unknown keys are warnings,
// returned to the caller, never printed here. An
// invalid value is an error naming the key, the value and what was expected;
// all errors of a file are reported together.

import { z } from 'zod';
import { assert } from '../../lib/assert.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import type { QuorumLogins } from '../auth/quorum-login.ts';
import type { SaslLogin } from '../auth/sasl-login.ts';
import { AuthKeys, authKeyNames, type AuthProperty, type AuthSettings } from './auth-keys.ts';
import { parseProperties, withoutZookeeperPrefix, type Property } from './properties.ts';
import { QuorumAuthKeys, quorumAuthKeyNames, type QuorumAuthSettings } from './quorum-auth-keys.ts';
import { parseServerLine, type PeerType, type ServerSpec } from './server-line.ts';
import { classifyUnimplementedKey, refuses } from './zookeeper-keys.ts';
import { clientTlsKey, clientTlsKeys, parseTls, plaintextClientPortEnabled, type ClientTlsConfig, type QuorumTlsConfig } from './tls-config.ts';

export type ZooKeeperConfig = {
  readonly tickTimeMs: number;
  readonly dataDir: string;
  /** Where the txn log goes; dataDir when not set. */
  readonly dataLogDir: string;
  readonly clientPort: number;
  readonly clientPortAddress: string;
  /** Connections allowed per client IP; 0 means no limit. */
  readonly maxClientCnxns: number;
  /** Client connections allowed in all (zookeeper.maxCnxns); 0 means no limit. */
  readonly maxCnxns: number;
  /** How long a connection may go without sending its ConnectRequest (zookeeper.nio.sessionlessCnxnTimeout). */
  readonly sessionlessCnxnTimeoutMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** Requests queued in the server before it stops reading from clients. */
  readonly globalOutstandingLimit: number;
  readonly snapCount: number;
  readonly snapRetainCount: number;
  /** 0: autopurge off. */
  readonly purgeIntervalHours: number;
  /** preAllocSize (KiB in zoo.cfg): txn log files grow in blocks of this many bytes; 0 turns it off; unset, storage's default (4 MiB). */
  readonly preAllocBytes?: number | undefined;
  /** The largest frame accepted from a client or peer (jute.maxbuffer). */
  readonly juteMaxBufferBytes: number;
  /** The four-letter words allowed, sorted; always contains `srvr`. */
  readonly fourLetterWordWhitelist: readonly string[];
  readonly forceSync: boolean;
  /** `super:<base64 sha1>` of DigestAuthenticationProvider.superDigest. */
  readonly superDigest: string | undefined;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  readonly leaderServes: boolean;
  readonly peerType: PeerType;
  readonly cnxTimeoutMs: number;
  /** SASL and authentication enforcement (auth-keys.ts). */
  readonly auth: AuthSettings;
  /** The JAAS section's DIGEST-MD5 users, read by load.ts at start (auth/sasl-login.ts); undefined without SASL. */
  readonly saslLogin: SaslLogin | undefined;
  /** SASL between members: the quorum.auth.* keys (quorum-auth-keys.ts). */
  readonly quorumAuth: QuorumAuthSettings;
  /** The JAAS QuorumServer and QuorumLearner sections, read by load.ts when quorum.auth.enableSasl=true (auth/quorum-login.ts). */
  readonly quorumLogins: QuorumLogins | undefined;
  /** `server.N` lines, sorted by id; empty for a standalone server. */
  readonly servers: readonly ServerSpec[];
  /** Whether clientPort listens: false when zoo.cfg sets secureClientPort and no clientPort (TLS only). */
  readonly clientPortEnabled: boolean;
  /** secureClientPort and the `ssl.*` keys (tls-config.ts). */
  readonly clientTls: ClientTlsConfig;
  /** sslQuorum and the `ssl.quorum.*` keys (tls-config.ts). */
  readonly quorumTls: QuorumTlsConfig;
  /** The zoo.cfg text as read (the AdminServer's initial_configuration). */
  readonly initialConfiguration: string;
  /** The AdminServer's admin.* settings; undefined when admin.enableServer=false. */
  readonly adminServer: AdminServerConfig | undefined;
  /** metricsProvider.*: the Prometheus endpoint when its className is set; undefined for the default provider (mntr only). */
  readonly prometheus: PrometheusConfig | undefined;
  /** Quotas, TTL nodes, containers and the tree digest (enforceQuota, extendedTypesEnabled, znode.container.*, digest.enabled). */
  readonly treeFeatures: TreeFeatureSettings;
  /** readonlymode.enabled: an ensemble member cut off from its quorum serves read-only clients (impl/ensemble/read-only-server.ts). */
  readonly readOnlyModeEnabled: boolean;
  /** replication.engine (ours): the consensus protocol between the members; only those in `availableEngines` start. */
  readonly replicationEngine: ReplicationEngine;
};

/** The consensus protocols an ensemble may be asked to run (issue #17): ZAB, Raft (impl/raft), Multi-Paxos. */
export const replicationEngines = ['zab', 'raft', 'multipaxos'] as const;
export type ReplicationEngine = (typeof replicationEngines)[number];

/**
 * The engines a member can run today. Another value of replication.engine is
 * refused at start (fail closed): running ZAB when the operator asked for Raft
 * would replicate under rules other than the ones they chose. `raft` joins
 * when impl/raft-member's driver serves clients end to end (issue #17).
 */
export const availableEngines: ReadonlySet<ReplicationEngine> = new Set(['zab']);

export type TreeFeatureSettings = {
  readonly enforceQuota: boolean;
  readonly extendedTypesEnabled: boolean;
  readonly digestEnabled: boolean;
  readonly containerCheckIntervalMs: number;
  readonly containerMaxPerMinute: number;
  readonly containerMaxNeverUsedIntervalMs: number;
};

/** ZooKeeper 3.8's defaults (ZooKeeperServer, EphemeralType, ContainerManager via ZooKeeperServerMain). */
export const treeFeatureDefaults: TreeFeatureSettings = {
  enforceQuota: false,
  extendedTypesEnabled: false,
  digestEnabled: true,
  containerCheckIntervalMs: 60_000,
  containerMaxPerMinute: 10_000,
  containerMaxNeverUsedIntervalMs: 0,
};

/**
 * admin.serverAddress, admin.serverPort, admin.commandURL, admin.idleTimeout (JettyAdminServer);
 * admin.forceHttps (HTTPS only) and admin.portUnification (HTTP and HTTPS on one port), which
 * take the AdminServer's certificate from the ssl.quorum.* stores (impl/security/admin-https.ts).
 */
export type AdminServerConfig = {
  readonly address: string;
  readonly port: number;
  readonly commandUrl: string;
  readonly idleTimeoutMs: number;
  readonly forceHttps: boolean;
  readonly portUnification: boolean;
};

/** metricsProvider.httpHost, httpPort, exportJvmInfo (PrometheusMetricsProvider). */
export type PrometheusConfig = { readonly host: string; readonly port: number; readonly exportJvmInfo: boolean };

/** metricsProvider.className values: ZooKeeper's default (mntr only) and the Prometheus provider. */
export const metricsProviderClasses = {
  default: 'org.apache.zookeeper.metrics.impl.DefaultMetricsProvider',
  prometheus: 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
} as const;

export type ConfigError = { readonly key: string; readonly value: string; readonly line: number | undefined; readonly message: string };

export type ParsedConfig = { readonly config: ZooKeeperConfig; readonly warnings: readonly string[] };

/** Every four-letter word ZooKeeper 3.8 knows (FourLetterCommands.cmd2String), for `*`. */
export const knownFourLetterWords = [
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro',
  'mntr', 'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs',
] as const;

export const configDefaults = {
  tickTimeMs: 3000, // ZooKeeperServer.DEFAULT_TICK_TIME
  clientPort: 2181,
  clientPortAddress: '0.0.0.0', // every interface, as ZooKeeper's InetSocketAddress(port)
  maxClientCnxns: 60,
  maxCnxns: 0, // ServerCnxnFactory.ZOOKEEPER_MAX_CONNECTION_DEFAULT
  sessionlessCnxnTimeoutMs: 10_000, // NIOServerCnxnFactory
  globalOutstandingLimit: 1000,
  snapCount: 100_000,
  snapRetainCount: 3,
  purgeIntervalHours: 0,
  juteMaxBufferBytes: 0xfffff, // BinaryInputArchive: 1 MiB - 1
  forceSync: true,
  leaderServes: true,
  peerType: 'participant' as PeerType,
  cnxTimeoutMs: 5000, // QuorumCnxManager
  adminServer: { address: '0.0.0.0', port: 8080, commandUrl: '/commands', idleTimeoutMs: 30_000, forceHttps: false, portUnification: false }, // JettyAdminServer
  prometheus: { host: '0.0.0.0', port: 7000, exportJvmInfo: true }, // PrometheusMetricsProvider
  minSnapCount: 2, // SyncRequestProcessor refuses fewer
  minSnapRetainCount: 3, // PurgeTxnLog
} as const;

// Value syntaxes, as zod schemas over the raw string.
const nonNegativeInt = z.string().regex(/^\+?\d{1,10}$/, 'a non-negative integer').transform(Number).pipe(z.number().max(2 ** 31 - 1, 'at most 2147483647'));
const positiveInt = nonNegativeInt.pipe(z.number().min(1, 'a positive integer'));
const portNumber = nonNegativeInt.pipe(z.number().max(65535, 'a port number (0..65535)'));
// jute.maxbuffer is read with Integer.getInteger, which also takes 0x hex.
const byteCount = z
  .string()
  .regex(/^(\d{1,10}|0[xX][0-9a-fA-F]{1,8})$/, 'a positive integer (decimal or 0x hex)')
  .transform(Number)
  .pipe(z.number().min(1, 'a positive integer').max(2 ** 31 - 1, 'at most 2147483647'));
const yesNo = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['yes', 'no', 'true', 'false'], 'yes or no'))
  .transform((s) => s === 'yes' || s === 'true');
const nonEmpty = z.string().min(1, 'a non-empty path');
const host = z.string().regex(/^[A-Za-z0-9.:_\-[\]%]+$/, 'a host name or IP address');
const peerTypeSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['participant', 'observer'], 'participant or observer'));
const superDigestSchema = z.string().regex(/^[^:]+:[A-Za-z0-9+/]{27}=$/, 'user:base64(sha1(user:password)), e.g. super:D/InIHSb7yEEbrWz8b9l71RjZJU=');
const whitelist = z.string();
// Boolean.parseBoolean, where anything but "true" is false; other spellings are refused here rather than read as false.
const javaBoolean = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['true', 'false'], 'true or false'))
  .transform((s) => s === 'true');
const replicationEngine = z.enum(replicationEngines, 'zab, raft or multipaxos');
const commandUrl = z.string().regex(/^\/[^\s?#]*$/, 'a URL path starting with /');
const metricsProviderClass = z.enum([metricsProviderClasses.default, metricsProviderClasses.prometheus], `${metricsProviderClasses.prometheus} or ${metricsProviderClasses.default}`);

type Draft = {
  -readonly [K in keyof ZooKeeperConfig]?: ZooKeeperConfig[K];
} & { dataLogDirSet?: string; minSessionTimeoutSet?: number; maxSessionTimeoutSet?: number; initLimitSet?: number; syncLimitSet?: number; whitelistText?: string } & {
  admin?: { enabled?: boolean; address?: string; port?: number; commandUrl?: string; idleTimeoutMs?: number; forceHttps?: boolean; portUnification?: boolean };
  metrics?: { className?: string; host?: string; port?: number; exportJvmInfo?: boolean };
};

type KeyRule = { readonly schema: z.ZodType<unknown, string>; readonly apply: (draft: Draft, value: never) => void };
const rule = <T>(schema: z.ZodType<T, string>, apply: (draft: Draft, value: T) => void): KeyRule => ({ schema, apply: apply as KeyRule['apply'] });

const keyRules: Record<string, KeyRule> = {
  tickTime: rule(positiveInt, (d, v) => (d.tickTimeMs = v)),
  dataDir: rule(nonEmpty, (d, v) => (d.dataDir = v)),
  dataLogDir: rule(nonEmpty, (d, v) => (d.dataLogDirSet = v)),
  clientPort: rule(portNumber, (d, v) => (d.clientPort = v)),
  clientPortAddress: rule(host, (d, v) => (d.clientPortAddress = v)),
  maxClientCnxns: rule(nonNegativeInt, (d, v) => (d.maxClientCnxns = v)),
  maxCnxns: rule(nonNegativeInt, (d, v) => (d.maxCnxns = v)),
  'nio.sessionlessCnxnTimeout': rule(positiveInt, (d, v) => (d.sessionlessCnxnTimeoutMs = v)),
  minSessionTimeout: rule(positiveInt, (d, v) => (d.minSessionTimeoutSet = v)),
  maxSessionTimeout: rule(positiveInt, (d, v) => (d.maxSessionTimeoutSet = v)),
  globalOutstandingLimit: rule(positiveInt, (d, v) => (d.globalOutstandingLimit = v)),
  snapCount: rule(positiveInt, (d, v) => (d.snapCount = v)),
  'autopurge.snapRetainCount': rule(positiveInt, (d, v) => (d.snapRetainCount = v)),
  'autopurge.purgeInterval': rule(nonNegativeInt, (d, v) => (d.purgeIntervalHours = v)),
  // FilePadding reads zookeeper.preAllocSize in KiB; a smaller block makes a full disk show sooner (impl/nemesis's disk full).
  preAllocSize: rule(nonNegativeInt, (d, v) => (d.preAllocBytes = v * 1024)),
  'jute.maxbuffer': rule(byteCount, (d, v) => (d.juteMaxBufferBytes = v)),
  '4lw.commands.whitelist': rule(whitelist, (d, v) => (d.whitelistText = v)),
  forceSync: rule(yesNo, (d, v) => (d.forceSync = v)),
  'DigestAuthenticationProvider.superDigest': rule(superDigestSchema, (d, v) => (d.superDigest = v)),
  initLimit: rule(positiveInt, (d, v) => (d.initLimitSet = v)),
  syncLimit: rule(positiveInt, (d, v) => (d.syncLimitSet = v)),
  leaderServes: rule(yesNo, (d, v) => (d.leaderServes = v)),
  peerType: rule(peerTypeSchema, (d, v) => (d.peerType = v)),
  cnxTimeout: rule(positiveInt, (d, v) => (d.cnxTimeoutMs = v)),
  enforceQuota: rule(javaBoolean, (d, v) => setTreeFeature(d, 'enforceQuota', v)),
  extendedTypesEnabled: rule(javaBoolean, (d, v) => setTreeFeature(d, 'extendedTypesEnabled', v)),
  'digest.enabled': rule(javaBoolean, (d, v) => setTreeFeature(d, 'digestEnabled', v)),
  // ZooKeeper reads it only as the JVM property (-Dreadonlymode.enabled=true, systemProperty below); a zoo.cfg key here too.
  'readonlymode.enabled': rule(javaBoolean, (d, v) => (d.readOnlyModeEnabled = v)),
  'replication.engine': rule(replicationEngine, (d, v) => (d.replicationEngine = v)),
  'znode.container.checkIntervalMs': rule(positiveInt, (d, v) => setTreeFeature(d, 'containerCheckIntervalMs', v)),
  'znode.container.maxPerMinute': rule(positiveInt, (d, v) => setTreeFeature(d, 'containerMaxPerMinute', v)),
  'znode.container.maxNeverUsedIntervalMs': rule(nonNegativeInt, (d, v) => setTreeFeature(d, 'containerMaxNeverUsedIntervalMs', v)),
  // The AdminServer and the metrics provider (impl/admin/admin-server.ts, impl/observability/prometheus.ts).
  'admin.enableServer': rule(yesNo, (d, v) => ((d.admin ??= {}).enabled = v)),
  'admin.serverAddress': rule(host, (d, v) => ((d.admin ??= {}).address = v)),
  'admin.serverPort': rule(portNumber, (d, v) => ((d.admin ??= {}).port = v)),
  'admin.commandURL': rule(commandUrl, (d, v) => ((d.admin ??= {}).commandUrl = v)),
  'admin.idleTimeout': rule(positiveInt, (d, v) => ((d.admin ??= {}).idleTimeoutMs = v)),
  // JettyAdminServer reads both with Boolean.getBoolean.
  'admin.forceHttps': rule(javaBoolean, (d, v) => ((d.admin ??= {}).forceHttps = v)),
  'admin.portUnification': rule(javaBoolean, (d, v) => ((d.admin ??= {}).portUnification = v)),
  'metricsProvider.className': rule(metricsProviderClass, (d, v) => ((d.metrics ??= {}).className = v)),
  'metricsProvider.httpHost': rule(host, (d, v) => ((d.metrics ??= {}).host = v)),
  'metricsProvider.httpPort': rule(portNumber, (d, v) => ((d.metrics ??= {}).port = v)),
  'metricsProvider.exportJvmInfo': rule(yesNo, (d, v) => ((d.metrics ??= {}).exportJvmInfo = v)),
};

function setTreeFeature<K extends keyof TreeFeatureSettings>(draft: Draft, key: K, value: TreeFeatureSettings[K]): void {
  draft.treeFeatures = { ...(draft.treeFeatures ?? treeFeatureDefaults), [key]: value };
}

/** The keys read here, as written in zoo.cfg (besides `server.N`): docs/operations.md's "implemented" rows. */
export const implementedKeys: readonly string[] = [...Object.keys(keyRules), ...clientTlsKeys, ...authKeyNames, ...quorumAuthKeyNames];

/**
 * Parses the text of a zoo.cfg. `myid` is read separately (load.ts, readMyid).
 * `systemProperties` are the JVM flags' `-D` settings (auth-keys.ts,
 * jvmSystemProperties): the authentication ones are read, zoo.cfg winning.
 */
export function parseZooCfg(text: string, systemProperties: readonly AuthProperty[] = []): Result<ParsedConfig, readonly ConfigError[]> {
  const { properties, duplicates } = parseProperties(text);
  const warnings: string[] = duplicates.map((p) => `line ${p.line}: ${p.key} is set again later; the later value wins`);
  const errors: ConfigError[] = [];
  const draft: Draft = {};
  const serverLines: Property[] = [];
  const tlsProperties = new Map<string, Property>();
  const authKeys = new AuthKeys();
  const quorumAuthKeys = new QuorumAuthKeys();
  for (const property of systemProperties) systemProperty(property, authKeys, warnings, errors, draft);

  for (const property of properties) {
    const { key, value, line } = property;
    if (key.startsWith('server.')) {
      serverLines.push(property);
      continue;
    }
    const tlsKey = clientTlsKey(property);
    if (tlsKey !== undefined) {
      tlsProperties.set(tlsKey, property);
      continue;
    }
    if (authKeys.read({ ...property, source: `line ${line}` }, errors)) continue;
    if (quorumAuthKeys.read(property, errors)) continue;
    const keyRule = keyRules[key];
    if (keyRule === undefined) {
      unimplemented(property, warnings, errors);
      continue;
    }
    const parsed = keyRule.schema.safeParse(value);
    if (!parsed.success) {
      const expected = parsed.error.issues.map((i) => i.message).join('; ');
      errors.push({ key, value, line, message: `line ${line}: invalid ${key}=${JSON.stringify(value)}: expected ${expected}` });
      continue;
    }
    keyRule.apply(draft, parsed.data as never);
  }

  const servers: ServerSpec[] = [];
  for (const { key, value, line } of serverLines) {
    const idText = key.slice('server.'.length);
    if (!/^\d{1,18}$/.test(idText)) {
      errors.push({ key, value, line, message: `line ${line}: invalid ${key}: the server id after "server." must be a non-negative integer` });
      continue;
    }
    const parsed = parseServerLine(Number(idText), value);
    if (!parsed.ok) errors.push({ key, value, line, message: `line ${line}: invalid ${parsed.error}` });
    else servers.push(parsed.value);
  }
  servers.sort((a, b) => a.id - b.id);

  const tls = parseTls(tlsProperties, errors, warnings);
  adminHttpsNeedsKeyStore(draft, tls.quorum, properties, errors);
  const config = {
    ...complete(draft, servers, warnings, errors, properties),
    clientPortEnabled: plaintextClientPortEnabled(draft.clientPort !== undefined, tls.client),
    clientTls: tls.client,
    quorumTls: tls.quorum,
    auth: authKeys.complete(errors),
    saslLogin: undefined,
    quorumAuth: quorumAuthKeys.complete(errors, warnings),
    quorumLogins: undefined,
    initialConfiguration: text,
  };
  if (errors.length > 0) return err(errors);
  return ok({ config, warnings });
}

/**
 * JettyAdminServer takes its certificate from the ssl.quorum.* key store: HTTPS
 * without one is refused at start (ZooKeeper 3.8.0 would log the failure and run
 * without its AdminServer).
 */
function adminHttpsNeedsKeyStore(draft: Draft, quorumTls: QuorumTlsConfig, properties: readonly Property[], errors: ConfigError[]): void {
  if (draft.admin?.enabled === false || quorumTls.x509.keyStore !== undefined) return;
  for (const [key, field] of [['admin.forceHttps', 'forceHttps'], ['admin.portUnification', 'portUnification']] as const) {
    if (draft.admin?.[field] !== true) continue;
    const property = properties.filter((p) => p.key === key).at(-1)!;
    errors.push({ key, value: property.value, line: property.line, message: `line ${property.line}: ${key}: HTTPS on the AdminServer needs its certificate and key: set ssl.quorum.keyStore.location (a PEM or PKCS12 file) and ssl.quorum.keyStore.password, as for ZooKeeper's JettyAdminServer` });
  }
}

/** The JVM system property that turns read-only mode on in ZooKeeper (QuorumPeer.run). */
const readOnlyModeProperty = 'readonlymode.enabled';

/** A key not read here: refused when ignoring it would weaken security or durability (zookeeper-keys.ts), else a warning. */
function unimplemented({ key, value, line }: Property, warnings: string[], errors: ConfigError[]): void {
  const entry = classifyUnimplementedKey(key);
  if (entry === undefined) {
    warnings.push(`line ${line}: unknown key ${key}; ignored`);
    return;
  }
  if (refuses(entry, value)) {
    // Key stores' and trust stores' passwords must not reach the log.
    const shown = /password|secret/i.test(key) ? '(not shown)' : value;
    errors.push({ key, value: shown, line, message: `line ${line}: ${key}: ${entry.reason}` });
    return;
  }
  if (entry.disposition === 'warned') warnings.push(`line ${line}: ${key} is a ZooKeeper setting this server does not implement; ignored: ${entry.reason}`);
}

/**
 * A `-D` setting of the JVM flags: the authentication ones are read; another
 * ZooKeeper setting there is refused if zoo.cfg would refuse it, else ignored
 * with a warning (this server reads its other settings from zoo.cfg only).
 * Other JVM properties (logging, JMX) mean nothing here.
 */
function systemProperty(property: AuthProperty, authKeys: AuthKeys, warnings: string[], errors: ConfigError[], draft: Draft): void {
  if (authKeys.read(property, errors)) return;
  // QuorumPeer: Boolean.getBoolean("readonlymode.enabled"), the property without the zookeeper. prefix; zoo.cfg, read later, wins.
  if (property.key === readOnlyModeProperty) {
    const parsed = javaBoolean.safeParse(property.value);
    if (parsed.success) draft.readOnlyModeEnabled = parsed.data;
    else errors.push({ key: property.key, value: property.value, line: undefined, message: `${property.source}: invalid ${property.key}=${JSON.stringify(property.value)}: expected true or false` });
    return;
  }
  const key = withoutZookeeperPrefix(property.key);
  if (key === property.key) return;
  if (clientTlsKey({ key, value: property.value }) !== undefined) {
    // Ignoring a TLS setting could leave TLS weaker than the operator set it (ssl.enabledProtocols, say).
    errors.push({ key: property.key, value: /password/i.test(key) ? '(not shown)' : property.value, line: undefined, message: `${property.source}: this server reads the TLS settings from zoo.cfg only; move ${key}=... there` });
    return;
  }
  if ((key === 'admin.forceHttps' || key === 'admin.portUnification') && property.value.toLowerCase() === 'true') {
    // Ignored, it would leave the AdminServer on plain HTTP.
    errors.push({ key: property.key, value: property.value, line: undefined, message: `${property.source}: this server reads the AdminServer's HTTPS settings from zoo.cfg only; move ${key}=true there` });
    return;
  }
  const entry = classifyUnimplementedKey(key);
  if (entry !== undefined && refuses(entry, property.value)) {
    errors.push({ key: property.key, value: /password|secret/i.test(key) ? '(not shown)' : property.value, line: undefined, message: `${property.source}: ${entry.reason}` });
  } else if (entry !== undefined || keyRules[key] !== undefined) {
    warnings.push(`${property.source} is ignored: this server reads ${key} from zoo.cfg only; write ${key}=... there`);
  }
}

/** Defaults, derived values, and the checks that involve more than one key. */
function complete(draft: Draft, servers: ServerSpec[], warnings: string[], errors: ConfigError[], properties: readonly Property[]): Omit<ZooKeeperConfig, 'clientPortEnabled' | 'clientTls' | 'quorumTls' | 'auth' | 'saslLogin' | 'quorumAuth' | 'quorumLogins' | 'initialConfiguration'> {
  const lineOf = (key: string) => properties.find((p) => p.key === key)?.line;
  const fail = (key: string, value: string, message: string) => errors.push({ key, value, line: lineOf(key), message });

  const tickTimeMs = draft.tickTimeMs ?? configDefaults.tickTimeMs;
  // QuorumPeerConfig.parseProperties: `throw new IllegalArgumentException("dataDir is not set")`.
  if (lineOf('dataDir') === undefined) fail('dataDir', '', 'dataDir is not set: ZooKeeper has no default for it either; add dataDir=/path/to/data to zoo.cfg');
  const dataDir = draft.dataDir ?? '';
  // ZooKeeper: minSessionTimeout defaults to 2 ticks, maxSessionTimeout to 20 ticks.
  const minSessionTimeoutMs = draft.minSessionTimeoutSet ?? 2 * tickTimeMs;
  const maxSessionTimeoutMs = draft.maxSessionTimeoutSet ?? 20 * tickTimeMs;
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    fail('minSessionTimeout', String(minSessionTimeoutMs), `minSessionTimeout (${minSessionTimeoutMs} ms) must not be larger than maxSessionTimeout (${maxSessionTimeoutMs} ms)`);
  }

  let snapCount = draft.snapCount ?? configDefaults.snapCount;
  if (snapCount < configDefaults.minSnapCount) {
    warnings.push(`snapCount ${snapCount} is below ${configDefaults.minSnapCount}; using ${configDefaults.minSnapCount}`);
    snapCount = configDefaults.minSnapCount;
  }
  let snapRetainCount = draft.snapRetainCount ?? configDefaults.snapRetainCount;
  if (snapRetainCount < configDefaults.minSnapRetainCount) {
    // As ZooKeeper's QuorumPeerConfig: fewer than 3 retained snapshots is raised to 3 with a warning.
    warnings.push(`autopurge.snapRetainCount ${snapRetainCount} is below ${configDefaults.minSnapRetainCount}; using ${configDefaults.minSnapRetainCount}`);
    snapRetainCount = configDefaults.minSnapRetainCount;
  }

  const fourLetterWordWhitelist = parseWhitelist(draft.whitelistText, warnings, draft.readOnlyModeEnabled ?? false);

  const ids = new Set<number>();
  for (const server of servers) {
    if (ids.has(server.id)) fail(`server.${server.id}`, '', `server.${server.id} is listed twice`);
    ids.add(server.id);
  }
  // An ensemble needs the leader-follower time limits; ZooKeeper refuses to start without them too.
  if (servers.length > 1) {
    if (draft.initLimitSet === undefined) fail('initLimit', '', 'initLimit is not set (required with server.N lines)');
    if (draft.syncLimitSet === undefined) fail('syncLimit', '', 'syncLimit is not set (required with server.N lines)');
  }

  return {
    tickTimeMs,
    dataDir,
    dataLogDir: draft.dataLogDirSet ?? dataDir,
    clientPort: draft.clientPort ?? configDefaults.clientPort,
    clientPortAddress: draft.clientPortAddress ?? configDefaults.clientPortAddress,
    maxClientCnxns: draft.maxClientCnxns ?? configDefaults.maxClientCnxns,
    maxCnxns: draft.maxCnxns ?? configDefaults.maxCnxns,
    sessionlessCnxnTimeoutMs: draft.sessionlessCnxnTimeoutMs ?? configDefaults.sessionlessCnxnTimeoutMs,
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    globalOutstandingLimit: draft.globalOutstandingLimit ?? configDefaults.globalOutstandingLimit,
    snapCount,
    snapRetainCount,
    purgeIntervalHours: draft.purgeIntervalHours ?? configDefaults.purgeIntervalHours,
    preAllocBytes: draft.preAllocBytes,
    juteMaxBufferBytes: draft.juteMaxBufferBytes ?? configDefaults.juteMaxBufferBytes,
    fourLetterWordWhitelist,
    forceSync: draft.forceSync ?? configDefaults.forceSync,
    superDigest: draft.superDigest,
    initLimitTicks: draft.initLimitSet ?? 10,
    syncLimitTicks: draft.syncLimitSet ?? 5,
    leaderServes: draft.leaderServes ?? configDefaults.leaderServes,
    peerType: draft.peerType ?? configDefaults.peerType,
    cnxTimeoutMs: draft.cnxTimeoutMs ?? configDefaults.cnxTimeoutMs,
    servers,
    treeFeatures: draft.treeFeatures ?? treeFeatureDefaults,
    readOnlyModeEnabled: readOnlyMode(draft, servers, warnings),
    replicationEngine: engine(draft, fail),
    adminServer: adminServerConfig(draft.admin ?? {}),
    prometheus: draft.metrics?.className === metricsProviderClasses.prometheus ? prometheusConfig(draft.metrics) : undefined,
  };
}

function engine(draft: Draft, fail: (key: string, value: string, message: string) => void): ReplicationEngine {
  const chosen = draft.replicationEngine ?? 'zab';
  if (!availableEngines.has(chosen)) {
    const available = [...availableEngines].join(', ');
    fail('replication.engine', chosen, `replication.engine=${chosen} is not available in this version (available: ${available}); the server does not start rather than replicate with another engine than the one asked for`);
  }
  return chosen;
}

/** Read-only mode is an ensemble member's: ZooKeeperServerMain (standalone) ignores the setting, and so does this server, with a warning. */
function readOnlyMode(draft: Draft, servers: readonly ServerSpec[], warnings: string[]): boolean {
  const enabled = draft.readOnlyModeEnabled ?? false;
  if (enabled && servers.length <= 1) warnings.push('readonlymode.enabled=true has no effect on a standalone server (nor on ZooKeeper\'s): only an ensemble member cut off from its quorum serves read-only');
  return enabled;
}

/** admin.*, with ZooKeeper's defaults: on, on every interface, port 8080. */
function adminServerConfig(set: NonNullable<Draft['admin']>): AdminServerConfig | undefined {
  const { enabled, ...keys } = set;
  return enabled === false ? undefined : { ...configDefaults.adminServer, ...keys };
}

/** metricsProvider.*, with ZooKeeper's defaults for the keys a zoo.cfg leaves out. */
function prometheusConfig(set: NonNullable<Draft['metrics']>): PrometheusConfig {
  const d = configDefaults.prometheus;
  return { host: set.host ?? d.host, port: set.port ?? d.port, exportJvmInfo: set.exportJvmInfo ?? d.exportJvmInfo };
}

/**
 * As FourLetterCommands.isEnabled: comma-separated, trimmed, `*` for all, `srvr` always, and `isro` always in
 * read-only mode (a read-only Java client asks the servers `isro` to find a read-write one).
 */
function parseWhitelist(text: string | undefined, warnings: string[], readOnlyMode: boolean): readonly string[] {
  const enabled = new Set<string>(readOnlyMode ? ['srvr', 'isro'] : ['srvr']);
  for (const word of (text ?? '').split(',').map((w) => w.trim())) {
    if (word === '') continue;
    if (word === '*') {
      for (const known of knownFourLetterWords) enabled.add(known);
      continue;
    }
    if (!(knownFourLetterWords as readonly string[]).includes(word)) {
      warnings.push(`4lw.commands.whitelist: unknown four-letter word ${JSON.stringify(word)}; ignored`);
      continue;
    }
    enabled.add(word);
  }
  return [...enabled].sort();
}

/** ZooKeeper's defaults around a dataDir (tests that build a configuration without a file). */
export function defaultConfig(dataDir: string): ZooKeeperConfig {
  const parsed = parseZooCfg(`dataDir=${dataDir}\n`);
  assert(parsed.ok, 'a configuration with only dataDir must be valid');
  return parsed.value.config;
}

/** Standalone unless the file lists more than one server (ZooKeeper's standaloneEnabled=true default). */
export const isStandalone = (config: ZooKeeperConfig) => config.servers.length <= 1;
