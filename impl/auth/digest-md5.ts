// The server side of SASL DIGEST-MD5 (RFC 2831) as ZooKeeper 3.8 runs it:
// ZooKeeperSaslServer asks the JDK for Sasl.createSaslServer("DIGEST-MD5",
// "zookeeper", "zk-sasl-md5", null, SaslServerCallbackHandler), so the realm
// is the server name `zk-sasl-md5`, the digest-uri a client must send is
// `zookeeper/zk-sasl-md5`, the only quality of protection is `auth` (no
// integrity or confidentiality layer), and the JDK's DigestMD5Server decides
// what is accepted. This is that exchange as a pure state machine, one step per
// client token (ZooKeeperServer.processSasl calls evaluateResponse with each):
//
//   start      --empty token-->      challenged   (reply: the challenge)
//   challenged --digest-response-->  complete     (reply: rspauth=...), or failed
//   complete or failed --anything--> failed       (the JDK: "Server at illegal state")
//
// Every failure is a value with the reason the JDK would give; the caller
// answers AuthFailed and closes the connection. The challenge is byte for byte
// the JDK's (realm, nonce, charset=utf-8, algorithm=md5-sess: no qop
// directive, whose default is auth), checked against Java 17's
// DigestMD5Server in digest-md5.test.ts. The nonce is the caller's (random in
// the server, fixed in tests), so this file has no I/O and no randomness.

import { createHash, timingSafeEqual } from 'node:crypto';
import { assertNever } from '../../lib/assert.ts';
import { err, ok, type Result } from '../../lib/result.ts';

/** The JDK's DigestMD5Server refuses a digest-response of this many bytes or more. */
export const digestResponseBytesMax = 4096;

export type DigestMd5Settings = {
  /** `zookeeper`: the first half of the digest-uri. */
  readonly protocol: string;
  /** `zk-sasl-md5`: the realm offered, and the second half of the digest-uri. */
  readonly serverName: string;
  /** The password of a user of the JAAS Server section (SaslServerCallbackHandler's NameCallback and PasswordCallback); undefined when the user is unknown. */
  readonly passwordOf: (userName: string) => string | undefined;
};

export type DigestMd5State =
  | { readonly step: 'start' }
  | { readonly step: 'challenged'; readonly nonce: string }
  /** requestedAuthzid: the authzid the client asked for, if any (a quorum server authorizes only one equal to the user name). */
  | { readonly step: 'complete'; readonly authorizationId: string; readonly requestedAuthzid?: string | undefined }
  | { readonly step: 'failed' };

export const digestMd5Start: DigestMd5State = { step: 'start' };

export type DigestMd5Step = { readonly state: DigestMd5State; readonly token: Uint8Array };

/**
 * SaslServer.evaluateResponse: the next state and the token to send back, or
 * why the exchange failed (the state is then `failed` for good).
 * `nonce` is called once, for the challenge.
 */
export function evaluateResponse(state: DigestMd5State, response: Uint8Array, settings: DigestMd5Settings, nonce: () => string): Result<DigestMd5Step, string> {
  switch (state.step) {
    case 'start': {
      if (response.byteLength !== 0) return err('DIGEST-MD5 must not have an initial response');
      const challenged = { step: 'challenged', nonce: nonce() } as const;
      return ok({ state: challenged, token: Buffer.from(challenge(settings.serverName, challenged.nonce), 'utf8') });
    }
    case 'challenged': {
      const verified = verifyDigestResponse(response, state.nonce, settings);
      if (!verified.ok) return verified;
      return ok({ state: { step: 'complete', authorizationId: verified.value.authorizationId, requestedAuthzid: verified.value.requestedAuthzid }, token: Buffer.from(`rspauth=${verified.value.rspauth}`, 'utf8') });
    }
    case 'complete':
    case 'failed':
      return err('DIGEST-MD5: Server at illegal state');
    default:
      return assertNever(state);
  }
}

/** DigestMD5Server.generateChallenge with one realm, qop auth only and UTF-8: the exact bytes the JDK sends. */
export function challenge(realm: string, nonce: string): string {
  return `realm="${quote(realm)}",nonce="${quote(nonce)}",charset=utf-8,algorithm=md5-sess`;
}

const quote = (value: string) => value.replace(/(["\\])/g, '\\$1');

/** What a verified digest-response yields: who the client is, and the rspauth proving the server knew the password too. */
export type VerifiedResponse = { readonly userName: string; readonly authorizationId: string; readonly requestedAuthzid: string | undefined; readonly rspauth: string };

/** DigestMD5Server.validateClientResponse, in its order, with its reasons. */
export function verifyDigestResponse(response: Uint8Array, nonce: string, settings: DigestMd5Settings): Result<VerifiedResponse, string> {
  if (response.byteLength >= digestResponseBytesMax) return err(`DIGEST-MD5: Invalid digest response length. Got: ${response.byteLength} Expected < ${digestResponseBytesMax}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(response);
  } catch {
    return err('DIGEST-MD5: digest response is not UTF-8');
  }
  const parsed = parseDirectives(text);
  if (!parsed.ok) return parsed;
  const d = parsed.value;
  const charset = d.get('charset');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') return err(`DIGEST-MD5: digest response format violation. Unrecognised charset: ${charset}`);
  const userName = d.get('username');
  if (userName === undefined) return err('DIGEST-MD5: digest response format violation. Missing username.');
  const realm = d.get('realm') ?? '';
  if (d.has('realm') && realm !== settings.serverName) return err(`DIGEST-MD5: digest response format violation. Nonexistent realm: ${realm}`);
  if (d.get('nonce') !== nonce) return err('DIGEST-MD5: digest response format violation. Mismatched nonce.');
  const cnonce = d.get('cnonce');
  if (cnonce === undefined) return err('DIGEST-MD5: digest response format violation. Missing cnonce.');
  const nc = d.get('nc') ?? '';
  if (!/^[0-9a-fA-F]{8}$/.test(nc) || parseInt(nc, 16) !== 1) return err(`DIGEST-MD5: digest response format violation. Nonce count does not match: ${nc}`);
  const qop = d.get('qop') ?? 'auth';
  if (qop !== 'auth') return err(`DIGEST-MD5: digest response format violation. Invalid QOP: ${qop}`);
  const digestUri = d.get('digest-uri');
  if (digestUri === undefined) return err('DIGEST-MD5: digest response format violation. Missing digest-uri.');
  const slash = digestUri.indexOf('/');
  const uriProtocol = slash === -1 ? digestUri : digestUri.slice(0, slash);
  const uriHost = slash === -1 ? '' : digestUri.slice(slash + 1).split('/')[0]!;
  if (uriProtocol !== settings.protocol || uriHost.toLowerCase() !== settings.serverName.toLowerCase()) {
    return err(`DIGEST-MD5: digest response format violation. Mismatched URI: ${digestUri}; expecting: ${settings.protocol}/${settings.serverName}`);
  }
  const responseValue = d.get('response');
  if (responseValue === undefined || !/^[0-9a-f]{32}$/.test(responseValue)) return err('DIGEST-MD5: digest response format violation. Missing or malformed response value.');
  const password = settings.passwordOf(userName);
  if (password === undefined) return err(`DIGEST-MD5: cannot acquire password for ${userName} in realm : ${realm}`);
  const authzid = d.get('authzid');
  const digest = { userName, realm, password, nonce, cnonce, nc, qop, digestUri, authzid };
  const expected = responseValueOf(digest, 'AUTHENTICATE');
  if (!timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(responseValue, 'latin1'))) return err('DIGEST-MD5: digest response format violation. Mismatched response.');
  // SaslServerCallbackHandler.handleAuthorizeCallback authorizes every client and names it by its
  // authentication id (KerberosName's short name: the user name itself for a name without "/" or "@"), whatever authzid it asked for.
  return ok({ userName, authorizationId: userName, requestedAuthzid: authzid, rspauth: responseValueOf(digest, '') });
}

export type DigestInputs = {
  readonly userName: string;
  readonly realm: string;
  readonly password: string;
  readonly nonce: string;
  readonly cnonce: string;
  readonly nc: string;
  readonly qop: string;
  readonly digestUri: string;
  readonly authzid: string | undefined;
};

/**
 * RFC 2831 §2.1.2.1 response-value (method "AUTHENTICATE") or §2.1.3
 * rspauth (method ""), both over A1 of md5-sess:
 *   A1 = { H({username ":" realm ":" passwd}) ":" nonce ":" cnonce [":" authzid] }
 *   A2 = { method ":" digest-uri }   (qop auth)
 *   HEX(KD(HEX(H(A1)), {nonce ":" nc ":" cnonce ":" qop ":" HEX(H(A2))}))
 */
export function responseValueOf(inputs: DigestInputs, method: 'AUTHENTICATE' | ''): string {
  const { userName, realm, password, nonce, cnonce, nc, qop, digestUri, authzid } = inputs;
  const userRealmPassword = md5(Buffer.concat([credentialBytes(userName), colon, credentialBytes(realm), colon, credentialBytes(password)]));
  const a1Parts = [userRealmPassword, Buffer.from(`:${nonce}:${cnonce}`, 'utf8')];
  if (authzid !== undefined) a1Parts.push(Buffer.from(`:${authzid}`, 'utf8'));
  const hexA1 = md5(Buffer.concat(a1Parts)).toString('hex');
  const hexA2 = md5(Buffer.from(`${method}:${digestUri}`, 'utf8')).toString('hex');
  return md5(Buffer.from(`${hexA1}:${nonce}:${nc}:${cnonce}:${qop}:${hexA2}`, 'utf8')).toString('hex');
}

const colon = Buffer.from(':');
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();

/**
 * RFC 2831 §2.1.2.1: with charset=utf-8, user name, realm and password are
 * hashed in ISO 8859-1 when every character fits, else in UTF-8 (the JDK's
 * DigestMD5Base.stringToByte_8859_1).
 */
function credentialBytes(text: string): Buffer {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return Buffer.from(text, 'utf8');
  return Buffer.from(text, 'latin1');
}

/**
 * RFC 2831's `1#( name "=" ( token | quoted-string ) )`: comma-separated,
 * linear white space around separators, empty elements skipped, backslash
 * escapes in quoted strings. A directive given twice is refused (the JDK:
 * "Only one <name> allowed"); names are case-insensitive.
 */
export function parseDirectives(text: string): Result<Map<string, string>, string> {
  const directives = new Map<string, string>();
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /[ \t\r\n]/.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    while (text[i] === ',') {
      i++;
      skipSpace();
    }
    if (i >= text.length) return ok(directives);
    const nameStart = i;
    while (i < text.length && /[A-Za-z0-9-]/.test(text[i]!)) i++;
    const name = text.slice(nameStart, i).toLowerCase();
    skipSpace();
    if (name === '' || text[i] !== '=') return err(`DIGEST-MD5: digest response format violation. Malformed directive at offset ${nameStart}`);
    i++;
    skipSpace();
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return err(`DIGEST-MD5: digest response format violation. Unterminated quoted value of ${name}`);
        const c = text[i++]!;
        if (c === '"') break;
        if (c === '\\') {
          if (i >= text.length) return err(`DIGEST-MD5: digest response format violation. Unterminated quoted value of ${name}`);
          value += text[i++]!;
        } else {
          value += c;
        }
      }
    } else {
      const start = i;
      while (i < text.length && !/[ \t\r\n,]/.test(text[i]!)) i++;
      value = text.slice(start, i);
    }
    if (directives.has(name)) return err(`DIGEST-MD5: digest response format violation. Only one ${name} allowed`);
    directives.set(name, value);
    skipSpace();
    if (i < text.length && text[i] !== ',') return err(`DIGEST-MD5: digest response format violation. Expected "," after ${name}`);
  }
}
