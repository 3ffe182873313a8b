// The ZooKeeper 3.8 settings this server does not implement, and what it does
// when a zoo.cfg sets one (the team guide: "fail closed: a setting we do not
// implement that would weaken security or durability stops the server with a
// message naming it").
//
// - refused: ignoring the setting would leave the server less secure or less
//   durable than the operator asked for (it would listen in plaintext, skip an
//   authentication the operator requires, count a different quorum, ...). The
//   server does not start; the message names the key and why. A value that
//   means "off" (`sslQuorum=false`, `skipACL=no`) is accepted silently, since
//   ignoring it changes nothing.
// - warned: ignoring it only loses tuning, observability or a feature whose
//   absence a client sees as an error (never as weaker guarantees). The server
//   starts and says so.
//
// Keys are matched as written in zoo.cfg. ZooKeeper turns an unknown zoo.cfg
// key K into the Java system property `zookeeper.K` (QuorumPeerConfig.parse), and
// the Administrator's Guide documents some settings by their property name
// (`zookeeper.superUser`), so a key is looked up as written, with `zookeeper.`
// added, and with a leading `zookeeper.` removed (`zookeeper.ssl.keyStore.location`
// is refused as `ssl.keyStore.location` is).
//
// The list covers every setting of the 3.8.4 Administrator's Guide
// (zookeeperAdmin.md, "Configuration Parameters" to "Metrics Providers") that
// zoo-cfg.ts does not read, plus the keys QuorumPeerConfig reads that the guide
// leaves out; zookeeper-keys.test.ts holds the guide's list and checks it.

import { withoutZookeeperPrefix } from './properties.ts';

export type KeyDisposition = 'refused' | 'warned';

export type UnimplementedKey = {
  /** The key as the guide names it; with `prefix`, every key starting with it. */
  readonly key: string;
  readonly prefix?: true;
  readonly disposition: KeyDisposition;
  /** For a refused key: values that mean "off", accepted without a word (compared lower-cased). */
  readonly harmless?: readonly string[];
  /** Why it is refused or why ignoring it is harmless; the message completes "KEY: ". */
  readonly reason: string;
};

const kerberos = 'Kerberos (SASL GSSAPI) is not implemented by this server, only SASL DIGEST-MD5; clients would not be authenticated as configured. Remove it or use Apache ZooKeeper';
const quorumSasl = 'not a quorum.auth key ZooKeeper 3.8 reads (quorum.auth.enableSasl, quorum.auth.learnerRequireSasl, quorum.auth.serverRequireSasl, quorum.auth.learner.saslLoginContext, quorum.auth.server.saslLoginContext, quorum.auth.kerberos.servicePrincipal); a misspelt one would leave SASL between members off where it was meant on. Fix its name';
const throttle = 'request and connection throttling is not implemented; the server queues up to globalOutstandingLimit and maxClientCnxns per address instead';
const tuning = 'a performance tuning knob of ZooKeeper\'s implementation; this server has no equivalent, and ignoring it changes no guarantee';
const refuse = (key: string, reason: string, harmless?: readonly string[]): UnimplementedKey => (harmless === undefined ? { key, disposition: 'refused', reason } : { key, disposition: 'refused', reason, harmless });
const warn = (key: string, reason: string): UnimplementedKey => ({ key, disposition: 'warned', reason });
const off = ['false', 'no'];

export const unimplementedKeys: readonly UnimplementedKey[] = [
  // TLS: the client port's and the members' keys are read by tls-config.ts.
  { key: 'ssl.', prefix: true, disposition: 'refused', reason: 'this TLS setting is not implemented (the client port reads ssl.keyStore.*, ssl.trustStore.*, ssl.protocol, ssl.enabledProtocols, ssl.ciphersuites, ssl.clientAuth, ssl.hostnameVerification, and the members the same under ssl.quorum.); ignoring it could leave TLS weaker than configured. Remove it or use Apache ZooKeeper' },
  refuse('client.secure', 'zookeeper.client.secure is a client setting, not implemented as a server key; the server\'s TLS port is secureClientPort', off),
  refuse('sslQuorumReloadCertFiles', 'reloading the members\' key and trust stores when their files change is not implemented; a rotated (possibly revoked) certificate would stay in use until a restart. Remove it and restart the members after replacing the files', off),
  refuse('client.certReload', 'reloading the client port\'s key and trust stores when their files change is not implemented; a rotated (possibly revoked) certificate would stay in use until a restart. Remove it and restart the server after replacing the files', off),
  refuse('portUnification', 'accepting TLS and plaintext on the quorum ports (a rolling upgrade to sslQuorum) is not implemented; members would accept plaintext peers. Remove it: set sslQuorum=true on every member at once, or use Apache ZooKeeper', off),
  warn('netty.server.earlyDropSecureConnectionHandshakes', 'TLS handshakes are not counted against a limit here (no Netty); each is bounded by a 10 s handshake timeout'),
  warn('fips-mode', 'it only switches off ZooKeeper\'s custom hostname verification between members (3.8.2+); here ssl.quorum.hostnameVerification decides it'),
  // Authentication and authorisation.
  {
    key: 'authProvider',
    prefix: true,
    disposition: 'refused',
    harmless: ['org.apache.zookeeper.server.auth.digestauthenticationprovider', 'org.apache.zookeeper.server.auth.ipauthenticationprovider'],
    // X509AuthenticationProvider is read by tls-config.ts, SASLAuthenticationProvider by auth-keys.ts.
    reason: 'only the built-in digest, ip, x509 and SASL (DIGEST-MD5) authentication providers exist here; a custom provider would be missing and its clients unauthenticated. Remove it or use Apache ZooKeeper',
  },
  refuse('DigestAuthenticationProvider.enabled', 'the digest provider cannot be switched off here; clients could still authenticate with digest. Remove it or use Apache ZooKeeper', ['true', 'yes']),
  refuse('DigestAuthenticationProvider.digestAlg', 'only SHA1 digests are implemented; superDigest and digest ACLs would be checked with another algorithm than the operator chose', ['sha1', 'sha-1']),
  refuse('zookeeper.ensembleAuthName', 'the ensemble authentication provider is not implemented; clients of other ensembles would be accepted. Remove it or use Apache ZooKeeper'),
  { key: 'kerberos.', prefix: true, disposition: 'refused', harmless: off, reason: kerberos },
  // quorum-auth-keys.ts reads the six quorum.auth keys ZooKeeper knows; another one is a typo that would leave members unauthenticated.
  { key: 'quorum.auth.', prefix: true, disposition: 'refused', reason: quorumSasl },
  refuse('skipACL', 'this server always checks ACLs; it would refuse requests the operator meant to allow without checks. Remove it or use Apache ZooKeeper', off),
  refuse('audit.enable', 'the audit log is not implemented; operations would go unaudited. Remove it or use Apache ZooKeeper', off),
  warn('audit.impl.class', 'takes effect only with audit.enable=true, which is refused'),
  warn('enableEagerACLCheck', 'ACLs are checked before every write is applied either way; only where the check happens differs'),
  // Membership and quorums: ignoring these would make the server count a different quorum.
  refuse('dynamicConfigFile', 'dynamic configuration files are not read; this server would start without the membership written there (possibly standalone). Put the server.N lines in zoo.cfg'),
  refuse('group.', 'hierarchical quorums are not implemented; this server would count a simple majority instead of the groups and weights set'),
  refuse('weight.', 'hierarchical quorums are not implemented; this server would count a simple majority instead of the groups and weights set'),
  warn('oraclePath', 'the two-member quorum oracle is not implemented; this server always needs a majority, which is stricter'),
  warn('standaloneEnabled', 'a zoo.cfg with one server.N line runs standalone; the data is kept and synced the same way'),
  warn('reconfigEnabled', 'dynamic reconfiguration is not implemented; a reconfig request is answered as unimplemented'),
  warn('version', 'the dynamic-configuration version is not used (dynamic configuration is not implemented)'),
  warn('electionAlg', 'Fast Leader Election (3) is the only algorithm, as in ZooKeeper 3.8'),
  warn('multiAddress.', 'several addresses per server are not implemented; a server.N line with "|" is refused'),
  warn('quorumListenOnAllIPs', 'members listen on the address of their own server.N line'),
  warn('localSessionsEnabled', 'every session is a global session, which is what ZooKeeper does with this off; a member in read-only mode gives local sessions either way'),
  warn('localSessionsUpgradingEnabled', 'every session is a global session'),
  warn('syncEnabled', 'observers always log and fsync their txns, which is the default (true)'),
  // Storage: nothing here weakens fsync (forceSync is implemented).
  warn('snapSizeLimitInKb', 'the choice between DIFF and SNAP does not weigh snapshot size; a learner is still brought up to date'),
  warn('txnLogSizeLimitInKb', 'txn log files are rolled at snapshots only'),
  warn('commitLogCount', 'the leader keeps its own window of committed txns for DIFF'),
  warn('fsync.warningthresholdms', 'slow fsyncs are not logged separately; every write is still fsynced'),
  warn('snapshot.compression.method', 'snapshots are written uncompressed'),
  warn('snapshot.trust.empty', 'recovery replays the txn log whether or not a snapshot exists'),
  warn('jute.maxbuffer.extrasize', 'jute.maxbuffer is applied as the limit'),
  // Features a client sees as an error, not as weaker guarantees.
  warn('emulate353TTLNodes', 'the TTL encoding of ZooKeeper 3.5.3 is not read; TTL nodes use 3.5.4+\'s (extendedTypesEnabled)'),
  warn('observerMasterPort', 'observers follow the leader directly'),
  warn('connectToLearnerMasterLimit', 'observers follow the leader directly'),
  // Throttling and flow control.
  ...['clientPortListenBacklog', 'connectionMaxTokens', 'connectionTokenFillTime', 'connectionTokenFillCount', 'connectionFreezeTime', 'connectionDropIncrease', 'connectionDropDecrease', 'connectionDecreaseRatio', 'zookeeper.connection_throttle_weight_enabled', 'zookeeper.connection_throttle_global_session_weight', 'zookeeper.connection_throttle_local_session_weight', 'zookeeper.connection_throttle_renew_session_weight', 'requestThrottleLimit', 'requestThrottleStallTime', 'requestThrottleDropStale', 'requestStaleLatencyCheck', 'requestStaleConnectionCheck', 'zookeeper.request_throttler.shutdownTimeout', 'advancedFlowControlEnabled', 'largeRequestMaxBytes', 'largeRequestThreshold', 'outstandingHandshake.limit', 'throttledOpWaitTime', 'maxConcurrentSnapSyncs', 'maxConcurrentDiffSyncs'].map((key) => warn(key, throttle)),
  // Implementation tuning.
  ...['maxResponseCacheSize', 'maxGetChildrenResponseCacheSize', 'watchManagerName', 'watcherCleanThreadsNum', 'watcherCleanThreshold', 'watcherCleanIntervalInSeconds', 'maxInProcessingDeadWatchers', 'bitHashCacheSize', 'fastleader.minNotificationInterval', 'fastleader.maxNotificationInterval', 'flushDelay', 'maxWriteQueuePollTime', 'maxBatchSize', 'learner.closeSocketAsync', 'leader.closeSocketAsync', 'learner.asyncSending', 'forward_learner_requests_to_commit_processor_disabled', 'maxTimeToWaitForEpoch', 'quorumCnxnTimeoutMs', 'tcpKeepAlive', 'clientTcpKeepAlive', 'electionPortBindRetry', 'observer.reconnectDelayMs', 'observer.election.DelayMs', 'zookeeper.follower.skipLearnerRequestToNextProcessor', 'zookeeper.nio.numSelectorThreads', 'zookeeper.nio.numWorkerThreads', 'zookeeper.commitProcessor.numWorkerThreads', 'zookeeper.commitProcessor.maxReadBatchSize', 'zookeeper.commitProcessor.maxCommitBatchSize', 'zookeeper.messageTracker.BufferSize', 'zookeeper.messageTracker.Enabled'].map((key) => warn(key, tuning)),
  // Observability: the AdminServer (its HTTPS included) and the Prometheus provider are implemented (zoo-cfg.ts); not the provider's worker pools.
  ...['metricsProvider.numWorkerThreads', 'metricsProvider.maxQueueSize', 'metricsProvider.workerShutdownTimeoutMs'].map((key) => warn(key, 'the Prometheus provider records in the request path, without worker threads or a queue to tune')),
];

/** The entry for a key zoo-cfg.ts does not read; undefined when it is not a ZooKeeper setting at all. */
export function classifyUnimplementedKey(key: string): UnimplementedKey | undefined {
  const candidates = [key, `zookeeper.${key}`, withoutZookeeperPrefix(key)];
  for (const candidate of candidates) {
    const exact = unimplementedKeys.find((k) => !isPattern(k) && k.key === candidate);
    if (exact !== undefined) return exact;
    // The longest prefix wins (none overlap today; this keeps it so if one is added).
    const byPrefix = unimplementedKeys.filter((k) => isPattern(k) && candidate.startsWith(k.key)).sort((a, b) => b.key.length - a.key.length);
    if (byPrefix[0] !== undefined) return byPrefix[0];
  }
  return undefined;
}

const isPattern = (entry: UnimplementedKey) => entry.prefix === true || entry.key.endsWith('.');

/** Whether setting `entry` to `value` stops the server: a refused key, unless the value means "off". */
export function refuses(entry: UnimplementedKey, value: string): boolean {
  if (entry.disposition !== 'refused') return false;
  return !(entry.harmless ?? []).includes(value.trim().toLowerCase());
}

/** The key as docs/operations.md's table shows it (`ssl.*`, `group.x`). */
export function displayKey(entry: UnimplementedKey): string {
  if (entry.key === 'group.' || entry.key === 'weight.') return `${entry.key}x`;
  return entry.prefix === true ? `${entry.key}*` : entry.key;
}
