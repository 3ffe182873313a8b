// The tree's snapshot body, in jute like ZooKeeper's (FileSnap writes the
// sessions and then DataTree.serialize: every node as path + DataNode in
// depth-first order). The storage layer adds the file header, the checksum and
// the zxid the snapshot starts from; this part only turns a tree into bytes and
// back. ACLs are written inline rather than through ZooKeeper's reference-counted
// ACL cache: simpler, and a snapshot is rewritten whole anyway.
//
// Layout: long lastProcessedZxid; the session table; int nodeCount;
// (ustring path, buffer data, vector<ACL> acl, StatPersisted)*. Parents come
// before children, so children sets are rebuilt in order.
//
// The session table has two forms. Written today: int -2 (a count can never
// be negative, so this tag tells the form apart), int sessionCount, then
// (long id, int timeout, buffer passwd)* with the session's password (16
// bytes; -1, null, for a session created before passwords were kept).
// Written before passwords were kept, and still read: int sessionCount, then
// (long id, int timeout)*. A server without this change refuses a snapshot
// with the tag (a negative session count) rather than misreading it.

import { decodeRecord, JuteDecodeError, type JuteReader, JuteWriter } from '../protocol/jute.ts';
import type { Result } from '../../lib/result.ts';
import { ACL, StatPersisted } from '../protocol/records.ts';
import { DataTree } from './data-tree.ts';
import { addChild, ephemeralKind, noChildren, type ZNode } from './znode.ts';
import { childName, parentPath } from './path.ts';
import { canonicalAcl } from './acl.ts';
import { sessionPasswdBytes } from './txn.ts';

export function serializeTree(tree: DataTree): Uint8Array {
  const w = new JuteWriter(64 * 1024);
  writeSnapshotHead(w, tree, tree.nodes.size);
  for (const [path, node] of tree.walk()) writeSnapshotNode(w, path, node);
  return w.toBytes();
}

/** The part before the nodes: the zxid, the sessions, the node count. Returns the node count's offset (a fuzzy snapshot knows it only at the end). */
export function writeSnapshotHead(w: JuteWriter, tree: DataTree, nodeCount: number): number {
  w.writeLong(tree.lastProcessedZxid);
  w.writeInt(sessionsWithPasswords).writeInt(tree.sessions.size);
  for (const [id, timeout] of tree.sessions) w.writeLong(id).writeInt(timeout).writeBuffer(tree.sessionPasswords.get(id));
  const nodeCountOffset = w.length;
  w.writeInt(nodeCount);
  return nodeCountOffset;
}

/** One node: its path, data, ACL and persisted stat. */
export function writeSnapshotNode(w: JuteWriter, path: string, node: ZNode): void {
  w.writeString(path).writeBuffer(node.data ?? undefined);
  w.writeVector(node.acl, (ww, a) => ACL.write(ww, a));
  StatPersisted.write(w, node.stat);
}

/** The tag before a session table whose entries carry passwords (see the header). */
const sessionsWithPasswords = -2;

function readSessions(r: JuteReader, tree: DataTree): void {
  const first = r.readInt();
  const withPasswords = first === sessionsWithPasswords;
  const sessionCount = withPasswords ? r.readInt() : first;
  // Each entry takes at least 12 bytes (16 with its password's length), so a count past that is damage, not a table.
  if (sessionCount < 0 || sessionCount * (withPasswords ? 16 : 12) > r.remaining) throw new JuteDecodeError(`snapshot: bad session count ${first}`);
  for (let i = 0; i < sessionCount; i++) {
    const id = r.readLong();
    tree.sessions.set(id, r.readInt());
    if (!withPasswords) continue;
    const passwd = r.readNullableBuffer();
    if (passwd === null) continue;
    if (passwd.byteLength !== sessionPasswdBytes) throw new JuteDecodeError(`snapshot: session 0x${BigInt.asUintN(64, id).toString(16)} has a password of ${passwd.byteLength} bytes, not ${sessionPasswdBytes}`);
    tree.sessionPasswords.set(id, passwd);
  }
}

export function deserializeTree(bytes: Uint8Array): Result<DataTree, string> {
  return decodeRecord(bytes, (r) => {
    const tree = new DataTree();
    tree.nodes.clear();
    tree.lastProcessedZxid = r.readLong();
    readSessions(r, tree);
    const nodeCount = r.readInt();
    if (nodeCount < 1 || nodeCount > r.remaining) throw new JuteDecodeError(`snapshot: bad node count ${nodeCount}`);
    for (let i = 0; i < nodeCount; i++) {
      const path = r.readString();
      const data = r.readNullableBuffer();
      const acl = r.readVector((rr) => ACL.read(rr));
      const stat = StatPersisted.read(r);
      const node: ZNode = { data, acl: canonicalAcl(acl), stat, children: noChildren, childCapacity: 0, digest: undefined };
      if (i === 0) {
        if (path !== '/') throw new JuteDecodeError(`snapshot: first node is ${JSON.stringify(path)}, not the root`);
      } else {
        const parent = tree.nodes.get(parentPath(path));
        if (parent === undefined || tree.nodes.has(path)) throw new JuteDecodeError(`snapshot: node ${JSON.stringify(path)} out of order`);
        addChild(parent, childName(path));
      }
      tree.nodes.set(path, node);
      const owner = stat.ephemeralOwner;
      switch (ephemeralKind(owner)) {
        case 'container':
          tree.containers.add(path);
          break;
        case 'ttl':
          tree.ttls.add(path);
          break;
        case 'normal':
          tree.addEphemeral(owner, path);
          break;
        case 'void':
          break;
      }
    }
    // DataTree.deserialize ends with setupQuota; the digest is summed here too.
    tree.loaded();
    return tree;
  });
}
