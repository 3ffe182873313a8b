// The DIGEST-MD5 server against RFC 2831's worked example and against
// exchanges recorded from Java 17's own DigestMD5Server and DigestMD5Client,
// set up as ZooKeeper 3.8 sets them up (server: Sasl.createSaslServer
// ("DIGEST-MD5", "zookeeper", "zk-sasl-md5", null, handler); client:
// Sasl.createSaslClient({"DIGEST-MD5"}, user, "zookeeper", "zk-sasl-md5",
// null, handler), which is what zkCli.sh's ZooKeeperSaslClient sends). Each
// recorded line is the JDK's output verbatim; the nonce is the one the JDK's
// server chose, so ours must accept the JDK client's response to it and
// answer with the JDK server's rspauth.

import { describe, expect, it } from 'vitest';
import { challenge, digestMd5Start, digestResponseBytesMax, evaluateResponse, parseDirectives, responseValueOf, verifyDigestResponse, type DigestMd5Settings, type DigestMd5State } from './digest-md5.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const text = (token: Uint8Array) => Buffer.from(token).toString('utf8');

const users: Record<string, string> = { bob: 'secret', 'zoë': 'pässwörd', carol: 'p€ss' };
const zookeeper: DigestMd5Settings = { protocol: 'zookeeper', serverName: 'zk-sasl-md5', passwordOf: (user) => users[user] };

type Recorded = { readonly nonce: string; readonly challenge: string; readonly response: string; readonly final: string; readonly user: string };

// `java Probe.java bob secret secret` and friends (the probe is described above), Java 17.0.15.
const recorded: readonly Recorded[] = [
  {
    user: 'bob',
    nonce: '19vCWq7U1LU1dd96hfEJwqttxcegThiUMog7CRan',
    challenge: 'realm="zk-sasl-md5",nonce="19vCWq7U1LU1dd96hfEJwqttxcegThiUMog7CRan",charset=utf-8,algorithm=md5-sess',
    response:
      'charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="19vCWq7U1LU1dd96hfEJwqttxcegThiUMog7CRan",nc=00000001,cnonce="CIJcqc+MHjplg52HEIGW4gQEEvvhg2Kw5wO5/Vqm",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=5138f9d588d5da1884eefea467b3e6f6,qop=auth,authzid="bob"',
    final: 'rspauth=8b6d4756426bfb65c6fd22c37915a411',
  },
  {
    // Every character of user and password fits ISO 8859-1: hashed in it, not in UTF-8.
    user: 'zoë',
    nonce: '39oE2bytqBwOE8Q6OH2fez/VJQ7G5SGUM1JAWJpe',
    challenge: 'realm="zk-sasl-md5",nonce="39oE2bytqBwOE8Q6OH2fez/VJQ7G5SGUM1JAWJpe",charset=utf-8,algorithm=md5-sess',
    response:
      'charset=utf-8,username="zoë",realm="zk-sasl-md5",nonce="39oE2bytqBwOE8Q6OH2fez/VJQ7G5SGUM1JAWJpe",nc=00000001,cnonce="IXrfMMLPQvytQs9kcYZF2gKyzFhsM4ZOydmxyYF6",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=7ebd76a1b377d2c32ab3fd787f10f8c7,qop=auth,authzid="zoë"',
    final: 'rspauth=0ff7b6c720a1c14fc169d1756b6cc1af',
  },
  {
    // "€" does not fit ISO 8859-1: the password is hashed in UTF-8 (recorded as user bob, password p€ss; replayed as carol below).
    user: 'carol',
    nonce: 'OpezOZfR6PNX/r3J31FZY2tItjMLiCLGI7sWgi+m',
    challenge: 'realm="zk-sasl-md5",nonce="OpezOZfR6PNX/r3J31FZY2tItjMLiCLGI7sWgi+m",charset=utf-8,algorithm=md5-sess',
    response:
      'charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="OpezOZfR6PNX/r3J31FZY2tItjMLiCLGI7sWgi+m",nc=00000001,cnonce="TSGu1RHFtrwdojuhT8GHXI0FbVwMQ0lcsfgRkHUa",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=80366e3ee3b4c8afce6b204b5cfb21ac,qop=auth,authzid="bob"',
    final: 'rspauth=22fd7a74f4a2df8bf34b2cc258316700',
  },
];

/** Runs the two steps of an exchange with a fixed nonce; returns the two tokens or the failure. */
function exchange(response: string, nonce: string, settings = zookeeper) {
  const first = evaluateResponse(digestMd5Start, new Uint8Array(0), settings, () => nonce);
  if (!first.ok) throw new Error(first.error);
  const second = evaluateResponse(first.value.state, bytes(response), settings, () => 'unused');
  return { challenge: text(first.value.token), second };
}

describe('RFC 2831 §4, the worked example', () => {
  const example = {
    userName: 'chris',
    realm: 'elwood.innosoft.com',
    password: 'secret',
    nonce: 'OA6MG9tEQGm2hh',
    cnonce: 'OA6MHXh6VqTrRk',
    nc: '00000001',
    qop: 'auth',
    digestUri: 'imap/elwood.innosoft.com',
    authzid: undefined,
  };

  it('gives its response-value and its rspauth', () => {
    expect(responseValueOf(example, 'AUTHENTICATE')).toBe('d388dad90d4bbd760a152321f2143af7');
    expect(responseValueOf(example, '')).toBe('ea40f60335c427b5527b84dbabcdfffd');
  });

  it('verifies the example client\'s response as an imap server of that realm', () => {
    const imap: DigestMd5Settings = { protocol: 'imap', serverName: 'elwood.innosoft.com', passwordOf: (user) => (user === 'chris' ? 'secret' : undefined) };
    const response =
      'charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",response=d388dad90d4bbd760a152321f2143af7,qop=auth';
    expect(verifyDigestResponse(bytes(response), 'OA6MG9tEQGm2hh', imap)).toEqual({ ok: true, value: { userName: 'chris', authorizationId: 'chris', rspauth: 'ea40f60335c427b5527b84dbabcdfffd' } });
  });
});

describe('what Java sends, as ZooKeeper 3.8 sets DIGEST-MD5 up', () => {
  it.each(recorded)('challenges as the JDK does and accepts its client ($user)', (r) => {
    const { challenge: sent, second } = exchange(r.response, r.nonce);
    expect(sent).toBe(r.challenge);
    // The third recording's client said "bob" with carol's password: the JDK server knew it as bob's.
    const settings = r.user === 'carol' ? { ...zookeeper, passwordOf: (u: string) => (u === 'bob' ? users['carol'] : undefined) } : zookeeper;
    const replayed = r.user === 'carol' ? evaluateResponse({ step: 'challenged', nonce: r.nonce }, bytes(r.response), settings, () => 'unused') : second;
    expect(replayed.ok).toBe(true);
    if (!replayed.ok) return;
    expect(text(replayed.value.token)).toBe(r.final);
    // The JDK client asks for its own name as the authorization id (authzid="bob").
    expect(replayed.value.state).toEqual({ step: 'complete', authorizationId: r.user === 'carol' ? 'bob' : r.user, requestedAuthzid: r.user === 'carol' ? 'bob' : r.user });
  });

  it('refuses the same response with the wrong password on file, and any token after the exchange ended', () => {
    const r = recorded[0]!;
    const wrong = exchange(r.response, r.nonce, { ...zookeeper, passwordOf: () => 'not-secret' }).second;
    expect(wrong).toEqual({ ok: false, error: 'DIGEST-MD5: digest response format violation. Mismatched response.' });
    const done: DigestMd5State = { step: 'complete', authorizationId: 'bob' };
    expect(evaluateResponse(done, new Uint8Array(0), zookeeper, () => 'n')).toEqual({ ok: false, error: 'DIGEST-MD5: Server at illegal state' });
    expect(evaluateResponse({ step: 'failed' }, bytes(r.response), zookeeper, () => 'n').ok).toBe(false);
  });
});

describe('refusals, each with the JDK\'s reason', () => {
  const r = recorded[0]!;
  const tampered = (from: string, to: string) => exchange(r.response.replace(from, to), r.nonce).second;

  it.each([
    ['an unknown user', 'username="bob"', 'username="mallory"', 'cannot acquire password for mallory'],
    ['another nonce', `nonce="${r.nonce}"`, 'nonce="replayed"', 'Mismatched nonce'],
    ['a second use of the nonce (nc 2)', 'nc=00000001', 'nc=00000002', 'Nonce count does not match'],
    ['another realm', 'realm="zk-sasl-md5"', 'realm="elsewhere"', 'Nonexistent realm: elsewhere'],
    ['another service in the digest-uri', 'digest-uri="zookeeper/zk-sasl-md5"', 'digest-uri="imap/zk-sasl-md5"', 'Mismatched URI'],
    ['integrity protection asked for', 'qop=auth', 'qop=auth-int', 'Invalid QOP: auth-int'],
    ['no cnonce', 'cnonce="CIJcqc+MHjplg52HEIGW4gQEEvvhg2Kw5wO5/Vqm",', '', 'Missing cnonce'],
    ['a response value in upper case', 'response=5138f9d588d5da1884eefea467b3e6f6', 'response=5138F9D588D5DA1884EEFEA467B3E6F6', 'Missing or malformed response value'],
    ['a directive twice', 'maxbuf=65536', 'maxbuf=65536,maxbuf=1024', 'Only one maxbuf allowed'],
    ['another authzid than the one hashed', 'authzid="bob"', 'authzid="root"', 'Mismatched response'],
    ['an unterminated quoted string', 'authzid="bob"', 'authzid="bob', 'Unterminated quoted value of authzid'],
  ])('%s', (_what, from, to, reason) => {
    const result = tampered(from, to);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(reason);
  });

  it('an initial response (the first token must be empty)', () => {
    expect(evaluateResponse(digestMd5Start, bytes(r.response), zookeeper, () => 'n')).toEqual({ ok: false, error: 'DIGEST-MD5 must not have an initial response' });
  });

  it('a response of 4096 bytes or more, and bytes that are not UTF-8', () => {
    const long = `${r.response},${'x'.repeat(digestResponseBytesMax)}="y"`;
    expect(verifyDigestResponse(bytes(long), r.nonce, zookeeper)).toMatchObject({ ok: false, error: expect.stringContaining('Invalid digest response length') });
    expect(verifyDigestResponse(new Uint8Array([0xff, 0xfe, 0x3d]), r.nonce, zookeeper)).toMatchObject({ ok: false, error: expect.stringContaining('not UTF-8') });
  });

  it('never throws on arbitrary bytes (seeded)', () => {
    const seed = 1313;
    let x = seed;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    for (let run = 0; run < 2000; run++) {
      const noise = new Uint8Array(next() % 200).map(() => next() & 0xff);
      // Splice noise into a valid response so the parser gets past its first checks.
      const at = next() % r.response.length;
      const input = Buffer.concat([bytes(r.response.slice(0, at)), noise, bytes(r.response.slice(at))]);
      const result = verifyDigestResponse(input, r.nonce, zookeeper);
      expect(typeof result.ok, `seed ${seed} run ${run}`).toBe('boolean');
    }
  });
});

describe('directives and the challenge', () => {
  it('parses tokens and quoted strings with escapes, white space and empty elements', () => {
    const parsed = parseDirectives(' a=1 , ,B = "x\\"y\\\\z",c="" ,');
    expect(parsed).toEqual({ ok: true, value: new Map([['a', '1'], ['b', 'x"y\\z'], ['c', '']]) });
  });

  it('quotes what it puts in quoted strings', () => {
    expect(challenge('r"e\\alm', 'n')).toBe('realm="r\\"e\\\\alm",nonce="n",charset=utf-8,algorithm=md5-sess');
    expect(parseDirectives(challenge('r"e\\alm', 'n'))).toMatchObject({ ok: true, value: new Map([['realm', 'r"e\\alm'], ['nonce', 'n'], ['charset', 'utf-8'], ['algorithm', 'md5-sess']]) });
  });
});
