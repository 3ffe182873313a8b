// The read requests as a function, with no server around them: a tree, a
// session and a request in, the reply and what it depends on out. Whether a
// reply waits for a pending write (release-order.ts) is decided by that
// dependency alone, so each case pins it next to the reply.

import { describe, expect, it } from 'vitest';
import { CreateFlag, ErrorCode, OpCode, Perms } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { openAclUnsafe } from '../tree/acl.ts';
import { DataTree } from '../tree/data-tree.ts';
import { prepRequest } from '../tree/prep.ts';
import { readRequest, wholeTree, type ReadSession } from './reads.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const session: ReadSession = { id: 7, sessionId: 0x100n, authIds: [{ scheme: 'ip', id: '127.0.0.1' }] };

/** A tree holding /a (data "x", open ACL) with a child /a/b, and /secret readable only by digest user "alice". */
function tree(): DataTree {
  const t = new DataTree();
  const aliceOnly = [{ perms: Perms.ALL, id: { scheme: 'digest', id: 'alice:hash' } }];
  const creates: [string, string, readonly R.ACL[]][] = [
    ['/a', 'x', openAclUnsafe],
    ['/a/b', '', openAclUnsafe],
    ['/secret', 's', aliceOnly],
  ];
  let zxid = 0n;
  for (const [path, data, acl] of creates) {
    const request = { path, data: bytes(data), acl: [...acl], flags: CreateFlag.PERSISTENT };
    const txn = prepRequest(t, { type: OpCode.create, request }, { sessionId: 0x100n, cxid: 0, zxid: ++zxid, time: 1000n, authIds: session.authIds, extendedTypesEnabled: false });
    t.applyTxn(txn);
  }
  return t;
}

describe('readRequest (FinalRequestProcessor read cases)', () => {
  it('getData answers with the data and depends on the path it read, found or not', () => {
    const t = tree();
    const found = readRequest(t, session, OpCode.getData, encodeRecord({ path: '/a', watch: false }, R.GetDataRequest.write));
    expect(found.err).toBe(0);
    expect(found.dependsOn).toBe('/a');
    const decoded = decodeRecord(found.response!, R.GetDataResponse.read);
    expect(decoded.ok && text(decoded.value.data)).toBe('x');
    const missing = readRequest(t, session, OpCode.getData, encodeRecord({ path: '/none', watch: false }, R.GetDataRequest.write));
    expect([missing.err, missing.dependsOn]).toEqual([ErrorCode.NONODE, '/none']);
  });

  it('registers a watch under the session id when asked, and only then', () => {
    const t = tree();
    readRequest(t, session, OpCode.getData, encodeRecord({ path: '/a', watch: false }, R.GetDataRequest.write));
    expect(t.dataWatches.containsWatcher('/a', session.id)).toBe(false);
    readRequest(t, session, OpCode.getData, encodeRecord({ path: '/a', watch: true }, R.GetDataRequest.write));
    expect(t.dataWatches.containsWatcher('/a', session.id)).toBe(true);
  });

  it('refuses a read the ACL does not allow with NoAuth, still depending on the path', () => {
    const reply = readRequest(tree(), session, OpCode.getData, encodeRecord({ path: '/secret', watch: false }, R.GetDataRequest.write));
    expect([reply.err, reply.response, reply.dependsOn]).toEqual([ErrorCode.NOAUTH, undefined, '/secret']);
  });

  it('exists of a path with a NUL is BadArguments, depending on that path', () => {
    const reply = readRequest(tree(), session, OpCode.exists, encodeRecord({ path: '/a\0', watch: false }, R.ExistsRequest.write));
    expect([reply.err, reply.dependsOn]).toEqual([ErrorCode.BADARGUMENTS, '/a\0']);
  });

  it('a read that names no path (getAllChildrenNumber, sync) depends on the whole tree', () => {
    const t = tree();
    const count = readRequest(t, session, OpCode.getAllChildrenNumber, encodeRecord({ path: '/a' }, R.GetAllChildrenNumberRequest.write));
    expect([count.err, count.dependsOn]).toEqual([0, wholeTree]);
    const sync = readRequest(t, session, OpCode.sync, encodeRecord({ path: '/a' }, R.SyncRequest.write));
    expect([sync.err, sync.dependsOn]).toEqual([0, wholeTree]);
  });

  it('a body that does not decode is MarshallingError and depends on the whole tree', () => {
    const reply = readRequest(tree(), session, OpCode.getData, new Uint8Array([0, 0, 0, 9]));
    expect([reply.err, reply.dependsOn]).toEqual([ErrorCode.MARSHALLINGERROR, wholeTree]);
  });

  it('multiRead depends on every path it reads; an op that is not a read fails it with the paths read so far', () => {
    const t = tree();
    const ops: R.MultiOp[] = [
      { type: OpCode.getData, request: { path: '/a', watch: false } },
      { type: OpCode.getChildren, request: { path: '/a', watch: false } },
      { type: OpCode.getData, request: { path: '/none', watch: false } },
    ];
    const reply = readRequest(t, session, OpCode.multiRead, encodeRecord(ops, R.MultiRequest.write));
    expect([reply.err, reply.dependsOn]).toEqual([0, ['/a', '/a', '/none']]);
    const withWrite: R.MultiOp[] = [ops[0]!, { type: OpCode.delete, request: { path: '/a/b', version: -1 } }, ops[2]!];
    const failed = readRequest(t, session, OpCode.multiRead, encodeRecord(withWrite, R.MultiRequest.write));
    expect([failed.err, failed.dependsOn]).toEqual([ErrorCode.MARSHALLINGERROR, ['/a']]);
  });

  it('whoAmI reads the session, not the tree, and waits for nothing', () => {
    const reply = readRequest(tree(), session, OpCode.whoAmI, new Uint8Array(0));
    expect([reply.err, reply.dependsOn]).toEqual([0, []]);
    const decoded = decodeRecord(reply.response!, R.WhoAmIResponse.read);
    expect(decoded.ok && decoded.value.clientInfo).toEqual([{ authScheme: 'ip', user: '127.0.0.1' }]);
  });

  it('a write type is not a read: Unimplemented', () => {
    const reply = readRequest(tree(), session, OpCode.setData, encodeRecord({ path: '/a', data: bytes('y'), version: -1 }, R.SetDataRequest.write));
    expect(reply.err).toBe(ErrorCode.UNIMPLEMENTED);
  });
});
