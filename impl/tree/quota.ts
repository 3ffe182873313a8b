// Quotas as ZooKeeper 3.8 keeps them (Quotas, StatsTrack, PathTrie and the
// quota parts of DataTree). A quota on /a is two znodes a client creates
// (zkCli.sh's setquota): /zookeeper/quota/a/zookeeper_limits holds the limits
// ("count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=20"), and
// /zookeeper/quota/a/zookeeper_stats the usage the server keeps up to date on
// every create, delete and setData under /a ("count=5,bytes=42"). Usage counts
// the quota root itself and every znode below it.
//
// The usage is derived state kept inside the tree, changed as DataTree changes
// it: the stat node's data is rewritten in place (its stat stays as it was and
// no watch fires), when a txn is applied, so every member of an ensemble and
// every replay of the log computes the same; loading a snapshot recounts every
// quota root from the tree (DataTree.setupQuota), as ZooKeeper does.
//
// Enforcement (`enforceQuota`, ZooKeeperServer.checkQuota) is in prep.ts, which
// reads the limits and the usage through `quotaCheck` here.

import { assert } from '../../lib/assert.ts';
import { childName, joinPath, parentPath } from './path.ts';

export const quotaZookeeper = '/zookeeper/quota';
export const limitNode = 'zookeeper_limits';
export const statNode = 'zookeeper_stats';

/** Quotas.limitPath / statPath. */
export const limitPath = (path: string) => `${quotaZookeeper}${path}/${limitNode}`;
export const statPath = (path: string) => `${quotaZookeeper}${path}/${statNode}`;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * StatsTrack: `key=long` pairs separated by `,` or `;`. A key that is absent
 * reads as -1. Written back as "count=C,bytes=B" and, when there are other
 * keys, "=" then ";key=value" for each in sorted order (3.4's parser stops at
 * the stray "="). A pair ZooKeeper's parser would throw on (no "=", a value
 * that is not a long) is skipped here: a client's garbage in a quota node must
 * not stop the server.
 */
export class StatsTrack {
  private readonly stats = new Map<string, bigint>();

  static parse(data: Uint8Array | null): StatsTrack {
    const track = new StatsTrack();
    const text = data === null ? '' : utf8Decoder.decode(data);
    if (text.length === 0) return track;
    for (const pair of text.split(/[,;]+/)) {
      // Java's String.split("=") drops trailing empty strings: "bytes=5=" is ["bytes", "5"].
      const kv = pair.split('=');
      while (kv.length > 0 && kv[kv.length - 1] === '') kv.pop();
      const [key, value] = kv;
      if (key === undefined) continue;
      if (value === undefined || value === '') {
        if (kv.length >= 2) track.stats.set(key, -1n);
        continue;
      }
      // Long.parseLong: an optional sign and decimal digits, within 64 bits.
      if (!/^[+-]?\d+$/.test(value)) continue;
      const parsed = BigInt(value);
      if (parsed === BigInt.asIntN(64, parsed)) track.stats.set(key, parsed);
    }
    return track;
  }

  get(key: 'count' | 'bytes' | 'countHardLimit' | 'byteHardLimit'): bigint {
    return this.stats.get(key) ?? -1n;
  }

  set(key: 'count' | 'bytes', value: bigint): void {
    this.stats.set(key, BigInt.asIntN(64, value));
  }

  toString(): string {
    let out = `count=${this.get('count')},bytes=${this.get('bytes')}`;
    const others = [...this.stats.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
    if (others.length > 0) {
      out += '=';
      for (const key of others) out += `;${key}=${this.stats.get(key)}`;
    }
    return out;
  }

  toBytes(): Uint8Array {
    return utf8.encode(this.toString());
  }
}

/** PathTrie.split: the non-blank components of a path. */
function components(path: string): string[] {
  return path.split('/').filter((c) => c.trim() !== '');
}

/**
 * The quota roots (DataTree.pTrie), as the set of paths PathTrie marks. Its
 * answers are PathTrie's: the deepest marked prefix of a path, component by
 * component; deleting a path forgets every mark at or below it.
 */
export class QuotaRoots {
  private readonly roots = new Set<string>();

  get size(): number {
    return this.roots.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.roots[Symbol.iterator]();
  }

  /** PathTrie.addPath; an empty path (a limit node right under /zookeeper/quota) marks nothing. */
  add(path: string): void {
    const parts = components(path);
    if (parts.length > 0) this.roots.add(`/${parts.join('/')}`);
  }

  /** PathTrie.deletePath. */
  delete(path: string): void {
    const parts = components(path);
    if (parts.length === 0) return;
    const key = `/${parts.join('/')}`;
    for (const root of [...this.roots]) if (root === key || root.startsWith(`${key}/`)) this.roots.delete(root);
  }

  /** DataTree.getMaxPrefixWithQuota: the deepest quota root at or above `path`; undefined for none (PathTrie's "/"). */
  maxPrefix(path: string): string | undefined {
    if (this.roots.size === 0) return undefined;
    let prefix = '';
    let deepest: string | undefined;
    for (const part of components(path)) {
      prefix += `/${part}`;
      if (this.roots.has(prefix)) deepest = prefix;
    }
    return deepest;
  }
}

/** What the quota hooks need of the tree: its nodes, read and changed in place. */
export type QuotaNodes = {
  getNode(path: string): { data: Uint8Array | null; readonly children: ReadonlySet<string> } | undefined;
};

export type QuotaLog = (message: string) => void;

const byteLength = (data: Uint8Array | null) => BigInt(data?.byteLength ?? 0);

/**
 * DataTree's quota bookkeeping: called by createNode, deleteNode and setData
 * after they changed the tree, and once after a snapshot is loaded.
 */
export class QuotaTracker {
  readonly roots = new QuotaRoots();

  constructor(
    private readonly nodes: QuotaNodes,
    private readonly log: QuotaLog = () => {},
  ) {}

  /** The end of DataTree.createNode. */
  created(path: string, data: Uint8Array | null): void {
    const parentName = parentPath(path);
    if (parentName.startsWith(quotaZookeeper)) {
      const name = childName(path);
      const root = parentName.slice(quotaZookeeper.length);
      if (name === limitNode) this.roots.add(root);
      if (name === statNode) this.recount(root);
    }
    const prefix = this.roots.maxPrefix(path);
    if (prefix !== undefined) this.updateQuotaStat(prefix, byteLength(data), 1n);
  }

  /** The end of DataTree.deleteNode, with the data the deleted node had. */
  deleted(path: string, data: Uint8Array | null): void {
    const parentName = parentPath(path);
    // ZooKeeper tests the parent against "/zookeeper" and then trims "/zookeeper/quota"'s length off it.
    if (parentName.startsWith('/zookeeper') && childName(path) === limitNode && parentName.length >= quotaZookeeper.length) {
      this.roots.delete(parentName.slice(quotaZookeeper.length));
    }
    const prefix = this.roots.maxPrefix(path);
    if (prefix !== undefined) this.updateQuotaStat(prefix, -byteLength(data), -1n);
  }

  /** The end of DataTree.setData. */
  dataSet(path: string, previous: Uint8Array | null, data: Uint8Array | null): void {
    const prefix = this.roots.maxPrefix(path);
    if (prefix !== undefined) this.updateQuotaStat(prefix, byteLength(data) - byteLength(previous), 0n);
  }

  /** DataTree.setupQuota after a snapshot is loaded: every limit node that is a leaf marks its root, which is recounted. */
  loaded(): void {
    const stack = [quotaZookeeper];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.getNode(path);
      if (node === undefined) continue;
      if (node.children.size === 0) {
        const end = `/${limitNode}`;
        if (path.endsWith(end)) {
          const root = path.slice(quotaZookeeper.length, path.indexOf(end));
          this.recount(root);
          this.roots.add(root);
        }
        continue;
      }
      for (const child of node.children) stack.push(joinPath(path, child));
    }
  }

  /** DataTree.updateQuotaStat: adds to the usage in the stat node's data. */
  private updateQuotaStat(prefix: string, bytesDiff: bigint, countDiff: bigint): void {
    const node = this.nodes.getNode(statPath(prefix));
    if (node === undefined) {
      this.log(`Missing node for stat ${statPath(prefix)}`);
      return;
    }
    const track = StatsTrack.parse(node.data);
    track.set('count', track.get('count') + countDiff);
    track.set('bytes', track.get('bytes') + bytesDiff);
    node.data = track.toBytes();
  }

  /** DataTree.updateQuotaForPath: counts the subtree at `root` (itself included) into a fresh stat node text. */
  private recount(root: string): void {
    let count = 0n;
    let bytes = 0n;
    // "" is DataTree's alias of the root: a stats node right under /zookeeper/quota counts the whole tree there.
    const stack = [root === '' ? '/' : root];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.getNode(path);
      if (node === undefined) continue;
      count++;
      bytes += byteLength(node.data);
      for (const child of node.children) stack.push(joinPath(path, child));
    }
    const node = this.nodes.getNode(statPath(root));
    if (node === undefined) {
      this.log(`Missing quota stat node ${statPath(root)}`);
      return;
    }
    const track = new StatsTrack();
    track.set('bytes', bytes);
    track.set('count', count);
    node.data = track.toBytes();
  }
}

/** The usage and limits of the quota over `path`, for ZooKeeperServer.checkQuota; undefined when no quota covers it. */
export function quotaOf(roots: QuotaRoots, nodes: QuotaNodes, path: string): { prefix: string; limits: StatsTrack | undefined; usage: StatsTrack | undefined } | undefined {
  const prefix = roots.maxPrefix(path);
  if (prefix === undefined) return undefined;
  assert(prefix.startsWith('/'), 'a quota root is an absolute path');
  const limits = nodes.getNode(limitPath(prefix));
  const usage = nodes.getNode(statPath(prefix));
  return { prefix, limits: limits && StatsTrack.parse(limits.data), usage: usage && StatsTrack.parse(usage.data) };
}
