// The tree digest of ZooKeeper 3.8 (ZOOKEEPER-3114: DigestCalculator,
// NodeHashMapImpl, AdHash, DataTree.logZxidDigest), which the `hash`
// four-letter word prints. Each znode's digest is the CRC32 of its path, its
// data and 60 bytes of its persisted stat (czxid, mzxid, pzxid, ctime, mtime,
// version, cversion, aversion, ephemeralOwner, big-endian); the tree's digest is
// the sum of its znodes' digests modulo 2^64 (AdHash). Znodes under
// "/zookeeper/" are left out (quota usage is changed in place on each server),
// "/zookeeper" itself is counted, and the root is digested under the path "".
// The same tree gives the same value as ZooKeeper's: tree.test.ts pins it, and
// four-letter-words.test.ts compares it with Apache ZooKeeper's `hash`.
//
// DataTree keeps the sum up to date: before a znode changes its digest is
// taken out, after the change the new one is added (NodeHashMap.preChange /
// postChange); each znode caches its digest between changes. After every txn
// whose zxid is a multiple of 128 the sum is appended to a log of the last 1024
// such digests, which `hash` prints ("<zxid hex>: <digest>").

import { crc32 } from 'node:zlib';
import type { StatPersisted } from '../protocol/records.ts';

/** DataTree.DIGEST_LOG_INTERVAL and DIGEST_LOG_LIMIT. */
export const digestLogInterval = 128n;
export const digestLogLimit = 1024;

/** ZooDefs.ZOOKEEPER_NODE_SUBTREE: the znodes left out of the digest. */
const excludedSubtree = '/zookeeper/';

const utf8 = new TextEncoder();
const mask64 = (1n << 64n) - 1n;

export type ZxidDigest = { readonly zxid: bigint; readonly digest: bigint };

/** DigestCalculator.calculateDigest; 0 for a znode under /zookeeper/. */
export function znodeDigest(path: string, data: Uint8Array | null, stat: StatPersisted): number {
  if (path.startsWith(excludedSubtree)) return 0;
  const statBytes = new Uint8Array(60);
  const view = new DataView(statBytes.buffer);
  view.setBigInt64(0, stat.czxid);
  view.setBigInt64(8, stat.mzxid);
  view.setBigInt64(16, stat.pzxid);
  view.setBigInt64(24, stat.ctime);
  view.setBigInt64(32, stat.mtime);
  view.setInt32(40, stat.version);
  view.setInt32(44, stat.cversion);
  view.setInt32(48, stat.aversion);
  view.setBigInt64(52, stat.ephemeralOwner);
  let crc = crc32(utf8.encode(path === '/' ? '' : path));
  if (data !== null && data.byteLength > 0) crc = crc32(data, crc);
  return crc32(statBytes, crc);
}

/** AdHash over the tree's znodes, and the digest log of DataTree. */
export class TreeDigest {
  private sum = 0n;
  private readonly log: ZxidDigest[] = [];

  get value(): bigint {
    return this.sum;
  }

  add(digest: number): void {
    if (digest !== 0) this.sum = (this.sum + BigInt(digest)) & mask64;
  }

  remove(digest: number): void {
    if (digest !== 0) this.sum = (this.sum - BigInt(digest)) & mask64;
  }

  reset(): void {
    this.sum = 0n;
  }

  /** DataTree.logZxidDigest after a whole txn is applied. */
  txnApplied(zxid: bigint): void {
    if (zxid % digestLogInterval !== 0n) return;
    this.log.push({ zxid, digest: BigInt.asIntN(64, this.sum) });
    if (this.log.length > digestLogLimit) this.log.shift();
  }

  /** DataTree.getDigestLog: oldest first. */
  get digestLog(): readonly ZxidDigest[] {
    return this.log;
  }
}
