// TLS on the client port, as zoo.cfg sets it for ZooKeeper 3.8: secureClientPort,
// secureClientPortAddress, client.portUnification, serverCnxnFactory, the
// `ssl.*` keys ClientX509Util reads (X509Util with the prefix
// `zookeeper.ssl.`), and the x509 authentication provider
// (`authProvider.N=org.apache.zookeeper.server.auth.X509AuthenticationProvider`,
// `X509AuthenticationProvider.superUser`, `ssl.authProvider`).
//
// Parsing only: the files are read when the server starts (impl/security).
// ZooKeeper turns an unknown zoo.cfg key K into the system property
// `zookeeper.K` and its X509Util reads `zookeeper.ssl.*`, so `ssl.keyStore.location`
// is the spelling of zoo.cfg; `zookeeper.ssl.keyStore.location` is accepted too.
// Defaults are X509Util's (3.8): protocol TLSv1.2, enabledProtocols = [protocol],
// clientAuth need, hostnameVerification true, handshakeDetectionTimeoutMillis 5000.
//
// Fail closed: settings that would weaken security if ignored are refused by
// name (ssl.crl, ssl.ocsp, ssl.context.supplier.class, a TLS version older
// than 1.2, an authProvider other than x509 for certificates); secureClientPort
// without a key store is refused (ZooKeeper would start and fail every handshake).
// TLS between members (`sslQuorum`, `ssl.quorum.*`) is not read here: it is
// refused in zookeeper-keys.ts.

import { z } from 'zod';
import { withoutZookeeperPrefix, type Property } from './properties.ts';

export type ClientAuth = 'none' | 'want' | 'need';
/** KeyStoreFileType; undefined: from the file name, as KeyStoreFileType.fromPropertyValueOrFileName. */
export type StoreType = 'JKS' | 'PEM' | 'PKCS12' | 'BCFKS';

/** One key store or trust store setting, with the keys it came from (for messages). */
export type StoreSetting = {
  readonly location: string;
  /** ssl.*.password, or the file ssl.*.passwordPath names (read at start; it wins, as in X509Util). */
  readonly password: string;
  readonly passwordPath: string | undefined;
  readonly type: StoreType | undefined;
  /** `ssl.keyStore` or `ssl.trustStore`: the key prefix for messages. */
  readonly key: string;
};

/** What X509Util reads under one prefix (here `ssl.`). */
export type X509Settings = {
  readonly keyStore: StoreSetting | undefined;
  readonly trustStore: StoreSetting | undefined;
  /** ssl.protocol (SSLContext.getInstance): TLSv1.2 by default. */
  readonly protocol: TlsVersion;
  /** ssl.enabledProtocols; default [protocol]. */
  readonly enabledProtocols: readonly TlsVersion[];
  /** ssl.ciphersuites in Java's (IANA) names; undefined: X509Util's defaults. */
  readonly cipherSuites: readonly string[] | undefined;
  readonly hostnameVerification: boolean;
  readonly clientAuth: ClientAuth;
  readonly handshakeDetectionTimeoutMs: number;
};

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export type ClientTlsConfig = {
  /** secureClientPort; undefined: no TLS listener. */
  readonly secureClientPort: number | undefined;
  /** secureClientPortAddress; every interface by default (QuorumPeerConfig: new InetSocketAddress(secureClientPort)). */
  readonly secureClientPortAddress: string;
  /** client.portUnification: the plaintext client port also accepts TLS. */
  readonly portUnification: boolean;
  readonly x509: X509Settings;
  /** authProvider.N names X509AuthenticationProvider: certificates give `x509` ids (else ZooKeeper closes such connections). */
  readonly x509AuthProvider: boolean;
  /** X509AuthenticationProvider.superUser: this subject DN is also the `super` id. */
  readonly x509SuperUser: string | undefined;
};

/** sslQuorum and ssl.quorum.*: TLS between members (QuorumX509Util), mutual: each side shows its certificate. */
export type QuorumTlsConfig = {
  readonly sslQuorum: boolean;
  readonly x509: X509Settings;
};

export const x509AuthenticationProviderClass = 'org.apache.zookeeper.server.auth.X509AuthenticationProvider';
const nettyFactory = 'org.apache.zookeeper.server.NettyServerCnxnFactory';
const nioFactory = 'org.apache.zookeeper.server.NIOServerCnxnFactory';

/** The X509Util keys under `ssl.` this server reads (the guide's names). */
export const x509Keys = [
  'keyStore.location', 'keyStore.password', 'keyStore.passwordPath', 'keyStore.type',
  'trustStore.location', 'trustStore.password', 'trustStore.passwordPath', 'trustStore.type',
  'protocol', 'enabledProtocols', 'ciphersuites', 'hostnameVerification', 'clientAuth', 'handshakeDetectionTimeoutMillis',
  // Read so that they can be refused unless "off" (they would weaken security if ignored).
  'crl', 'ocsp', 'context.supplier.class',
] as const;

/** The zoo.cfg keys read here (besides `authProvider.N` naming the x509 provider). */
export const clientTlsKeys: readonly string[] = [
  'secureClientPort', 'secureClientPortAddress', 'client.portUnification', 'serverCnxnFactory',
  'X509AuthenticationProvider.superUser', 'ssl.authProvider', ...x509Keys.map((k) => `ssl.${k}`),
  'sslQuorum', ...x509Keys.map((k) => `ssl.quorum.${k}`),
];

/**
 * The key as this file names it when `property` is one of its settings, else
 * undefined. `zookeeper.` in front is accepted (the system property's name);
 * `authProvider.N` counts only when it names the x509 provider.
 */
export function clientTlsKey({ key, value }: Pick<Property, 'key' | 'value'>): string | undefined {
  const bare = withoutZookeeperPrefix(key);
  if (clientTlsKeys.includes(bare)) return bare;
  if (bare.startsWith('authProvider.') && value.trim() === x509AuthenticationProviderClass) return 'authProvider';
  return undefined;
}

const yesNo = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['yes', 'no', 'true', 'false'], 'true or false'))
  .transform((s) => s === 'yes' || s === 'true');
const portNumber = z.string().regex(/^\+?\d{1,5}$/, 'a port number (0..65535)').transform(Number).pipe(z.number().max(65535, 'a port number (0..65535)'));
const host = z.string().regex(/^[A-Za-z0-9.:_\-[\]%]+$/, 'a host name or IP address');
const clientAuthSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['none', 'want', 'need'], 'none, want or need'));
const storeType = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(['JKS', 'PEM', 'PKCS12', 'BCFKS'], 'JKS, PEM, PKCS12 or BCFKS'));
// Java's names; TLSv1 and TLSv1.1 are refused (deprecated, RFC 8996), as is SSLv3.
const tlsVersion = z.enum(['TLSv1.2', 'TLSv1.3'], 'TLSv1.2 or TLSv1.3 (older versions are refused: RFC 8996)');
const protocolSchema = z
  .string()
  // SSLContext.getInstance("TLS") enables every version the JVM supports: here 1.2 and 1.3.
  .transform((s) => (s === 'TLS' ? 'TLSv1.3' : s))
  .pipe(tlsVersion);
const versionList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p !== ''))
  .pipe(z.array(tlsVersion).min(1, 'at least one protocol'));
const cipherList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p !== ''))
  .pipe(z.array(z.string().regex(/^TLS_[A-Z0-9_]+$/, 'Java cipher suite names (TLS_...)')).min(1, 'at least one cipher suite'));
const positiveInt = z.string().regex(/^\+?\d{1,10}$/, 'a positive integer').transform(Number).pipe(z.number().min(1, 'a positive integer').max(2 ** 31 - 1));

type Values = Map<string, Property>;
/** zoo-cfg.ts's ConfigError (its shape, not an import: zoo-cfg.ts imports this file). */
type ConfigError = { readonly key: string; readonly value: string; readonly line: number | undefined; readonly message: string };

/** Parses the TLS settings of a zoo.cfg (`properties`: those `clientTlsKey` names, keyed by it); errors go to `errors`. */
export function parseTls(properties: Values, errors: ConfigError[], warnings: string[]): { readonly client: ClientTlsConfig; readonly quorum: QuorumTlsConfig } {
  const read: Read = <T>(key: string, schema: z.ZodType<T, string>): T | undefined => {
    const property = properties.get(key);
    if (property === undefined) return undefined;
    const parsed = schema.safeParse(property.value);
    if (parsed.success) return parsed.data;
    const shown = /password/i.test(key) ? '(not shown)' : property.value;
    const expected = parsed.error.issues.map((i) => i.message).join('; ');
    errors.push({ key: property.key, value: shown, line: property.line, message: `line ${property.line}: invalid ${property.key}=${JSON.stringify(shown)}: expected ${expected}` });
    return undefined;
  };
  const refuse = (key: string, reason: string) => {
    const property = properties.get(key)!;
    errors.push({ key: property.key, value: property.value, line: property.line, message: `line ${property.line}: ${property.key}: ${reason}` });
  };

  const authProviderName = read('ssl.authProvider', z.string());
  if (authProviderName !== undefined && authProviderName !== 'x509') refuse('ssl.authProvider', `only the x509 provider can authenticate client certificates here; "${authProviderName}" would not be consulted. Remove it or use Apache ZooKeeper`);

  const factory = read('serverCnxnFactory', z.string());
  if (factory !== undefined && factory !== nettyFactory && factory !== nioFactory) {
    warnings.push(`serverCnxnFactory=${factory} is not one of ZooKeeper's factories; this server has its own connection factory (TLS included) and ignores it`);
  }

  const x509 = parseX509('ssl.', properties, read, refuse);
  const secureClientPort = read('secureClientPort', portNumber);
  const portUnification = read('client.portUnification', yesNo) ?? false;
  const secureAddress = read('secureClientPortAddress', host);
  if (secureAddress !== undefined && secureClientPort === undefined) {
    // QuorumPeerConfig: "secureClientPortAddress is set but secureClientPort is not set".
    refuse('secureClientPortAddress', 'secureClientPortAddress is set but secureClientPort is not set');
  }
  if ((secureClientPort !== undefined || portUnification) && x509.keyStore === undefined) {
    const key = secureClientPort !== undefined ? 'secureClientPort' : 'client.portUnification';
    refuse(key, 'TLS needs the server\'s certificate and key: set ssl.keyStore.location (a PEM or PKCS12 file) and ssl.keyStore.password');
  }
  const client = {
    secureClientPort,
    secureClientPortAddress: secureAddress ?? '0.0.0.0',
    portUnification,
    x509,
    x509AuthProvider: properties.has('authProvider'),
    x509SuperUser: read('X509AuthenticationProvider.superUser', z.string().min(1, 'a subject DN')),
  };
  return { client, quorum: parseQuorumTls(properties, read, refuse) };
}

type Read = <T>(key: string, schema: z.ZodType<T, string>) => T | undefined;
type Refuse = (key: string, reason: string) => void;

/** sslQuorum and ssl.quorum.* (QuorumX509Util): mutual TLS on the election and quorum ports. */
function parseQuorumTls(properties: Values, read: Read, refuse: Refuse): QuorumTlsConfig {
  const sslQuorum = read('sslQuorum', yesNo) ?? false;
  const x509 = parseX509('ssl.quorum.', properties, read, refuse);
  if (sslQuorum && (x509.keyStore === undefined || x509.trustStore === undefined)) {
    refuse('sslQuorum', 'TLS between members needs each member\'s certificate and the CA that signed the others\': set ssl.quorum.keyStore.location and ssl.quorum.trustStore.location (PEM or PKCS12)');
  }
  return { sslQuorum, x509 };
}

/** What X509Util reads under `prefix` (ssl. or ssl.quorum.), with its defaults; settings it cannot honour refused. */
function parseX509(prefix: string, properties: Values, read: Read, refuse: Refuse): X509Settings {
  for (const key of [`${prefix}crl`, `${prefix}ocsp`]) {
    if (read(key, yesNo) === true) refuse(key, 'certificate revocation checking (CRL and OCSP) is not implemented; revoked certificates would be accepted. Remove it (or set it to false) or use Apache ZooKeeper');
  }
  const supplier = `${prefix}context.supplier.class`;
  if (properties.has(supplier)) refuse(supplier, `a Java SSLContext supplier class cannot be loaded by this server; its TLS would use other credentials than the class provides. Use ${prefix}keyStore.* and ${prefix}trustStore.* (PEM or PKCS12) instead`);
  const protocol = read(`${prefix}protocol`, protocolSchema) ?? 'TLSv1.2';
  return {
    keyStore: store(`${prefix}keyStore`, read),
    trustStore: store(`${prefix}trustStore`, read),
    protocol,
    enabledProtocols: read(`${prefix}enabledProtocols`, versionList) ?? [protocol],
    cipherSuites: read(`${prefix}ciphersuites`, cipherList),
    hostnameVerification: read(`${prefix}hostnameVerification`, yesNo) ?? true,
    clientAuth: read(`${prefix}clientAuth`, clientAuthSchema) ?? 'need',
    handshakeDetectionTimeoutMs: read(`${prefix}handshakeDetectionTimeoutMillis`, positiveInt) ?? 5000,
  };
}

/** ssl.keyStore.* or ssl.trustStore.*: undefined without a location (X509Util: "not specified"). */
function store(prefix: string, read: Read): StoreSetting | undefined {
  const location = read(`${prefix}.location`, z.string());
  const password = read(`${prefix}.password`, z.string()) ?? '';
  const passwordPath = read(`${prefix}.passwordPath`, z.string().min(1, 'a file path'));
  const type = read(`${prefix}.type`, storeType);
  if (location === undefined || location === '') return undefined;
  return { location, password, passwordPath, type, key: prefix };
}

/** Whether the client port listens in plaintext: unless only secureClientPort is set (ZooKeeper opens no port zoo.cfg does not name). */
export function plaintextClientPortEnabled(clientPortSet: boolean, tls: ClientTlsConfig): boolean {
  return clientPortSet || tls.secureClientPort === undefined;
}
