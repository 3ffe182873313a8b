// The server as a monitoring system sees it while clients work: the
// Prometheus endpoint (/metrics) and the AdminServer (/commands/...) of one
// standalone process on 127.0.0.1, read before and after a client creates,
// reads and watches znodes. The values must move as the work says they must,
// and mntr (the four-letter word), /commands/monitor and /metrics must agree,
// since they read one ServerMetrics. Then what ZooKeeper does when a port is
// taken: the AdminServer is given up with a warning, the metrics provider
// stops the server.

import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { call, connectClient, dataDirWithConfig, fourLetterWord, killChildren, startChild, type DataDir, type ZkClient } from './test-support.ts';

const dirs: DataDir[] = [];
const clients: ZkClient[] = [];
const reserved: number[] = [];
const blockers: Server[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  killChildren();
  for (const d of dirs.splice(0)) d.remove();
  for (const b of blockers.splice(0)) await new Promise((r) => b.close(r));
  releasePorts(reserved.splice(0));
});

const prometheus = 'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';

type Json = Record<string, unknown>;

async function command(port: number, name: string): Promise<Json> {
  const response = await fetch(`http://127.0.0.1:${port}/commands/${name}`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

/** /metrics as `name{labels}` -> value, and each family's TYPE. */
async function scrape(port: number): Promise<{ values: Map<string, number>; types: Map<string, string> }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of (await response.text()).split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1]!, type[2]!);
    else if (line !== '' && !line.startsWith('#')) {
      const at = line.lastIndexOf(' ');
      values.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
  }
  return { values, types };
}

async function mntr(port: number): Promise<Map<string, string>> {
  const text = await fourLetterWord(port, 'mntr');
  return new Map(text.trimEnd().split('\n').map((line) => [line.slice(3, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)] as const));
}

describe('/metrics and the AdminServer of a standalone server while a client works', () => {
  it('count the client\'s requests, bytes and znodes, and agree with mntr', async () => {
    const [adminPort, metricsPort] = await reservePorts(2);
    reserved.push(adminPort!, metricsPort!);
    const dir = dataDirWithConfig([
      'tickTime=500',
      '4lw.commands.whitelist=mntr,ruok',
      'admin.serverAddress=127.0.0.1',
      `admin.serverPort=${adminPort}`,
      prometheus,
      'metricsProvider.httpHost=127.0.0.1',
      `metricsProvider.httpPort=${metricsPort}`,
    ]);
    dirs.push(dir);
    const server = await startChild(dir.configPath);
    expect(server.logs).toContainEqual(expect.objectContaining({ event: 'admin-server-started', port: adminPort }));

    const before = await scrape(metricsPort!);
    expect(before.values.get('znode_count')).toBe(4);
    expect(await command(adminPort!, 'ruok')).toEqual({ command: 'ruok', error: null });

    const client = await connectClient(server.port);
    clients.push(client);
    const creates = 20;
    const reads = 50;
    for (let i = 0; i < creates; i++) await call(client, 'create', `/n${i}`, Buffer.alloc(100, i));
    for (let i = 0; i < reads; i++) await call(client, 'getData', `/n${i % creates}`);
    await call(client, 'getData', '/n0', () => {}); // a data watch

    const after = await scrape(metricsPort!);
    const grew = (name: string) => after.values.get(name)! - before.values.get(name)!;
    expect(after.values.get('znode_count')).toBe(4 + creates);
    expect(after.values.get('num_alive_connections')).toBe(1);
    expect(after.values.get('watch_count')).toBe(1);
    expect(grew('packets_received')).toBeGreaterThanOrEqual(1 + creates + reads + 1);
    expect(grew('bytes_received_count')).toBeGreaterThan(creates * 100);
    expect(grew('response_bytes')).toBeGreaterThan(reads * 100);
    expect(grew('connection_request_count')).toBe(1);
    // Writes and the session's creation are updates, reads (and pings) reads.
    expect(grew('updatelatency_count')).toBeGreaterThanOrEqual(1 + creates);
    expect(grew('readlatency_count')).toBeGreaterThanOrEqual(reads + 1);
    expect(after.values.get('fsynctime_count')).toBeGreaterThanOrEqual(1);
    expect(grew('sync_processor_batch_size_sum')).toBe(1 + creates);
    for (const q of ['0.5', '0.9', '0.99']) expect(after.values.get(`readlatency{quantile="${q}"}`)).toBeGreaterThanOrEqual(0);
    // ZooKeeper's types: gauges, counters without _total, summaries with their quantiles.
    expect([after.types.get('znode_count'), after.types.get('bytes_received_count'), after.types.get('readlatency'), after.types.get('fsynctime')]).toEqual(['gauge', 'counter', 'summary', 'summary']);
    expect([...after.values.keys()].filter((k) => k.startsWith('fsynctime{'))).toEqual(['fsynctime{quantile="0.5"}']);
    // exportJvmInfo (on by default): the process's own metrics.
    expect(after.types.get('process_cpu_user_seconds_total')).toBe('counter');

    // The AdminServer's monitor and the four-letter word read the same values.
    const monitor = await command(adminPort!, 'monitor');
    const words = await mntr(server.port);
    expect(monitor['znode_count']).toBe(4 + creates);
    expect(words.get('znode_count')).toBe(String(4 + creates));
    expect(Number(words.get('cnt_updatelatency'))).toBeGreaterThanOrEqual(after.values.get('updatelatency_count')!);
    expect(Object.keys(monitor)).toEqual([...words.keys(), 'command', 'error']);

    const stat = await command(adminPort!, 'stat');
    expect(stat['node_count']).toBe(4 + creates);
    expect(stat['connections']).toEqual([expect.objectContaining({ remote_socket_address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), interest_ops: 1 })]);
    expect((stat['server_stats'] as Json)['packets_received']).toBeGreaterThanOrEqual(1 + creates + reads);
    const sessionId = BigInt(`0x${client.getSessionId().toString('hex')}`);
    const watches = await command(adminPort!, 'watches');
    expect(Object.keys(watches['session_id_to_watched_paths'] as Json)).toEqual([String(sessionId)]);
    expect(await command(adminPort!, 'nonesuch')).toEqual({ command: 'nonesuch', error: 'Unknown command: nonesuch' });
  }, 60_000);

  it('serves without the AdminServer when its port is taken, and refuses to start when /metrics cannot bind', async () => {
    const [taken] = await reservePorts(1);
    reserved.push(taken!);
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));

    const adminDir = dataDirWithConfig(['4lw.commands.whitelist=ruok', 'admin.serverAddress=127.0.0.1', `admin.serverPort=${taken}`]);
    dirs.push(adminDir);
    const server = await startChild(adminDir.configPath);
    expect(server.logs).toContainEqual(expect.objectContaining({ level: 'warn', event: 'admin-server-not-started', port: taken, code: 'EADDRINUSE' }));
    expect(await fourLetterWord(server.port, 'ruok')).toBe('imok');

    const metricsDir = dataDirWithConfig(['admin.enableServer=false', prometheus, 'metricsProvider.httpHost=127.0.0.1', `metricsProvider.httpPort=${taken}`]);
    dirs.push(metricsDir);
    await expect(startChild(metricsDir.configPath)).rejects.toThrow(/exited \(1\)[\s\S]*Cannot boot MetricsProvider/);
  }, 60_000);
});
