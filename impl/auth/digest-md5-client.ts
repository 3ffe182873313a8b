// The client side of SASL DIGEST-MD5 (RFC 2831) as the JDK's DigestMD5Client
// runs it for ZooKeeper: SecurityUtils.createSaslClient calls
// Sasl.createSaslClient({"DIGEST-MD5"}, username, protocol, serverName, null,
// handler), so the authorization id is the user name itself, the digest-uri is
// `protocol/serverName`, and the only quality of protection is `auth`. A
// member authenticating to another (SaslQuorumAuthLearner) uses it with
// protocol `zookeeper-quorum` and server name `zk-quorum-sasl-md5`.
//
//   start      --challenge-->  responded  (reply: the digest-response)
//   responded  --rspauth=...-->  complete (no reply: the server proved it knows the password), or failed
//   complete or failed --anything--> failed
//
// The response is byte for byte the JDK's (directive order, quoting, maxbuf),
// checked against exchanges recorded from Java 17 in digest-md5-client.test.ts.
// The cnonce is the caller's (random in a member, fixed in tests), so this
// file has no I/O and no randomness. The challenge is the peer's input: every
// failure is a value with the reason, never a throw.

import { timingSafeEqual } from 'node:crypto';
import { assertNever } from '../../lib/assert.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { parseDirectives, responseValueOf, type DigestInputs } from './digest-md5.ts';

/** The JDK's DigestMD5Client refuses a challenge of this many bytes or more (MAX_CHALLENGE_LENGTH). */
export const digestChallengeBytesMax = 2048;

export type DigestMd5ClientSettings = {
  readonly protocol: string;
  readonly serverName: string;
  readonly userName: string;
  readonly password: string;
};

export type DigestMd5ClientState =
  | { readonly step: 'start' }
  | { readonly step: 'responded'; readonly rspauth: string }
  | { readonly step: 'complete' }
  | { readonly step: 'failed' };

export const digestMd5ClientStart: DigestMd5ClientState = { step: 'start' };

/** The next state and the token to send, or undefined when nothing is to be sent (SaslClient.evaluateChallenge returning null). */
export type DigestMd5ClientStep = { readonly state: DigestMd5ClientState; readonly token: Uint8Array | undefined };

/** SaslClient.evaluateChallenge; `cnonce` is called once, for the response. */
export function evaluateChallenge(state: DigestMd5ClientState, challengeToken: Uint8Array, settings: DigestMd5ClientSettings, cnonce: () => string): Result<DigestMd5ClientStep, string> {
  switch (state.step) {
    case 'start':
      return respond(challengeToken, settings, cnonce);
    case 'responded': {
      const text = Buffer.from(challengeToken).toString('utf8');
      const directives = parseDirectives(text);
      const rspauth = directives.ok ? directives.value.get('rspauth') : undefined;
      if (rspauth === undefined) return err('DIGEST-MD5: Authentication failed. Expecting rspauth from the server');
      const matches = rspauth.length === state.rspauth.length && timingSafeEqual(Buffer.from(rspauth, 'latin1'), Buffer.from(state.rspauth, 'latin1'));
      if (!matches) return err('DIGEST-MD5: Mismatched response authentication from the server: it does not know our password');
      return ok({ state: { step: 'complete' }, token: undefined });
    }
    case 'complete':
    case 'failed':
      return err('DIGEST-MD5: Client at illegal state');
    default:
      return assertNever(state);
  }
}

/** DigestMD5Client.processChallenge and generateClientResponse for qop auth. */
function respond(challengeToken: Uint8Array, settings: DigestMd5ClientSettings, cnonce: () => string): Result<DigestMd5ClientStep, string> {
  if (challengeToken.byteLength === 0) return err('DIGEST-MD5: the server sent an empty challenge');
  if (challengeToken.byteLength >= digestChallengeBytesMax) return err(`DIGEST-MD5: Invalid digest-challenge length. Got: ${challengeToken.byteLength} Expected < ${digestChallengeBytesMax}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(challengeToken);
  } catch {
    return err('DIGEST-MD5: digest-challenge is not UTF-8');
  }
  const parsed = parseDirectives(text);
  if (!parsed.ok) return err(parsed.error.replace('digest response', 'digest-challenge'));
  const d = parsed.value;
  const nonce = d.get('nonce');
  if (nonce === undefined) return err('DIGEST-MD5: Digest-challenge format violation: Missing nonce');
  const algorithm = d.get('algorithm');
  if (algorithm?.toLowerCase() !== 'md5-sess') return err(`DIGEST-MD5: Digest-challenge format violation: algorithm must be md5-sess, not ${algorithm ?? 'missing'}`);
  const qops = (d.get('qop') ?? 'auth').split(',').map((q) => q.trim());
  if (!qops.includes('auth')) return err(`DIGEST-MD5: No common protection layer between client and server (the server offers ${qops.join(', ')})`);
  const charset = d.get('charset');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') return err(`DIGEST-MD5: Digest-challenge format violation: unrecognised charset ${charset}`);
  // One realm offered (ZooKeeper's servers offer their server name): the JDK takes it; several would need a RealmChoiceCallback, which ZooKeeper's handler answers with the default, the first.
  const realm = d.get('realm') ?? '';
  const inputs: DigestInputs = {
    userName: settings.userName,
    realm,
    password: settings.password,
    nonce,
    cnonce: cnonce(),
    nc: '00000001',
    qop: 'auth',
    digestUri: `${settings.protocol}/${settings.serverName}`,
    authzid: settings.userName,
  };
  const realmDirective = d.has('realm') ? `realm="${quote(realm)}",` : '';
  const response =
    `charset=utf-8,username="${quote(inputs.userName)}",${realmDirective}nonce="${quote(nonce)}",nc=${inputs.nc},cnonce="${quote(inputs.cnonce)}",` +
    `digest-uri="${quote(inputs.digestUri)}",maxbuf=65536,response=${responseValueOf(inputs, 'AUTHENTICATE')},qop=auth,authzid="${quote(inputs.userName)}"`;
  return ok({ state: { step: 'responded', rspauth: responseValueOf(inputs, '') }, token: Buffer.from(response, 'utf8') });
}

const quote = (value: string) => value.replace(/(["\\])/g, '\\$1');
