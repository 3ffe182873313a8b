// A znode (ZooKeeper's DataNode): its data, ACL, persisted stat and children,
// the stat a client is shown (copyStat), and what the ephemeralOwner field
// encodes (EphemeralType: a session, a container, a TTL). The tree of them and
// every change to it is data-tree.ts.

import { AssertionError } from '../../lib/assert.ts';
import { containerEphemeralOwner } from '../protocol/constants.ts';
import type { ACL, Stat, StatPersisted } from '../protocol/records.ts';
import { hashSetCapacity, javaHashSetOrder } from './java-hash-order.ts';

export interface ZNode {
  /** Null when a client created or set it with a null buffer (jute length -1): kept and returned as null, as DataNode does. */
  data: Uint8Array | null;
  acl: readonly ACL[];
  stat: StatPersisted;
  /** `noChildren` until the first child (addChild), then a set of its own. */
  children: Set<string>;
  /** The bucket count of ZooKeeper's HashSet of children (0 before the first child), for its iteration order. */
  childCapacity: number;
  /**
   * This znode's part of the tree digest while it is unchanged (DataNode's
   * cached digest); undefined until first taken. Always present as a field, so
   * every znode object keeps one shape.
   */
  digest: number | undefined;
}

/**
 * The children of every znode that has had none: one shared empty set rather
 * than a Set per znode, since most znodes are leaves and a Set is an
 * allocation and about a hundred bytes each (#14: CPU per create, memory per
 * znode). addChild gives a znode its own set at its first child; an `add`
 * here instead would give every leaf that child, so it is refused loudly.
 */
class NoChildren extends Set<string> {
  override add(name: string): never {
    throw new AssertionError(`noChildren.add(${JSON.stringify(name)}): a child must be added through addChild`);
  }
}
export const noChildren: Set<string> = new NoChildren();

/** DataNode.addChild: a HashSet created with capacity 8 on the first child. */
export function addChild(node: ZNode, name: string): void {
  if (node.children === noChildren) node.children = new Set();
  node.children.add(name);
  node.childCapacity = hashSetCapacity(node.childCapacity === 0 ? 8 : node.childCapacity, node.children.size);
}

/** The children in the order ZooKeeper's HashSet iterates them. */
export function childrenInJavaOrder(node: ZNode): string[] {
  return node.children.size <= 1 ? [...node.children] : javaHashSetOrder(node.children, node.childCapacity);
}

// EphemeralType: the top byte 0xff with reserved bits zero marks a TTL node, the
// low 40 bits hold its ttl in ms; Long.MIN_VALUE marks a container.
const extendedMask = 0xff00000000000000n;
const reservedBitsMask = 0x00ffff0000000000n;
const ttlValueMask = 0x000000ffffffffffn;
/** EphemeralType.TTL.maxValue(): 2^40 - 1 ms, about 34 years. */
export const ttlMaxMs = ttlValueMask;

export type EphemeralKind = 'void' | 'normal' | 'container' | 'ttl';

export function ephemeralKind(ephemeralOwner: bigint): EphemeralKind {
  const unsigned = BigInt.asUintN(64, ephemeralOwner);
  if ((unsigned & extendedMask) === extendedMask && (unsigned & reservedBitsMask) === 0n) return 'ttl';
  if (ephemeralOwner === containerEphemeralOwner) return 'container';
  return ephemeralOwner === 0n ? 'void' : 'normal';
}

export function ttlEphemeralOwner(ttlMs: bigint): bigint {
  return BigInt.asIntN(64, extendedMask | ttlMs);
}

export function ttlOf(ephemeralOwner: bigint): bigint {
  return BigInt.asUintN(64, ephemeralOwner) & ttlValueMask;
}

export function emptyStat(): StatPersisted {
  return { czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n };
}

export function createStat(zxid: bigint, time: bigint, ephemeralOwner: bigint): StatPersisted {
  return { czxid: zxid, mzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0, ephemeralOwner, pzxid: zxid };
}

/**
 * DataNode.copyStat: the stat a client sees. The stored cversion counts child
 * creations; clients are shown ZooKeeper's "v3 semantics" count of child
 * changes, 2 x creations - children still present (every create but those has a
 * matching delete). A fresh root thus shows cversion -1.
 */
export function copyStat(node: ZNode): Stat {
  const s = node.stat;
  const numChildren = node.children.size;
  return {
    czxid: s.czxid,
    mzxid: s.mzxid,
    ctime: s.ctime,
    mtime: s.mtime,
    version: s.version,
    cversion: (Math.imul(s.cversion, 2) - numChildren) | 0,
    aversion: s.aversion,
    // DataNode.getClientEphemeralOwner: containers and TTL nodes show 0.
    ephemeralOwner: ephemeralKind(s.ephemeralOwner) === 'normal' ? s.ephemeralOwner : 0n,
    dataLength: node.data?.byteLength ?? 0,
    numChildren,
    pzxid: s.pzxid,
  };
}
