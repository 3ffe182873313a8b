// SASL DIGEST-MD5 between members (quorum.auth.enableSasl), as QuorumPeer.
// initialize sets it up: a SaslQuorumAuthServer over the JAAS QuorumServer
// section's users and a SaslQuorumAuthLearner over the QuorumLearner
// section's username and password, with QuorumAuth's names: protocol
// `zookeeper-quorum`, server name and realm `zk-quorum-sasl-md5`. The exchange
// on the wire is impl/quorum/quorum-auth.ts; DIGEST-MD5 itself is
// impl/auth (the server side the client port uses, and the client side).
//
// A learner is authorized when it asked for no other authorization id than its
// user name (SaslQuorumServerCallbackHandler.handleAuthorizeCallback for
// DIGEST-MD5: authenticationID.equals(authorizationID)); ZooKeeper's
// authorized-hosts check applies to Kerberos only, which is refused at start.

import { randomBytes } from 'node:crypto';
import { digestMd5ClientStart, evaluateChallenge, type DigestMd5ClientState } from '../auth/digest-md5-client.ts';
import { digestMd5Start, evaluateResponse, type DigestMd5State } from '../auth/digest-md5.ts';
import type { QuorumLogins } from '../auth/quorum-login.ts';
import type { QuorumAuthSettings } from '../config/quorum-auth-keys.ts';
import { QuorumAuthenticator, type SaslClientExchange, type SaslServerExchange } from '../quorum/quorum-auth.ts';

/** QuorumAuth.QUORUM_SERVER_PROTOCOL_NAME and QUORUM_SERVER_SASL_DIGEST. */
export const quorumSaslProtocol = 'zookeeper-quorum';
export const quorumSaslServerName = 'zk-quorum-sasl-md5';

/** The member's authenticator, or undefined with quorum.auth.enableSasl=false (nothing changes on the wire). */
export function quorumAuthenticator(settings: QuorumAuthSettings, logins: QuorumLogins | undefined, timeoutMs: number): QuorumAuthenticator | undefined {
  if (!settings.enableSasl || logins === undefined) return undefined;
  return new QuorumAuthenticator({
    learnerRequireSasl: settings.learnerRequireSasl,
    serverRequireSasl: settings.serverRequireSasl,
    newServerExchange: () => digestServerExchange(logins),
    newClientExchange: () => digestClientExchange(logins),
    timeoutMs,
    exchangesMax: settings.cnxnThreadsSize,
  });
}

/** The JDK's DigestMD5Server nonce: 30 random bytes, base64. */
const randomNonce = () => randomBytes(30).toString('base64');

function digestServerExchange(logins: QuorumLogins): SaslServerExchange {
  const settings = { protocol: quorumSaslProtocol, serverName: quorumSaslServerName, passwordOf: (user: string) => logins.server.credentials.get(user) };
  let state: DigestMd5State = digestMd5Start;
  return {
    evaluateResponse(response) {
      const stepped = evaluateResponse(state, response, settings, randomNonce);
      if (!stepped.ok) {
        state = { step: 'failed' };
        return stepped;
      }
      state = stepped.value.state;
      if (state.step !== 'complete') return { ok: true, value: { token: stepped.value.token, complete: false } };
      if (state.requestedAuthzid !== undefined && state.requestedAuthzid !== state.authorizationId) {
        return { ok: false, error: `SASL authorization failed: ${state.authorizationId} may not act as ${state.requestedAuthzid}` };
      }
      return { ok: true, value: { token: stepped.value.token, complete: true, authorizationId: state.authorizationId } };
    },
  };
}

function digestClientExchange(logins: QuorumLogins): SaslClientExchange {
  const settings = { protocol: quorumSaslProtocol, serverName: quorumSaslServerName, userName: logins.learner.userName, password: logins.learner.password };
  let state: DigestMd5ClientState = digestMd5ClientStart;
  return {
    // DIGEST-MD5 has no initial response: the learner opens with an empty token.
    initialResponse: new Uint8Array(0),
    evaluateChallenge(challenge) {
      const stepped = evaluateChallenge(state, challenge, settings, randomNonce);
      if (!stepped.ok) {
        state = { step: 'failed' };
        return stepped;
      }
      state = stepped.value.state;
      return { ok: true, value: { token: stepped.value.token, complete: state.step === 'complete' } };
    },
  };
}
