// The quota gauges ZooKeeper 3.8 registers (QuotaMetricsUtils, as
// ZooKeeperServer.registerMetrics adds them: one GaugeSet per name, a value per
// namespace): quota_count_limit_per_namespace, quota_bytes_limit_per_namespace,
// quota_count_usage_per_namespace, quota_bytes_usage_per_namespace. Read when
// mntr, /commands/monitor or /metrics asks, by walking /zookeeper/quota: each
// leaf `zookeeper_limits` node gives its limits (the hard limit where set, else
// the soft one), each leaf `zookeeper_stats` node its usage, summed per
// namespace, the first component of the quota root's path (PathUtils.getTopNamespace
// of the path under /zookeeper/quota; a limits node right under it names the
// namespace "zookeeper_limits", as ZooKeeper does).
//
// mntr prints each as `<namespace>_<name>` (DefaultMetricsProvider's gauge sets,
// after the gauges), /metrics as `<name>{key="<namespace>"}`. The order is
// ZooKeeper's: the four sets in their ConcurrentHashMap's order, and each
// set's namespaces in the fresh ConcurrentHashMap QuotaMetricsUtils fills.

import { javaBucket } from '../tree/java-hash-order.ts';
import { StatsTrack, limitNode, quotaZookeeper, statNode, type QuotaNodes } from '../tree/quota.ts';

export const quotaGaugeNames = ['quota_count_limit_per_namespace', 'quota_bytes_limit_per_namespace', 'quota_count_usage_per_namespace', 'quota_bytes_usage_per_namespace'] as const;
export type QuotaGaugeName = (typeof quotaGaugeNames)[number];

/** One gauge set: its name and its (namespace, value) pairs in ZooKeeper's order. */
export type GaugeSetReading = { readonly name: string; readonly values: readonly (readonly [string, number])[] };

/** The four quota gauge sets, in the order DefaultMetricsProvider dumps them. */
export function quotaGaugeSets(tree: QuotaNodes): GaugeSetReading[] {
  const sums = new Map<QuotaGaugeName, Map<string, number>>(quotaGaugeNames.map((name) => [name, new Map()]));
  const add = (name: QuotaGaugeName, namespace: string, value: bigint) => {
    const set = sums.get(name)!;
    set.set(namespace, (set.get(namespace) ?? 0) + Number(value));
  };
  const stack = [quotaZookeeper];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const node = tree.getNode(path);
    if (node === undefined) continue;
    if (node.children.size > 0) {
      for (const child of node.children) stack.push(`${path}/${child}`);
      continue;
    }
    const namespace = path.slice(quotaZookeeper.length).split('/')[1];
    if (namespace === undefined || node.data === null) continue;
    const track = StatsTrack.parse(node.data);
    if (path.endsWith(`/${limitNode}`)) {
      add('quota_count_limit_per_namespace', namespace, limitOf(track.get('countHardLimit'), track.get('count')));
      add('quota_bytes_limit_per_namespace', namespace, limitOf(track.get('byteHardLimit'), track.get('bytes')));
    } else if (path.endsWith(`/${statNode}`)) {
      add('quota_count_usage_per_namespace', namespace, track.get('count'));
      add('quota_bytes_usage_per_namespace', namespace, track.get('bytes'));
    }
  }
  return concurrentHashMapOrder(quotaGaugeNames, 16).map((name) => {
    const set = sums.get(name)!;
    return { name, values: concurrentHashMapOrder([...set.keys()], 16).map((namespace) => [namespace, set.get(namespace)!] as const) };
  });
}

/** QuotaMetricsUtils.getQuotaLimit: the hard limit takes precedence when set. */
const limitOf = (hard: bigint, soft: bigint) => (hard > -1n ? hard : soft);

/**
 * The iteration order of a ConcurrentHashMap of `initialCapacity` holding `keys`
 * added in this order: bucket by bucket (String.hashCode spread), each bucket in
 * insertion order; the table doubles once the size reaches three quarters of it.
 */
export function concurrentHashMapOrder<K extends string>(keys: readonly K[], initialCapacity: number): K[] {
  let capacity = initialCapacity;
  while (keys.length >= capacity * 0.75) capacity *= 2;
  return keys.map((key, index) => ({ key, index, bucket: javaBucket(key, capacity) })).sort((a, b) => a.bucket - b.bucket || a.index - b.index).map((k) => k.key);
}
