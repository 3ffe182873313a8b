// SASL and authentication enforcement over TCP with our raw client playing a
// DIGEST-MD5 client (the response computed by RFC 2831's formula, which
// auth/digest-md5.test.ts pins to the JDK's), the bytes of each answer as
// ZooKeeper 3.8's processSasl and AuthenticationHelper send them.

import { afterEach, describe, expect, it } from 'vitest';
import { parseDirectives, responseValueOf } from '../auth/digest-md5.ts';
import { ErrorCode, OpCode, Perms } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { generateDigest } from '../tree/acl.ts';
import type { AuthenticationOptions } from './authentication.ts';
import { RawClient, type Reply } from './raw-client.ts';
import { startServer, type ZooKeeperServer } from './server.ts';

const servers: ZooKeeperServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const credentials = new Map([['bob', 'secret'], ['alice', 'wonderland']]);
const sasl: AuthenticationOptions = { saslCredentials: credentials, providerSchemes: ['sasl'] };

async function start(authentication: AuthenticationOptions, superDigest?: string): Promise<{ server: ZooKeeperServer; logged: string[] }> {
  const logged: string[] = [];
  const server = await startServer({ port: 0, tickTimeMs: 100, log: (_level, message) => logged.push(message), authentication, ...(superDigest === undefined ? {} : { superDigest }) });
  servers.push(server);
  return { server, logged };
}

async function connect(server: ZooKeeperServer): Promise<RawClient> {
  const client = await RawClient.open(server.port);
  clients.push(client);
  await client.handshake();
  return client;
}

const saslToken = (client: RawClient, token: Uint8Array | undefined) => client.request(OpCode.sasl, R.GetSASLRequest, { token });
const tokenOf = (reply: Reply) => {
  const decoded = decodeRecord(reply.body, R.SetSASLResponse.read);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value.token === undefined ? undefined : Buffer.from(decoded.value.token).toString('utf8');
};

/** A DIGEST-MD5 client's two tokens, as Java's sends them (authzid = the user); returns the replies. */
async function digestMd5(client: RawClient, user: string, password: string): Promise<{ challenge: Reply; final: Reply; rspauth: string }> {
  const challenge = await saslToken(client, new Uint8Array(0));
  const directives = parseDirectives(tokenOf(challenge) ?? '');
  if (!directives.ok) throw new Error(directives.error);
  const inputs = { userName: user, realm: directives.value.get('realm')!, password, nonce: directives.value.get('nonce')!, cnonce: 'test-cnonce', nc: '00000001', qop: 'auth', digestUri: 'zookeeper/zk-sasl-md5', authzid: user };
  const response = `charset=utf-8,username="${user}",realm="${inputs.realm}",nonce="${inputs.nonce}",nc=00000001,cnonce="test-cnonce",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=${responseValueOf(inputs, 'AUTHENTICATE')},qop=auth,authzid="${user}"`;
  const final = await saslToken(client, Buffer.from(response, 'utf8'));
  return { challenge, final, rspauth: responseValueOf(inputs, '') };
}

const createWithAcl = (client: RawClient, path: string, acl: R.ACL[]) => client.request(OpCode.create, R.CreateRequest, { path, data: Buffer.from('x'), acl, flags: 0 });
const getData = (client: RawClient, path: string) => client.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
const whoAmI = async (client: RawClient) => {
  const reply = await client.request(OpCode.whoAmI, undefined, undefined);
  const decoded = decodeRecord(reply.body, R.WhoAmIResponse.read);
  return decoded.ok ? decoded.value.clientInfo : undefined;
};
const saslAcl = (name: string): R.ACL[] => [{ perms: Perms.ALL, id: { scheme: 'sasl', id: name } }];

describe('processSasl with DIGEST-MD5', () => {
  it('challenges, verifies, answers rspauth, and gives the session the sasl id an ACL names', async () => {
    const { server, logged } = await start(sasl);
    const bob = await connect(server);
    const { challenge, final, rspauth } = await digestMd5(bob, 'bob', 'secret');
    expect(challenge.header).toEqual({ xid: 1, zxid: 0n, err: 0 });
    expect(tokenOf(challenge)).toMatch(/^realm="zk-sasl-md5",nonce="[A-Za-z0-9+/]{40}",charset=utf-8,algorithm=md5-sess$/);
    expect(final.header.err).toBe(0);
    expect(tokenOf(final)).toBe(`rspauth=${rspauth}`);
    expect(await whoAmI(bob)).toEqual([{ authScheme: 'sasl', user: 'bob' }, { authScheme: 'ip', user: '127.0.0.1' }]);
    expect(logged).toContain(`connection 1 (session 0x${bob.session!.sessionId.toString(16)}): SASL authenticated bob, ids sasl:bob`);

    expect((await createWithAcl(bob, '/b', saslAcl('bob'))).header.err).toBe(0);
    expect((await getData(bob, '/b')).header.err).toBe(0);
    const anonymous = await connect(server);
    expect((await getData(anonymous, '/b')).header.err).toBe(ErrorCode.NOAUTH);
    const alice = await connect(server);
    await digestMd5(alice, 'alice', 'wonderland');
    expect((await getData(alice, '/b')).header.err).toBe(ErrorCode.NOAUTH);
    // `auth` expands to the caller's sasl id (SASLAuthenticationProvider.isAuthenticated).
    expect((await createWithAcl(alice, '/a', [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }])).header.err).toBe(0);
    const acl = await alice.request(OpCode.getACL, R.GetACLRequest, { path: '/a' });
    expect(decodeRecord(acl.body, R.GetACLResponse.read)).toMatchObject({ ok: true, value: { acl: saslAcl('alice') } });
  });

  it('answers a wrong password AuthFailed with a null token and closes that connection only', async () => {
    const { server, logged } = await start(sasl);
    const other = await connect(server);
    const mallory = await connect(server);
    const { final } = await digestMd5(mallory, 'bob', 'guess');
    expect(final.header).toEqual({ xid: 2, zxid: 0n, err: ErrorCode.AUTHFAILED });
    expect([...final.body]).toEqual([0xff, 0xff, 0xff, 0xff]);
    await mallory.closed;
    expect(logged.some((m) => m.includes('failed to SASL authenticate: DIGEST-MD5: digest response format violation. Mismatched response.'))).toBe(true);
    expect((await other.exists('/')).header.err).toBe(0);
  });

  it('fails an unknown user, a first token that is not empty, a token after success, and an oversized one', async () => {
    const { server } = await start(sasl);
    const unknown = await connect(server);
    expect((await digestMd5(unknown, 'mallory', 'x')).final.header.err).toBe(ErrorCode.AUTHFAILED);
    const eager = await connect(server);
    expect((await saslToken(eager, Buffer.from('username="bob"'))).header.err).toBe(ErrorCode.AUTHFAILED);
    const again = await connect(server);
    await digestMd5(again, 'bob', 'secret');
    expect((await saslToken(again, new Uint8Array(0))).header.err).toBe(ErrorCode.AUTHFAILED);
    const big = await connect(server);
    await saslToken(big, new Uint8Array(0));
    expect((await saslToken(big, new Uint8Array(5000).fill(0x61))).header.err).toBe(ErrorCode.AUTHFAILED);
    for (const c of [unknown, eager, again, big]) await c.closed;
  });

  it('answers a null token OK with a null token, as ZooKeeper\'s handler ends up doing, and closes on a malformed body', async () => {
    const { server } = await start(sasl);
    const client = await connect(server);
    const reply = await saslToken(client, undefined);
    expect(reply.header).toEqual({ xid: 1, zxid: 0n, err: 0 });
    expect([...reply.body]).toEqual([0xff, 0xff, 0xff, 0xff]);
    const broken = await connect(server);
    void broken.sendRaw(new Uint8Array([0, 0, 0, 9, 0, 0, 0, 102, 0, 0, 0, 100]));
    await broken.closed;
    expect((await client.exists('/')).header.err).toBe(0);
  });

  it('without the SASL provider: the exchange completes, the session gets no sasl id, and a sasl ACL is invalid', async () => {
    const { server } = await start({ saslCredentials: credentials });
    const bob = await connect(server);
    expect((await digestMd5(bob, 'bob', 'secret')).final.header.err).toBe(0);
    expect(await whoAmI(bob)).toEqual([{ authScheme: 'ip', user: '127.0.0.1' }]);
    expect((await createWithAcl(bob, '/b', saslAcl('bob'))).header.err).toBe(ErrorCode.INVALIDACL);
  });

  it('a malformed sasl id is an invalid ACL (KerberosName), and the SASL user "super" matches every sasl ACL', async () => {
    const { server } = await start({ ...sasl, saslCredentials: new Map([...credentials, ['super', 'hunter2']]) });
    const bob = await connect(server);
    await digestMd5(bob, 'bob', 'secret');
    expect((await createWithAcl(bob, '/bad', saslAcl('a@b@c'))).header.err).toBe(ErrorCode.INVALIDACL);
    expect((await createWithAcl(bob, '/b', saslAcl('bob'))).header.err).toBe(0);
    const root = await connect(server);
    await digestMd5(root, 'super', 'hunter2');
    expect((await getData(root, '/b')).header.err).toBe(0);
  });

  it('zookeeper.superUser: a named SASL user gets the super id', async () => {
    const { server } = await start({ ...sasl, superUsers: ['alice'] });
    const owner = await connect(server);
    await owner.request(OpCode.auth, R.AuthPacket, { type: 0, scheme: 'digest', auth: Buffer.from('owner:pw') });
    expect((await createWithAcl(owner, '/private', [{ perms: Perms.ALL, id: { scheme: 'digest', id: generateDigest('owner:pw') } }])).header.err).toBe(0);
    const alice = await connect(server);
    await digestMd5(alice, 'alice', 'wonderland');
    expect(await whoAmI(alice)).toContainEqual({ authScheme: 'super', user: '' });
    expect((await getData(alice, '/private')).header.err).toBe(0);
    const bob = await connect(server);
    await digestMd5(bob, 'bob', 'secret');
    expect((await getData(bob, '/private')).header.err).toBe(ErrorCode.NOAUTH);
  });
});

describe('AuthenticationHelper.enforceAuthentication', () => {
  it('sessionRequireClientSASLAuth: an unauthenticated request, a ping included, is answered SessionClosedRequireSaslAuth and closes', async () => {
    const { server } = await start({ ...sasl, enforceAuthSchemes: ['sasl'] });
    const anonymous = await connect(server);
    const reply = await anonymous.exists('/');
    expect(reply.header).toEqual({ xid: 1, zxid: 0n, err: ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH });
    expect(reply.body.byteLength).toBe(0);
    await anonymous.closed;
    const pinger = await connect(server);
    expect((await pinger.request(OpCode.ping, undefined, undefined, -2)).header.err).toBe(ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH);
    // A failed exchange is answered with the same code when SASL is required.
    const wrong = await connect(server);
    expect((await digestMd5(wrong, 'bob', 'guess')).final.header.err).toBe(ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH);
    const bob = await connect(server);
    await digestMd5(bob, 'bob', 'secret');
    expect((await bob.exists('/')).header.err).toBe(0);
  });

  it('enforce.auth.schemes=digest: served once the session added digest auth; auth itself always passes', async () => {
    const { server } = await start({ enforceAuthSchemes: ['digest'] });
    const client = await connect(server);
    expect((await client.request(OpCode.auth, R.AuthPacket, { type: 0, scheme: 'digest', auth: Buffer.from('u:p') })).header.err).toBe(0);
    expect((await client.exists('/')).header.err).toBe(0);
    const other = await connect(server);
    expect((await other.exists('/')).header.err).toBe(ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH);
  });
});
