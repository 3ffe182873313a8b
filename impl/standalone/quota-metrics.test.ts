// The quota metrics ZooKeeper 3.8 exports (QuotaMetricsUtils' four gauge sets
// and ServerMetrics' quota_exceeded_error_per_namespace), read while a client
// works on two quota roots, on our standalone server and on Apache ZooKeeper
// 3.8.0 with the same zoo.cfg line (enforceQuota=true) and the same requests:
// a hard count limit on /q that fails two creates, and a soft byte limit on
// /r/s (namespace r) that a setData passes. mntr's quota lines must be
// ZooKeeper's, in its order; our /metrics must carry the same values as
// labelled families (key="<namespace>").

import { afterEach, describe, expect, it } from 'vitest';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { OpCode } from '../protocol/constants.ts';
import { requests, WireSession } from '../testing/wire-client.ts';
import { dataDirWithConfig, fourLetterWord, killChildren, startChild, type DataDir } from './test-support.ts';

const dirs: DataDir[] = [];
const sessions: WireSession[] = [];
const reserved: number[] = [];
const apaches: ApacheStandalone[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  killChildren();
  for (const a of apaches.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) d.remove();
  releasePorts(reserved.splice(0));
});

const text = (s: string) => Buffer.from(s);

/** The client's work: quota roots set as zkCli.sh's setquota writes them, then creates and a setData against them. Returns each request's error code. */
async function work(port: number): Promise<number[]> {
  const session = await WireSession.open(port);
  sessions.push(session);
  const send = (type: number, body: Uint8Array) => new Promise<number>((resolve) => session.send(type, body, (code) => resolve(code)));
  const create = (path: string, data: string) => send(OpCode.create, requests.create(path, text(data)));
  const codes: number[] = [];
  for (const path of ['/q', '/q/a', '/r', '/r/s', '/zookeeper/quota/q', '/zookeeper/quota/r', '/zookeeper/quota/r/s']) codes.push(await create(path, 'x'));
  // setquota -N 3 /q (a hard count limit) and setquota -b 100 -n 10 /r/s (soft limits).
  codes.push(await create('/zookeeper/quota/q/zookeeper_limits', 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3'));
  codes.push(await create('/zookeeper/quota/q/zookeeper_stats', 'count=0,bytes=0'));
  codes.push(await create('/zookeeper/quota/r/s/zookeeper_limits', 'count=10,bytes=100'));
  codes.push(await create('/zookeeper/quota/r/s/zookeeper_stats', 'count=0,bytes=0'));
  for (const path of ['/q/b', '/q/c', '/q/d']) codes.push(await create(path, 'y'));
  codes.push(await send(OpCode.setData, requests.setData('/r/s', new Uint8Array(200))));
  return codes;
}

/** Everything succeeds but the two creates over /q's hard limit: QuotaExceeded (-125). */
const expectedCodes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -125, -125, 0];

/** mntr's lines that are quota metrics, in order. */
async function quotaLines(port: number): Promise<string[]> {
  return (await fourLetterWord(port, 'mntr')).split('\n').filter((line) => line.includes('quota_'));
}

describe('quota metrics while a client works', () => {
  it('mntr prints ZooKeeper 3.8\'s quota gauges and exceeded count, and /metrics the same values by namespace', async () => {
    const [metricsPort] = (await reservePorts(1)) as [number];
    reserved.push(metricsPort);
    const dir = dataDirWithConfig([
      'enforceQuota=true',
      '4lw.commands.whitelist=mntr',
      'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      'metricsProvider.httpHost=127.0.0.1',
      `metricsProvider.httpPort=${metricsPort}`,
      'metricsProvider.exportJvmInfo=false',
    ]);
    dirs.push(dir);
    const ours = await startChild(dir.configPath);
    expect(await quotaLines(ours.port), 'no quota, no lines').toEqual([]);
    expect(await work(ours.port)).toEqual(expectedCodes);
    const mine = await quotaLines(ours.port);
    // /q: limit 3, usage /q, /q/a, /q/b (3 bytes); /r/s: limits 10 and 100, usage /r/s itself with its 200 bytes.
    expect([...mine].sort()).toEqual(
      [
        'zk_q_quota_count_limit_per_namespace\t3',
        'zk_q_quota_bytes_limit_per_namespace\t-1',
        'zk_q_quota_count_usage_per_namespace\t3',
        'zk_q_quota_bytes_usage_per_namespace\t3',
        'zk_r_quota_count_limit_per_namespace\t10',
        'zk_r_quota_bytes_limit_per_namespace\t100',
        'zk_r_quota_count_usage_per_namespace\t1',
        'zk_r_quota_bytes_usage_per_namespace\t200',
        'zk_q_quota_exceeded_error_per_namespace\t2',
      ].sort(),
    );

    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    const scraped = await response.text();
    expect(scraped).toMatch(/^# TYPE quota_count_limit_per_namespace gauge$/m);
    expect(scraped).toMatch(/^# TYPE quota_exceeded_error_per_namespace counter$/m);
    const samples = scraped.split('\n').filter((line) => /^quota_\w+\{key=/.test(line));
    expect(samples.sort()).toEqual(
      mine
        .map((line) => {
          const [key, value] = line.slice(3).split('\t') as [string, string];
          const namespace = key.slice(0, key.indexOf('_quota_'));
          return `${key.slice(namespace.length + 1)}{key="${namespace}"} ${value}`;
        })
        .sort(),
    );

    if (haveApacheZooKeeper()) {
      const apache = await startApacheStandalone({ zooCfg: ['enforceQuota=true'] });
      apaches.push(apache);
      expect(await quotaLines(apache.port)).toEqual([]);
      expect(await work(apache.port)).toEqual(expectedCodes);
      expect(mine, 'the same lines in ZooKeeper\'s order').toEqual(await quotaLines(apache.port));
    }
  }, 60_000);
});
