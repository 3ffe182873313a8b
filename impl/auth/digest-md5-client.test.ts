// The DIGEST-MD5 client against the exchanges digest-md5.test.ts recorded from
// Java 17's DigestMD5Client (ZooKeeperSaslClient's setup): given the JDK
// server's challenge and the cnonce the JDK client chose, ours must send the
// JDK client's response byte for byte and accept the JDK server's rspauth. Then
// our client against our server, with the quorum's names, and the refusals.

import { describe, expect, it } from 'vitest';
import { digestMd5ClientStart, evaluateChallenge, type DigestMd5ClientSettings } from './digest-md5-client.ts';
import { digestMd5Start, evaluateResponse } from './digest-md5.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const text = (token: Uint8Array | undefined) => (token === undefined ? undefined : Buffer.from(token).toString('utf8'));

// From digest-md5.test.ts's `recorded` (Java 17.0.15): the challenge, the client's response (its cnonce inside) and the server's final token.
const recorded = [
  {
    user: 'bob',
    password: 'secret',
    challenge: 'realm="zk-sasl-md5",nonce="19vCWq7U1LU1dd96hfEJwqttxcegThiUMog7CRan",charset=utf-8,algorithm=md5-sess',
    cnonce: 'CIJcqc+MHjplg52HEIGW4gQEEvvhg2Kw5wO5/Vqm',
    response:
      'charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="19vCWq7U1LU1dd96hfEJwqttxcegThiUMog7CRan",nc=00000001,cnonce="CIJcqc+MHjplg52HEIGW4gQEEvvhg2Kw5wO5/Vqm",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=5138f9d588d5da1884eefea467b3e6f6,qop=auth,authzid="bob"',
    final: 'rspauth=8b6d4756426bfb65c6fd22c37915a411',
  },
  {
    user: 'zoë',
    password: 'pässwörd',
    challenge: 'realm="zk-sasl-md5",nonce="39oE2bytqBwOE8Q6OH2fez/VJQ7G5SGUM1JAWJpe",charset=utf-8,algorithm=md5-sess',
    cnonce: 'IXrfMMLPQvytQs9kcYZF2gKyzFhsM4ZOydmxyYF6',
    response:
      'charset=utf-8,username="zoë",realm="zk-sasl-md5",nonce="39oE2bytqBwOE8Q6OH2fez/VJQ7G5SGUM1JAWJpe",nc=00000001,cnonce="IXrfMMLPQvytQs9kcYZF2gKyzFhsM4ZOydmxyYF6",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=7ebd76a1b377d2c32ab3fd787f10f8c7,qop=auth,authzid="zoë"',
    final: 'rspauth=0ff7b6c720a1c14fc169d1756b6cc1af',
  },
  {
    user: 'bob',
    password: 'p€ss',
    challenge: 'realm="zk-sasl-md5",nonce="OpezOZfR6PNX/r3J31FZY2tItjMLiCLGI7sWgi+m",charset=utf-8,algorithm=md5-sess',
    cnonce: 'TSGu1RHFtrwdojuhT8GHXI0FbVwMQ0lcsfgRkHUa',
    response:
      'charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="OpezOZfR6PNX/r3J31FZY2tItjMLiCLGI7sWgi+m",nc=00000001,cnonce="TSGu1RHFtrwdojuhT8GHXI0FbVwMQ0lcsfgRkHUa",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=80366e3ee3b4c8afce6b204b5cfb21ac,qop=auth,authzid="bob"',
    final: 'rspauth=22fd7a74f4a2df8bf34b2cc258316700',
  },
];

describe('the JDK client, replayed', () => {
  for (const r of recorded) {
    it(`sends the JDK's response and accepts the JDK server's rspauth (${r.user}, ${r.password})`, () => {
      const settings: DigestMd5ClientSettings = { protocol: 'zookeeper', serverName: 'zk-sasl-md5', userName: r.user, password: r.password };
      const first = evaluateChallenge(digestMd5ClientStart, bytes(r.challenge), settings, () => r.cnonce);
      expect(first.ok && text(first.value.token)).toBe(r.response);
      if (!first.ok) return;
      const second = evaluateChallenge(first.value.state, bytes(r.final), settings, () => 'unused');
      expect(second.ok && second.value).toEqual({ state: { step: 'complete' }, token: undefined });
      // An rspauth off by one digit: the server does not know the password.
      const forged = r.final.slice(0, -1) + (r.final.endsWith('0') ? '1' : '0');
      const refused = evaluateChallenge(first.value.state, bytes(forged), settings, () => 'unused');
      expect(refused.ok ? 'accepted' : refused.error).toMatch(/Mismatched response authentication/);
    });
  }
});

describe('our client against our server, as members use them', () => {
  const quorum = { protocol: 'zookeeper-quorum', serverName: 'zk-quorum-sasl-md5' };
  const server = { ...quorum, passwordOf: (user: string) => (user === 'test' ? 'secret' : undefined) };

  function run(password: string) {
    const client: DigestMd5ClientSettings = { ...quorum, userName: 'test', password };
    const challenged = evaluateResponse(digestMd5Start, new Uint8Array(0), server, () => 'n0nce');
    if (!challenged.ok) throw new Error(challenged.error);
    const responded = evaluateChallenge(digestMd5ClientStart, challenged.value.token, client, () => 'cn0nce');
    if (!responded.ok) throw new Error(responded.error);
    expect(text(responded.value.token)).toContain('digest-uri="zookeeper-quorum/zk-quorum-sasl-md5"');
    return { verified: evaluateResponse(challenged.value.state, responded.value.token!, server, () => 'unused'), clientState: responded.value.state, client };
  }

  it('completes with the right password, both sides', () => {
    const { verified, clientState, client } = run('secret');
    expect(verified.ok && verified.value.state).toEqual({ step: 'complete', authorizationId: 'test', requestedAuthzid: 'test' });
    if (!verified.ok) return;
    const done = evaluateChallenge(clientState, verified.value.token, client, () => 'unused');
    expect(done.ok && done.value.state.step).toBe('complete');
  });

  it('is refused by the server with a wrong password', () => {
    const { verified } = run('wrong');
    expect(verified.ok ? 'accepted' : verified.error).toContain('Mismatched response');
  });

  it('refuses challenges it cannot answer, with a reason', () => {
    const client: DigestMd5ClientSettings = { ...quorum, userName: 'test', password: 'secret' };
    const cases: [string, string | Uint8Array, RegExp][] = [
      ['empty', '', /empty challenge/],
      ['no nonce', 'realm="r",charset=utf-8,algorithm=md5-sess', /Missing nonce/],
      ['another algorithm', 'nonce="n",algorithm=md5', /md5-sess/],
      ['integrity only', 'nonce="n",qop="auth-int",algorithm=md5-sess', /No common protection layer/],
      ['malformed', 'nonce="n', /Unterminated/],
      ['not UTF-8', new Uint8Array([0xff, 0xfe]), /not UTF-8/],
      ['too long', 'x'.repeat(2048), /Invalid digest-challenge length/],
    ];
    for (const [name, challenge, reason] of cases) {
      const stepped = evaluateChallenge(digestMd5ClientStart, typeof challenge === 'string' ? bytes(challenge) : challenge, client, () => 'c');
      expect(stepped.ok ? 'accepted' : stepped.error, name).toMatch(reason);
    }
    expect(evaluateChallenge({ step: 'complete' }, bytes('x'), client, () => 'c').ok).toBe(false);
  });
});
