// SASL on the client port and authentication enforcement, as ZooKeeper 3.8's
// ZooKeeperServer does them in processPacket:
// - processSasl: each connection has its own DIGEST-MD5 exchange
//   (ZooKeeperSaslServer, created with the connection; impl/auth/digest-md5.ts)
//   over the JAAS section's users. A token is answered with SetSASLResponse;
//   once the exchange completes the connection gets the `sasl` id of the user
//   (only when the SASL authentication provider is configured: without it no
//   ACL can name that id, and ZooKeeper's whoAmI is the only place it would
//   show) and, for a user named by zookeeper.superUser, the `super` id. A
//   failed exchange is answered AuthFailed, or SessionClosedRequireSaslAuth
//   when SASL is required, with a null token, and the connection is closed
//   (the Java client goes to AUTH_FAILED). With no SASL login configured a
//   token gets OK and a null token and the session stays unauthenticated, as
//   ZooKeeper's "cnxn.saslServer is null" path does; a null token gets the
//   same answer in ZooKeeper, whose handler then trips on it.
// - AuthenticationHelper.enforceAuthentication: with enforce.auth.enabled (or
//   sessionRequireClientSASLAuth), any request but auth and sasl from a
//   connection that has no id of the enforced schemes is answered
//   SessionClosedRequireSaslAuth (-124) and the connection is closed.

import { randomBytes } from 'node:crypto';
import { digestMd5Start, evaluateResponse, type DigestMd5Settings, type DigestMd5State } from '../auth/digest-md5.ts';
import { ErrorCode } from '../protocol/constants.ts';
import { decodeRecord, JuteWriter } from '../protocol/jute.ts';
import type * as R from '../protocol/records.ts';
import type { Connection } from './connection.ts';
import type { AuthenticationOptions } from './options.ts';
import type { PipelineParts } from './parts.ts';

export type { AuthenticationOptions } from './options.ts';

/** ZooKeeperSaslServer's fixed names: Sasl.createSaslServer("DIGEST-MD5", "zookeeper", "zk-sasl-md5", ...). */
const saslProtocol = 'zookeeper';
const saslServerName = 'zk-sasl-md5';

const nullToken = new JuteWriter(4).writeBuffer(undefined).toBytes();

/** The JDK's DigestMD5Server nonce: 30 random bytes in base64 (40 characters). */
const newNonce = () => randomBytes(30).toString('base64');

export class Authentication {
  /** Each connection's DIGEST-MD5 exchange, from its first token on. */
  private readonly exchanges = new WeakMap<Connection, DigestMd5State>();
  private readonly digest: DigestMd5Settings | undefined;
  private readonly saslProvider: boolean;
  private readonly superUsers: ReadonlySet<string>;
  private readonly enforceAuthSchemes: readonly string[];
  private readonly saslAuthRequired: boolean;

  constructor(
    private readonly parts: PipelineParts,
    options: AuthenticationOptions = {},
  ) {
    const credentials = options.saslCredentials;
    this.digest = credentials === undefined ? undefined : { protocol: saslProtocol, serverName: saslServerName, passwordOf: (user) => credentials.get(user) };
    this.saslProvider = options.providerSchemes?.includes('sasl') ?? false;
    this.superUsers = new Set(options.superUsers ?? []);
    this.enforceAuthSchemes = options.enforceAuthSchemes ?? [];
    this.saslAuthRequired = this.enforceAuthSchemes.includes('sasl');
  }

  /**
   * AuthenticationHelper.enforceAuthentication: true when the request may go
   * on; else it has been answered SessionClosedRequireSaslAuth and the
   * connection is closing.
   */
  enforce(connection: Connection, header: R.RequestHeader, startedAtMs: number): boolean {
    if (this.enforceAuthSchemes.length === 0) return true;
    if (connection.authIds.some((id) => this.enforceAuthSchemes.includes(id.scheme))) return true;
    const schemes = connection.authIds.map((id) => id.scheme).join(', ');
    this.parts.log('warn', `Client authentication scheme(s) [${schemes}] does not match with any of the expected authentication scheme [${this.enforceAuthSchemes.join(', ')}], closing session (connection ${connection.id})`);
    this.parts.queues.enqueue(connection, 0, () => {
      this.parts.replies.reply(connection, header, ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH, undefined, startedAtMs, 0n);
      this.parts.connections.close(connection.id, 'authentication required');
    });
    return false;
  }

  /** ZooKeeperServer.processSasl: one client token in, one SetSASLResponse out. */
  sasl(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    // GetSASLRequest's token, told apart from an empty one when null (length -1).
    const decoded = decodeRecord(body, (reader) => ({ token: reader.readNullableBuffer() ?? undefined }), true);
    if (!decoded.ok) {
      this.parts.connections.close(connection.id, `malformed SASL request (${body.byteLength} bytes)`);
      return;
    }
    const token = decoded.value.token;
    if (this.digest === undefined || token === undefined) {
      if (this.digest === undefined) this.parts.log('warn', `SASL request on connection ${connection.id} answered with no token: no SASL login is configured (no JAAS Server section); the session stays unauthenticated`);
      this.reply(connection, header, 0, nullToken, startedAtMs);
      return;
    }
    const state = this.exchanges.get(connection) ?? digestMd5Start;
    const step = evaluateResponse(state, token, this.digest, newNonce);
    if (!step.ok) {
      this.exchanges.set(connection, { step: 'failed' });
      this.failed(connection, header, step.error, startedAtMs);
      return;
    }
    this.exchanges.set(connection, step.value.state);
    if (step.value.state.step === 'complete') this.authenticated(connection, step.value.state.authorizationId);
    this.reply(connection, header, 0, new JuteWriter(8 + step.value.token.byteLength).writeBuffer(step.value.token).toBytes(), startedAtMs);
  }

  private authenticated(connection: Connection, authorizationId: string): void {
    const ids: R.Id[] = [];
    if (this.saslProvider) ids.push({ scheme: 'sasl', id: authorizationId });
    if (this.superUsers.has(authorizationId)) ids.push({ scheme: 'super', id: '' });
    for (const id of ids) if (!connection.authIds.some((a) => a.scheme === id.scheme && a.id === id.id)) connection.authIds.push(id);
    const session = connection.sessionId === undefined ? '' : ` (session 0x${connection.sessionId.toString(16)})`;
    this.parts.log('info', `connection ${connection.id}${session}: SASL authenticated ${authorizationId}${ids.length === 0 ? ' (no sasl id: the SASL authentication provider is not configured)' : `, ids ${ids.map((id) => `${id.scheme}:${id.id}`).join(' ')}`}`);
  }

  /** The exchange failed: AuthFailed (SessionClosedRequireSaslAuth when SASL is required) with a null token, then the connection closes. */
  private failed(connection: Connection, header: R.RequestHeader, reason: string, startedAtMs: number): void {
    const code = this.saslAuthRequired ? ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH : ErrorCode.AUTHFAILED;
    this.parts.log('warn', `Client ${connection.remoteAddress}:${connection.remotePort} failed to SASL authenticate: ${reason}; closing connection ${connection.id}`);
    this.parts.queues.enqueue(connection, 0, () => {
      this.parts.replies.reply(connection, header, code, nullToken, startedAtMs, 0n, true);
      this.parts.connections.close(connection.id, 'SASL authentication failed');
    });
  }

  private reply(connection: Connection, header: R.RequestHeader, err: number, response: Uint8Array, startedAtMs: number): void {
    this.parts.queues.enqueue(connection, 0, () => this.parts.replies.reply(connection, header, err, response, startedAtMs, 0n));
  }
}

/** What an entry point's configuration says (config/auth-keys.ts, auth/sasl-login.ts), by shape: this folder does not import config/. */
export type AuthenticationConfig = {
  readonly auth: { readonly saslProvider: boolean; readonly superUsers: readonly string[]; readonly enforceAuthSchemes: readonly string[] };
  readonly saslLogin: { readonly credentials: ReadonlyMap<string, string> } | undefined;
};

/** The pipeline's authentication options from a server's configuration. */
export function authenticationOptionsOf(config: AuthenticationConfig): AuthenticationOptions {
  return {
    ...(config.saslLogin === undefined ? {} : { saslCredentials: config.saslLogin.credentials }),
    providerSchemes: config.auth.saslProvider ? ['sasl'] : [],
    superUsers: config.auth.superUsers,
    enforceAuthSchemes: config.auth.enforceAuthSchemes,
  };
}
