// HTTPS on the AdminServer (admin.forceHttps, admin.portUnification) with the
// ssl.quorum.* stores, on our standalone server and on Apache ZooKeeper 3.8.0's
// JettyAdminServer (Debian's jars) configured with the same zoo.cfg lines and
// certificates made for the test (impl/testing/certificates.ts): the same
// /commands/ruok over HTTPS, Jetty's Strict-Transport-Security header, a plain
// HTTP request refused with forceHttps, both schemes on one port with
// portUnification and each plaintext connection counted in insecure_admin_count.
// Then the refusals at start: HTTPS without a key store, and a store that
// cannot be read.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseZooCfg } from '../config/zoo-cfg.ts';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { makeCertificates, storePassword, type TestCertificates } from '../testing/certificates.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { dataDirWithConfig, killChildren, startChild, type DataDir } from './test-support.ts';

type Answer = { readonly status: number; readonly headers: Record<string, string | string[] | undefined>; readonly body: string };

/** One GET over HTTPS (trusting only the test CA, checking the host name) or plain HTTP, on a fresh connection. */
function get(scheme: 'http' | 'https', port: number, path: string, ca: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, agent: false as const, timeout: 5000 };
    const callback = (response: import('node:http').IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    };
    const req = scheme === 'https' ? httpsRequest({ ...options, ca, servername: 'localhost' }, callback) : httpRequest(options, callback);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

type Side = { readonly name: string; readonly admin: number; stop(): Promise<void> };

/**
 * The ssl.quorum.* store lines. The PEM key store is unencrypted and has no password: with one, ZooKeeper's
 * PemReader decrypts the key, and Debian's Java 17 has no PBES2 for the key openssl encrypts.
 */
const stores = (certs: TestCertificates, format: 'pem' | 'p12') =>
  format === 'pem'
    ? [`ssl.quorum.keyStore.location=${certs.server.pem}`, `ssl.quorum.trustStore.location=${certs.caPem}`]
    : [
        `ssl.quorum.keyStore.location=${certs.server.p12}`,
        `ssl.quorum.keyStore.password=${storePassword}`,
        `ssl.quorum.trustStore.location=${certs.caTrustStore}`,
        `ssl.quorum.trustStore.password=${storePassword}`,
      ];

describe('the AdminServer over HTTPS', () => {
  let certs: TestCertificates;
  let ca: Buffer;
  const dirs: DataDir[] = [];
  const reserved: number[] = [];
  const apaches: ApacheStandalone[] = [];

  beforeAll(() => {
    certs = makeCertificates({});
    ca = readFileSync(certs.caPem);
  });
  afterEach(async () => {
    killChildren();
    for (const a of apaches.splice(0)) await a.stop();
    for (const d of dirs.splice(0)) d.remove();
    releasePorts(reserved.splice(0));
  });
  afterAll(() => certs?.remove());

  /** Ours, and Apache ZooKeeper 3.8 when it is here, each with `lines` and its own AdminServer port. */
  async function bothSides(lines: readonly string[]): Promise<Side[]> {
    const [ourAdmin, theirAdmin] = (await reservePorts(2)) as [number, number];
    reserved.push(ourAdmin, theirAdmin);
    const shared = ['admin.serverAddress=127.0.0.1', ...lines];
    const dir = dataDirWithConfig([...shared, `admin.serverPort=${ourAdmin}`]);
    dirs.push(dir);
    const ours = await startChild(dir.configPath);
    const sides: Side[] = [{ name: 'ours', admin: ourAdmin, stop: async () => ours.kill() }];
    if (haveApacheZooKeeper()) {
      const apache = await startApacheStandalone({ zooCfg: [...shared, 'admin.enableServer=true', `admin.serverPort=${theirAdmin}`], adminServer: true });
      apaches.push(apache);
      sides.push({ name: 'Apache ZooKeeper 3.8', admin: theirAdmin, stop: () => apache.stop() });
    }
    return sides;
  }

  it('forceHttps: ruok over HTTPS with the ssl.quorum.* PEM stores, plain HTTP refused, on both servers', async () => {
    const sides = await bothSides(['admin.forceHttps=true', ...stores(certs, 'pem')]);
    expect(sides.length).toBe(haveApacheZooKeeper() ? 2 : 1);
    for (const side of sides) {
      const answer = await get('https', side.admin, '/commands/ruok', ca);
      expect(answer.status, side.name).toBe(200);
      expect(JSON.parse(answer.body), side.name).toEqual({ command: 'ruok', error: null });
      expect(answer.headers['strict-transport-security'], side.name).toBe('max-age=86400; includeSubDomains');
      // A plain HTTP request fails its TLS handshake: the connection closes without an HTTP answer.
      await expect(get('http', side.admin, '/commands/ruok', ca), side.name).rejects.toThrow();
    }
  }, 60_000);

  it('portUnification: HTTP and HTTPS on one port (PKCS12 stores); each plaintext connection counts in insecure_admin_count', async () => {
    const sides = await bothSides(['admin.portUnification=true', ...stores(certs, 'p12')]);
    for (const side of sides) {
      const count = async () => (JSON.parse((await get('https', side.admin, '/commands/monitor', ca)).body) as Record<string, number>)['insecure_admin_count'];
      const before = await count();
      const secure = await get('https', side.admin, '/commands/ruok', ca);
      expect(JSON.parse(secure.body), side.name).toEqual({ command: 'ruok', error: null });
      expect(secure.headers['strict-transport-security'], side.name).toBe('max-age=86400; includeSubDomains');
      expect(await count(), side.name).toBe(before);
      for (let i = 0; i < 3; i++) {
        const plain = await get('http', side.admin, '/commands/ruok', ca);
        expect(plain.status, side.name).toBe(200);
        expect(JSON.parse(plain.body), side.name).toEqual({ command: 'ruok', error: null });
        expect(plain.headers['strict-transport-security'], side.name).toBeUndefined();
      }
      expect(await count(), side.name).toBe(before! + 3);
    }
  }, 60_000);

  it('refuses HTTPS without a key store at start, and stops on a store it cannot read', async () => {
    for (const key of ['admin.forceHttps', 'admin.portUnification']) {
      const parsed = parseZooCfg(`dataDir=/d\n${key}=true\n`);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error.map((e) => e.message)).toEqual([`line 2: ${key}: HTTPS on the AdminServer needs its certificate and key: set ssl.quorum.keyStore.location (a PEM or PKCS12 file) and ssl.quorum.keyStore.password, as for ZooKeeper's JettyAdminServer`]);
    }
    // In SERVER_JVMFLAGS it would be ignored (this server reads zoo.cfg), leaving plain HTTP: refused.
    const flags = parseZooCfg('dataDir=/d\n', [{ key: 'zookeeper.admin.forceHttps', value: 'true', line: undefined, source: 'SERVER_JVMFLAGS -Dzookeeper.admin.forceHttps' }]);
    expect(!flags.ok && flags.error.map((e) => e.message)).toEqual(['SERVER_JVMFLAGS -Dzookeeper.admin.forceHttps: this server reads the AdminServer\'s HTTPS settings from zoo.cfg only; move admin.forceHttps=true there']);
    // Off, or with the AdminServer off, nothing is needed.
    expect(parseZooCfg('dataDir=/d\nadmin.forceHttps=false\n').ok).toBe(true);
    expect(parseZooCfg('dataDir=/d\nadmin.forceHttps=true\nadmin.enableServer=false\n').ok).toBe(true);

    const [admin] = (await reservePorts(1)) as [number];
    reserved.push(admin);
    const dir = dataDirWithConfig(['admin.serverAddress=127.0.0.1', `admin.serverPort=${admin}`, 'admin.forceHttps=true', ...stores(certs, 'p12').map((l) => l.replace(`keyStore.password=${storePassword}`, 'keyStore.password=wrong'))]);
    dirs.push(dir);
    const started = startChild(dir.configPath);
    await expect(started).rejects.toThrow(/"event":"cannot-start".*ssl\.quorum\.keyStore\.location: cannot use .*server\.p12/);
  }, 30_000);
});
