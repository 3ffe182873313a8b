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
// DataTree keeps the sum up to date through NodeHashMap's preChange and
// postChange calls, at the same places ZooKeeper makes them; a changed znode
// is digested when the sum is next read (TreeDigest). After every txn whose
// zxid is a multiple of 128 the sum is appended to a log of the last 1024 such
// digests, which `hash` prints ("<zxid hex>: <digest>").

import { crc32 } from 'node:zlib';
import type { StatPersisted } from '../protocol/records.ts';

/** DataTree.DIGEST_LOG_INTERVAL and DIGEST_LOG_LIMIT. */
export const digestLogInterval = 128n;
export const digestLogLimit = 1024;

/** ZooDefs.ZOOKEEPER_NODE_SUBTREE: the znodes left out of the digest. */
const excludedSubtree = '/zookeeper/';

const utf8 = new TextEncoder();

export type ZxidDigest = { readonly zxid: bigint; readonly digest: bigint };

/** CRC-32 (the zip polynomial, as java.util.zip.CRC32), a byte at a time from a table. */
const crcTable = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Continues a CRC (pre- and post-inverted, as zlib's) over bytes [start, end). */
function crcBytes(crc: number, bytes: Uint8Array, start: number, end: number): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Continues a CRC over the UTF-8 bytes of `s` (String.getBytes on Linux); an ASCII path needs no encoding first. */
function crcUtf8(crc: number, s: string): number {
  let c = ~crc;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code >= 0x80) {
      const rest = utf8.encode(s.slice(i));
      return crcBytes(~c >>> 0, rest, 0, rest.byteLength);
    }
    c = crcTable[(c ^ code) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}

// One buffer for the 60 stat bytes: digests are taken one at a time.
const statBytes = new Uint8Array(60);
const statView = new DataView(statBytes.buffer);

/** DigestCalculator.calculateDigest; 0 for a znode under /zookeeper/. */
export function znodeDigest(path: string, data: Uint8Array | null, stat: StatPersisted): number {
  if (path.startsWith(excludedSubtree)) return 0;
  statView.setBigInt64(0, stat.czxid);
  statView.setBigInt64(8, stat.mzxid);
  statView.setBigInt64(16, stat.pzxid);
  statView.setBigInt64(24, stat.ctime);
  statView.setBigInt64(32, stat.mtime);
  statView.setInt32(40, stat.version);
  statView.setInt32(44, stat.cversion);
  statView.setInt32(48, stat.aversion);
  statView.setBigInt64(52, stat.ephemeralOwner);
  let crc = crcUtf8(0, path === '/' ? '' : path);
  // zlib's native CRC pays a call's cost and wins on larger data.
  if (data !== null && data.byteLength > 0) crc = data.byteLength > 256 ? crc32(data, crc) : crcBytes(crc, data, 0, data.byteLength);
  return crcBytes(crc, statBytes, 0, 60);
}

/** What the digest reads of a znode, and the digest it caches (DataNode.digest, digestCached). */
export type DigestedNode = { readonly data: Uint8Array | null; readonly stat: StatPersisted; digest: number | undefined };

/**
 * AdHash over the tree's znodes, and the digest log of DataTree. The sum holds
 * exactly the znodes whose `digest` is set. A change takes the znode's digest
 * out and leaves it unset (preChange), and marks the path; the marked znodes'
 * digests are taken and added only when the sum is read (every 128 zxids for
 * the log, or `value`), so a znode written many times in between is digested
 * once, and a write costs no CRC. The value read is the same as ZooKeeper's,
 * which digests at every change.
 */
export class TreeDigest {
  // The sum modulo 2^64 as two 32-bit halves in plain numbers: a digest is
  // below 2^32, so adding or removing one carries at most one into `high`,
  // and no BigInt is made per change.
  private low = 0;
  private high = 0;
  private readonly changed = new Set<string>();
  private readonly log: ZxidDigest[] = [];
  /** digest.enabled: when false nothing is digested or logged (ZooKeeper's NodeHashMapImpl and DataTree skip it too). */
  private enabled = true;

  constructor(private readonly nodeAt: (path: string) => DigestedNode | undefined) {}

  /** The tree's digest now (NodeHashMap.getDigest). */
  get value(): bigint {
    this.flush();
    return (BigInt(this.high) << 32n) | BigInt(this.low);
  }

  /** digest.enabled; turned back on, the sum is taken over `nodes` again. */
  setEnabled(enabled: boolean, nodes: Iterable<[string, DigestedNode]>): void {
    if (enabled && !this.enabled) {
      this.enabled = true;
      this.recompute(nodes);
    }
    this.enabled = enabled;
  }

  /** NodeHashMap.preChange (and remove): the znode's digest leaves the sum until it is taken again. */
  preChange(path: string, node: DigestedNode): void {
    if (!this.enabled || path.startsWith(excludedSubtree)) return;
    if (node.digest !== undefined) this.subtract(node.digest);
    node.digest = undefined;
    this.changed.add(path);
  }

  /** NodeHashMap.postChange (and put): the znode is digested at the next read. */
  postChange(path: string, node: DigestedNode): void {
    if (!this.enabled || path.startsWith(excludedSubtree)) return;
    node.digest = undefined;
    this.changed.add(path);
  }

  /** Every znode digested from scratch (a loaded snapshot). */
  recompute(nodes: Iterable<[string, DigestedNode]>): void {
    this.low = 0;
    this.high = 0;
    this.changed.clear();
    if (!this.enabled) return;
    for (const [path, node] of nodes) {
      node.digest = undefined;
      this.take(path, node);
    }
  }

  /** DataTree.logZxidDigest after a whole txn is applied. */
  txnApplied(zxid: bigint): void {
    if (!this.enabled || (zxid & (digestLogInterval - 1n)) !== 0n) return;
    this.log.push({ zxid, digest: BigInt.asIntN(64, this.value) });
    if (this.log.length > digestLogLimit) this.log.shift();
  }

  /** DataTree.getDigestLog: oldest first. */
  get digestLog(): readonly ZxidDigest[] {
    return this.log;
  }

  private flush(): void {
    for (const path of this.changed) {
      const node = this.nodeAt(path);
      if (node !== undefined && node.digest === undefined) this.take(path, node);
    }
    this.changed.clear();
  }

  private take(path: string, node: DigestedNode): void {
    node.digest = znodeDigest(path, node.data, node.stat);
    this.low += node.digest;
    if (this.low >= 2 ** 32) {
      this.low -= 2 ** 32;
      this.high = (this.high + 1) >>> 0;
    }
  }

  private subtract(digest: number): void {
    this.low -= digest;
    if (this.low < 0) {
      this.low += 2 ** 32;
      this.high = (this.high - 1) >>> 0;
    }
  }
}
