// Our AdminServer and /metrics beside Apache ZooKeeper 3.8.0's (Debian's
// package, its Jetty AdminServer), both standalone on 127.0.0.1 with the same
// settings and the same client session: an ephemeral znode, a znode with a
// data watch, the session left open. For every command ZooKeeper lists, ours
// answers with the same keys and value types (maps keyed by session ids,
// times and paths compared by the shape of their values), or is one of the
// few we do not answer, named here with the reason. mntr's keys through
// /commands/monitor: each of ours is one of ZooKeeper's, with its type.
//
// /metrics: Debian ships no Prometheus simpleclient jar, so ZooKeeper's
// PrometheusMetricsProvider cannot be started here. Our metric names and
// types are checked against what the provider would export for the same
// registry (it registers exactly the DefaultMetricsProvider's gauges,
// counters and summaries, which /commands/monitor shows, under the same
// names): a gauge or counter under its mntr key, a summary where mntr has
// `avg_<name>`, with three quantiles where mntr has `p50_<name>` (ADVANCED)
// and one otherwise. Which names are counters is taken from ZooKeeper 3.8.0's
// ServerMetrics.java (the list below).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { call, connectClient, dataDirWithConfig, killChildren, startChild, zookeeper, type DataDir, type ZkClient } from './test-support.ts';

/** ZooKeeper 3.8.0's counters (ServerMetrics: every metricsContext.getCounter). */
const zookeeperCounters = new Set(
  (
    'looking_count diff_count snap_count commit_count connection_request_count connection_rejected bytes_received_count unrecoverable_error_count ' +
    'add_dead_watcher_stall_time dead_watchers_queued dead_watchers_cleared response_packet_cache_hits response_packet_cache_misses ' +
    'response_packet_get_children_cache_hits response_packet_get_children_cache_misses ensemble_auth_success ensemble_auth_fail ensemble_auth_skip ' +
    'prep_processor_request_queued outstanding_changes_queued outstanding_changes_removed revalidate_count connection_drop_count ' +
    'connection_revalidate_count sessionless_connections_expired stale_sessions_expired request_commit_queued throttled_ops ' +
    'learner_proposal_received_count learner_commit_received_count sync_processor_request_queued proposal_count quit_leading_due_to_disloyal_voter ' +
    'stale_requests stale_requests_dropped stale_replies request_throttle_wait_count large_requests_rejected digest_mismatches_count ' +
    'unsuccessful_handshake insecure_admin_count tls_handshake_exceeded cnxn_closed_without_zk_server_running ' +
    'skip_learner_request_to_next_processor_count response_bytes watch_bytes requests_not_forwarded_to_commit_processor'
  ).split(' '),
);

/**
 * ZooKeeper 3.8.0's labelled families (a sample per `key`), which mntr shows only once a key has a value:
 * the quota gauge sets ZooKeeperServer.registerMetrics adds and ServerMetrics' counter set.
 */
const zookeeperLabelled = new Map([
  ['quota_count_limit_per_namespace', 'gauge'],
  ['quota_bytes_limit_per_namespace', 'gauge'],
  ['quota_count_usage_per_namespace', 'gauge'],
  ['quota_bytes_usage_per_namespace', 'gauge'],
  ['quota_exceeded_error_per_namespace', 'counter'],
]);

/** ZooKeeper's commands we do not answer, and why. */
const notAnswered: Record<string, string> = {};

/** Commands of ours ZooKeeper has not (main.ts registers them): not compared. */
const oursOnly: Record<string, string> = {
  log_level: 'the logger threshold at run time (impl/admin/log-level-command.ts); ZooKeeper does it through JMX',
};

/** Commands whose keys are the JVM's (system properties, Environment.list): ours are Node's, compared by value type only. */
const platformKeyed = new Set(['environment', 'system_properties']);

type Json = Record<string, unknown>;
type Side = { readonly admin: number; readonly client: ZkClient };

/** The shape of a JSON value: types, the keys of records, and maps (keys that are ids, times or paths) by their values' shape. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) {
    const first = value.find((v) => v !== null && typeof v === 'object');
    return first === undefined ? 'array' : ['array of', shape(first)];
  }
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const entries = Object.entries(value as Json);
  if (entries.length > 0 && entries.every(([k]) => /^-?\d+$/.test(k) || k.startsWith('/'))) {
    return ['map of', shape(entries.find(([, v]) => Array.isArray(v) && v.length > 0)?.[1] ?? entries[0]![1])];
  }
  if (entries.length === 0) return 'object';
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, shape(v)]));
}

async function get(port: number, path: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
  expect(response.status, path).toBe(200);
  return response.text();
}

const commandNames = async (port: number) => [...(await get(port, '/commands')).matchAll(/<a href="\/commands\/([a-z_]+)">/g)].map((m) => m[1]!);

async function work(port: number): Promise<ZkClient> {
  const client = await connectClient(port, 30_000, 30_000);
  await call(client, 'create', '/a', Buffer.from('hello'));
  await call(client, 'create', '/e', Buffer.from('x'), zookeeper.CreateMode.EPHEMERAL);
  await call(client, 'getData', '/a', () => {});
  return client;
}

async function waitForAdmin(port: number, deadline: number, log: () => string): Promise<void> {
  for (;;) {
    try {
      await get(port, '/commands/ruok');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no AdminServer on ${port}: ${(error as Error).message}\n${log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe.runIf(haveApacheZooKeeper())('the AdminServer beside Apache ZooKeeper 3.8\'s', () => {
  let theirs: Side;
  let ours: Side;
  let metricsPort = 0;
  let apache: ApacheStandalone | undefined;
  let ourDir: DataDir | undefined;
  const ports: number[] = [];

  beforeAll(async () => {
    ports.push(...(await reservePorts(3)));
    const [apacheAdmin, ourAdmin, ourMetrics] = ports as [number, number, number];
    metricsPort = ourMetrics;
    const shared = ['tickTime=2000', '4lw.commands.whitelist=*', 'admin.serverAddress=127.0.0.1'];
    ourDir = dataDirWithConfig([
      ...shared,
      `admin.serverPort=${ourAdmin}`,
      'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      'metricsProvider.httpHost=127.0.0.1',
      `metricsProvider.httpPort=${ourMetrics}`,
    ]);
    // The servlet API on ZooKeeper's classpath (adminServer), which its Jetty needs.
    const [started, server] = await Promise.all([
      startApacheStandalone({ zooCfg: [...shared, 'admin.enableServer=true', `admin.serverPort=${apacheAdmin}`], adminServer: true, timeoutMs: 40_000 }),
      startChild(ourDir.configPath),
    ]);
    apache = started;
    await waitForAdmin(apacheAdmin, Date.now() + 40_000, () => started.log());
    const apacheClient = started.port;
    theirs = { admin: apacheAdmin, client: await work(apacheClient) };
    ours = { admin: ourAdmin, client: await work(server.port) };
  }, 90_000);

  afterAll(async () => {
    theirs?.client.close();
    ours?.client.close();
    await apache?.stop();
    killChildren();
    ourDir?.remove();
    releasePorts(ports);
  });

  it('lists ZooKeeper\'s commands, but for the few named with a reason', async () => {
    const zk = await commandNames(theirs.admin);
    const mine = await commandNames(ours.admin);
    expect(zk.length).toBe(26);
    expect(mine.filter((c) => !(c in oursOnly))).toEqual(zk.filter((c) => !(c in notAnswered)));
    expect(mine.filter((c) => c in oursOnly)).toEqual(Object.keys(oursOnly));
  });

  it('answers each with ZooKeeper\'s keys and value types', async () => {
    const differences: string[] = [];
    // The resets last: they zero the counters the others print.
    const names = (await commandNames(ours.admin)).filter((c) => !(c in oursOnly)).sort((a, b) => Number(a.includes('reset')) - Number(b.includes('reset')));
    for (const name of names) {
      const [zk, mine] = await Promise.all([get(theirs.admin, `/commands/${name}`), get(ours.admin, `/commands/${name}`)]);
      const [a, b] = [JSON.parse(zk) as Json, JSON.parse(mine) as Json];
      if (platformKeyed.has(name)) {
        for (const [key, value] of Object.entries(b)) if (!['command', 'error'].includes(key) && typeof value !== 'string') differences.push(`${name}.${key} is not a string`);
        continue;
      }
      if (name === 'monitor') continue; // below
      const [sa, sb] = [JSON.stringify(shape(a)), JSON.stringify(shape(b))];
      if (sa !== sb) differences.push(`${name}:\n  zookeeper: ${sa}\n  ours:      ${sb}`);
    }
    expect(differences.join('\n')).toBe('');
  });

  it('monitor (mntr): every key we print is ZooKeeper\'s, with its type', async () => {
    const zk = JSON.parse(await get(theirs.admin, '/commands/monitor')) as Json;
    const mine = JSON.parse(await get(ours.admin, '/commands/monitor')) as Json;
    const foreign = Object.keys(mine).filter((k) => !(k in zk));
    expect(foreign).toEqual([]);
    const typed = Object.keys(mine).filter((k) => typeof mine[k] !== typeof zk[k]);
    expect(typed).toEqual([]);
    expect(Object.keys(mine).length).toBeGreaterThan(80);
  });

  it('/metrics: each name and type is one ZooKeeper\'s Prometheus provider exports for its registry', async () => {
    const zk = JSON.parse(await get(theirs.admin, '/commands/monitor')) as Json;
    const text = await get(metricsPort, '/metrics');
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const));
    const ourFamilies = [...types].filter(([name]) => !name.startsWith('process_') && !name.startsWith('nodejs_'));
    expect(ourFamilies.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const [name, type] of ourFamilies) {
      const expected = zookeeperLabelled.get(name) ?? (`avg_${name}` in zk ? 'summary' : zookeeperCounters.has(name) ? 'counter' : name in zk ? 'gauge' : 'not a ZooKeeper metric');
      if (type !== expected) wrong.push(`${name}: ours ${type}, ZooKeeper ${expected}`);
      if (type !== 'summary') continue;
      const quantiles = [...text.matchAll(new RegExp(`^${name}\\{quantile="([\\d.]+)"\\}`, 'gm'))].map((m) => m[1]);
      const expectedQuantiles = `p50_${name}` in zk ? ['0.5', '0.9', '0.99'] : ['0.5'];
      if (JSON.stringify(quantiles) !== JSON.stringify(expectedQuantiles)) wrong.push(`${name}: quantiles ${quantiles.join(',')}, ZooKeeper ${expectedQuantiles.join(',')}`);
    }
    expect(wrong).toEqual([]);
  });
});
