// ZooKeeper keeps a znode's children, and a session's ephemerals, in
// java.util.HashSet, and hands them to clients in that set's iteration order
// (getChildren, getEphemerals, and the order closeSession deletes ephemerals
// in, hence the order of the NodeDeleted events). To be indistinguishable we
// reproduce that order: java.util.HashMap puts a key in bucket
// (h ^ (h >>> 16)) & (capacity - 1), with h = String.hashCode(), iterates
// buckets in index order and each bucket in insertion order. The capacity
// starts at the initial capacity and doubles whenever the size exceeds 3/4 of
// it; it never shrinks. (Buckets long enough to become trees, 8+ colliding
// keys in a table of 64+, iterate slightly differently; we ignore that.)

/** java.lang.String.hashCode over UTF-16 code units. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** HashMap.hash + the index in a table of `capacity` buckets. */
export function javaBucket(key: string, capacity: number): number {
  const h = javaStringHash(key);
  return (h ^ (h >>> 16)) & (capacity - 1);
}

/** The table size after a set created with `initialCapacity` held `maxSize` keys at some point. */
export function hashSetCapacity(initialCapacity: number, maxSize: number): number {
  let capacity = initialCapacity;
  while (maxSize > capacity * 0.75) capacity *= 2;
  return capacity;
}

/** HashMap's table size for a copy of `size` keys (HashMap.putMapEntries, as HashSet.clone uses). */
export function cloneCapacity(size: number): number {
  if (size === 0) return 1;
  const wanted = Math.floor(size / 0.75 + 1);
  let capacity = 1;
  while (capacity < wanted) capacity *= 2;
  return capacity;
}

/**
 * Iteration order of a HashSet with `capacity` buckets whose keys were added in
 * the order of `keys` (a JS Set's insertion order, which, like a bucket chain,
 * moves a removed-and-re-added key to the end).
 */
export function javaHashSetOrder(keys: Iterable<string>, capacity: number): string[] {
  const list = Array.isArray(keys) ? (keys as string[]) : [...keys];
  const n = list.length;
  const buckets = new Int32Array(n);
  for (let i = 0; i < n; i++) buckets[i] = javaBucket(list[i]!, capacity);
  // A table much larger than the set (it never shrinks) is sorted by comparison.
  if (capacity > 4 * n + 1024) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => buckets[a]! - buckets[b]! || a - b);
    return order.map((i) => list[i]!);
  }
  // Else a counting sort, stable, so each bucket keeps insertion order: linear,
  // where the comparison sort of 50,000 ephemerals took a closeSession's prep 100 ms.
  const starts = new Int32Array(capacity + 1);
  for (let i = 0; i < n; i++) starts[buckets[i]! + 1]!++;
  for (let b = 0; b < capacity; b++) starts[b + 1]! += starts[b]!;
  const ordered = new Array<string>(n);
  for (let i = 0; i < n; i++) ordered[starts[buckets[i]!]!++] = list[i]!;
  return ordered;
}

/**
 * A connection's auth ids in the order ZooKeeper lists them (whoami): ServerCnxn
 * keeps them in a set over a ConcurrentHashMap (16 buckets, doubled past 3/4
 * full), which iterates as HashMap does, with the jute Id's hashCode
 * (37 * (37 * 17 + scheme.hashCode()) + id.hashCode()), and in the order they
 * were added within a bucket: `sasl: bob` before `ip: 127.0.0.1`.
 */
export function authInfoOrder<T extends { readonly scheme: string; readonly id: string }>(ids: readonly T[]): T[] {
  const capacity = hashSetCapacity(16, ids.length);
  const bucket = (id: T) => {
    const h = (Math.imul(37, (Math.imul(37, 17) + javaStringHash(id.scheme)) | 0) + javaStringHash(id.id)) | 0;
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return ids.map((id, index) => ({ id, index, bucket: bucket(id) })).sort((a, b) => a.bucket - b.bucket || a.index - b.index).map((e) => e.id);
}
