// Loading a server's configuration: zoo.cfg (required, as for ZooKeeper: it
// must at least say where the data goes) and, for an ensemble member, the `myid` file in dataDir
// that says which `server.N` line is this server (zookeeperAdmin, "Clustered
// Setup": "The myid file consists of a single line containing only the text of
// that machine's id").

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from '../../lib/result.ts';
import { configureQuorumLogins } from '../auth/quorum-login.ts';
import { configureSaslLogin } from '../auth/sasl-login.ts';
import { jvmSystemProperties } from './auth-keys.ts';
import { isStandalone, parseZooCfg, type ConfigError, type ZooKeeperConfig } from './zoo-cfg.ts';

export type LoadedConfig = {
  readonly config: ZooKeeperConfig;
  /** This server's id from dataDir/myid; undefined for a standalone server without one. */
  readonly myid: number | undefined;
  readonly warnings: readonly string[];
  /** The file read. */
  readonly path: string;
};

export type ReadText = (path: string) => Promise<string>;
const readText: ReadText = (path) => readFile(path, 'utf8');

/** Reads dataDir/myid: `undefined` when absent, an error when it holds anything but an id. */
export async function readMyid(dataDir: string, read: ReadText = readText): Promise<Result<number | undefined, string>> {
  const path = join(dataDir, 'myid');
  let text: string;
  try {
    text = await read(path);
  } catch (thrown) {
    const code = (thrown as { code?: unknown }).code;
    if (code === 'ENOENT') return ok(undefined);
    return err(`cannot read ${path}: ${typeof code === 'string' ? code : String(thrown)}`);
  }
  const trimmed = text.trim();
  if (!/^\d{1,18}$/.test(trimmed)) return err(`${path} must hold a server id (a non-negative integer), holds ${JSON.stringify(trimmed.slice(0, 40))}`);
  return ok(Number(trimmed));
}

/**
 * zoo.cfg, the authentication settings of the JVM flags in `environment`
 * (SERVER_JVMFLAGS and JVMFLAGS, as zkServer.sh passes them), the JAAS file
 * they name, and myid.
 */
export async function loadConfig(path: string, read: ReadText = readText, environment: Readonly<Record<string, string | undefined>> = {}): Promise<Result<LoadedConfig, readonly ConfigError[]>> {
  let text: string;
  try {
    text = await read(path);
  } catch (thrown) {
    const code = (thrown as { code?: unknown }).code;
    return err([{ key: '', value: path, line: undefined, message: `cannot read ${path}: ${typeof code === 'string' ? code : String(thrown)}` }]);
  }
  const parsed = parseZooCfg(text, jvmSystemProperties(environment));
  if (!parsed.ok) return parsed;
  let config: ZooKeeperConfig = parsed.value.config;
  const warnings = [...parsed.value.warnings];
  const { auth } = config;
  const sasl = await configureSaslLogin({ jaasPath: auth.jaasPath, serverSection: auth.saslServerSection, saslProvider: auth.saslProvider }, read);
  if (!sasl.ok) return err([{ key: 'java.security.auth.login.config', value: auth.jaasPath ?? '', line: undefined, message: sasl.error }]);
  warnings.push(...sasl.value.warnings);
  config = { ...config, saslLogin: sasl.value.login };
  const { quorumAuth } = config;
  if (quorumAuth.enableSasl && !isStandalone(config)) {
    const logins = await configureQuorumLogins({ jaasPath: auth.jaasPath, serverSection: quorumAuth.serverLoginContext, learnerSection: quorumAuth.learnerLoginContext }, read);
    if (!logins.ok) return err([{ key: 'quorum.auth.enableSasl', value: 'true', line: undefined, message: logins.error }]);
    config = { ...config, quorumLogins: logins.value };
  }

  const myid = await readMyid(config.dataDir, read);
  if (!myid.ok) return err([{ key: 'myid', value: '', line: undefined, message: myid.error }]);
  if (!isStandalone(config)) {
    if (myid.value === undefined) {
      return err([{ key: 'myid', value: '', line: undefined, message: `${join(config.dataDir, 'myid')} is missing: an ensemble member must know its server id` }]);
    }
    const self = config.servers.find((s) => s.id === myid.value);
    if (self === undefined) {
      const ids = config.servers.map((s) => s.id).join(', ');
      return err([{ key: 'myid', value: String(myid.value), line: undefined, message: `myid ${myid.value} matches no server.N line (servers: ${ids})` }]);
    }
    // EphemeralType.validateServerId: a TTL node's owner keeps the top byte 0xff, which a session id of server 255 would also have.
    if (config.treeFeatures.extendedTypesEnabled && self.id > 254) {
      return err([{ key: 'myid', value: String(self.id), line: undefined, message: `extendedTypesEnabled is true but Server ID is too large. Cannot be larger than 254 (myid ${self.id})` }]);
    }
    if (self.peerType !== config.peerType) {
      // QuorumPeerConfig logs the same and believes the server list.
      warnings.push(`peerType ${config.peerType} does not match server.${self.id} (${self.peerType}); using ${self.peerType}`);
      config = { ...config, peerType: self.peerType };
    }
  }
  return ok({ config, myid: myid.value, warnings, path });
}
