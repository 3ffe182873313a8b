// What SnapshotFormatter prints of a data tree, as lines and as JSON, for
// snapshot-tool.ts: the znodes depth first in ZooKeeper's child order (the
// HashSet's, so the output matches theirs node for node), each with its stat
// and data length or data; the sessions with their timeouts and ephemeral
// counts; the last zxid. The JSON is SnapshotFormatter's -json: ncdu's export
// format (`ncdu -f FILE` browses it), a znode's size being its data's.

import type { DataTree } from '../tree/data-tree.ts';
import { childrenInJavaOrder, type ZNode } from '../tree/znode.ts';
import { javaDateString, longHex, paddedHex } from './java-format.ts';

/** Every znode, parents first, children in ZooKeeper's order (the HashSet's), as SnapshotFormatter walks them. */
export function* walkInJavaOrder(tree: DataTree): Generator<[string, ZNode]> {
  const stack = ['/'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const node = tree.getNode(path);
    if (node === undefined) continue;
    yield [path, node];
    const children = childrenInJavaOrder(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push(path === '/' ? `/${children[i]}` : `${path}/${children[i]}`);
  }
}

/** SnapshotFormatter.printDetails: znodes, sessions, last zxid. Returns the lines. */
export function snapshotDetails(tree: DataTree, fileZxid: bigint, dumpData: boolean): string[] {
  const lines = [`ZNode Details (count=${tree.nodeCount}):`];
  let lastZxid = fileZxid;
  for (const [path, node] of walkInJavaOrder(tree)) {
    const s = node.stat;
    lines.push('----', path);
    lines.push(`  cZxid = ${paddedHex(s.czxid)}`, `  ctime = ${javaDateString(s.ctime)}`, `  mZxid = ${paddedHex(s.mzxid)}`, `  mtime = ${javaDateString(s.mtime)}`);
    lines.push(`  pZxid = ${paddedHex(s.pzxid)}`, `  cversion = ${s.cversion}`, `  dataVersion = ${s.version}`, `  aclVersion = ${s.aversion}`, `  ephemeralOwner = ${paddedHex(s.ephemeralOwner)}`);
    if (dumpData) lines.push(`  data = ${node.data === null ? 'null' : Buffer.from(node.data).toString('base64')}`);
    else lines.push(`  dataLength = ${node.data === null ? 'null' : node.data.byteLength}`);
    for (const zxid of [s.mzxid, s.pzxid]) if (zxid > lastZxid) lastZxid = zxid;
  }
  lines.push('----', 'Session Details (sid, timeout, ephemeralCount):');
  for (const [sessionId, timeoutMs] of tree.sessions) lines.push(`${paddedHex(sessionId)}, ${timeoutMs}, ${tree.ephemerals.get(sessionId)?.size ?? 0}`);
  lines.push('----', `Last zxid: ${longHex(lastZxid)}`);
  return lines;
}

type NcduEntry = { name: string; asize: number; dsize: number; dev: 0; ino: number };
type NcduNode = NcduEntry | [NcduEntry, ...NcduNode[]];

/** SnapshotFormatter.printSnapshotJson: ncdu's export format, `[1,0,{header},root]`, a znode with children as `[entry, ...children]`. */
export function snapshotNcduJson(tree: DataTree, timestampMs: number): string {
  let ino = 0;
  const build = (path: string, node: ZNode): NcduNode => {
    const size = node.data?.byteLength ?? 0;
    const entry: NcduEntry = { name: path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1), asize: size, dsize: size, dev: 0, ino: ++ino };
    const children = childrenInJavaOrder(node);
    if (children.length === 0) return entry;
    return [entry, ...children.map((name) => {
      const childPath = path === '/' ? `/${name}` : `${path}/${name}`;
      return build(childPath, tree.getNode(childPath)!);
    })];
  };
  return JSON.stringify([1, 0, { progname: 'SnapshotFormatter.java', progver: '0.01', timestamp: timestampMs }, build('/', tree.getNode('/')!)]);
}
