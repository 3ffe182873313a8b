// The closeSession txn's size, kept by the tree as ephemerals come and go, and
// the bound prep puts on it (close-session-bytes.ts). The count is checked
// against the bytes encodeTxn really writes, so a change to the txn's encoding
// that the bookkeeping misses fails here.

import { describe, expect, it } from 'vitest';
import { CreateFlag, ErrorCode, OpCode } from '../protocol/constants.ts';
import type { MultiOp } from '../protocol/records.ts';
import { openAclUnsafe } from './acl.ts';
import { closeSessionTxnBytesMax } from './close-session-bytes.ts';
import { DataTree } from './data-tree.ts';
import { prepRequest, type WriteRequest } from './prep.ts';
import { deserializeTree, serializeTree } from './snapshot.ts';
import { encodeTxn, type Txn } from './txn.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

class Sessions {
  tree = new DataTree();
  zxid = 0n;
  warnings: string[] = [];
  constructor(readonly limit?: number) {}

  write(sessionId: bigint, request: WriteRequest): Txn {
    const txn = prepRequest(this.tree, request, {
      sessionId,
      cxid: 0,
      zxid: ++this.zxid,
      time: 1000n,
      authIds: [],
      extendedTypesEnabled: false,
      warn: (event) => this.warnings.push(event),
      ...(this.limit === undefined ? {} : { closeSessionTxnBytesMax: this.limit }),
    });
    this.tree.applyTxn(txn);
    return txn;
  }

  create(sessionId: bigint, path: string, flags: number = CreateFlag.EPHEMERAL): number {
    const body = this.write(sessionId, { type: OpCode.create, request: { path, data: bytes(''), acl: [...openAclUnsafe], flags } }).body;
    return body.type === 'error' ? body.err : ErrorCode.OK;
  }

  /** The body bytes the session's closeSession txn really encodes to, prepped but not applied. */
  encodedCloseBytes(sessionId: bigint): number {
    const header = { sessionId, cxid: 0, zxid: this.zxid + 1n, time: 1000n };
    const paths2Delete = this.tree.getEphemerals(sessionId);
    const withPaths = encodeTxn({ ...header, body: { type: 'closeSession', paths2Delete } }).byteLength;
    const empty = encodeTxn({ ...header, body: { type: 'closeSession', paths2Delete: [] } }).byteLength;
    return withPaths - empty + 4;
  }
}

const createOp = (path: string, flags: number = CreateFlag.EPHEMERAL): MultiOp => ({ type: OpCode.create, request: { path, data: bytes(''), acl: [...openAclUnsafe], flags } }) as MultiOp;

describe("a session's closeSession txn size", () => {
  it('is kept equal to what encodeTxn writes through creates, deletes, a multi, UTF-8 paths, a snapshot and the close', () => {
    const s = new Sessions();
    const a = 0x1n;
    const b = 0x2n;
    s.write(a, { type: OpCode.createSession, timeOut: 30_000 });
    s.write(b, { type: OpCode.createSession, timeOut: 30_000 });
    expect(s.tree.closeSessionTxnBytes(a)).toBe(4);
    expect(s.create(a, '/p', CreateFlag.PERSISTENT)).toBe(ErrorCode.OK);
    expect(s.tree.closeSessionTxnBytes(a)).toBe(4);
    for (const path of ['/e1', '/p/é-ü-€-ÿ', '/p/seq-']) expect(s.create(a, path, path.endsWith('-') ? CreateFlag.EPHEMERAL_SEQUENTIAL : CreateFlag.EPHEMERAL)).toBe(ErrorCode.OK);
    expect(s.create(b, '/b1')).toBe(ErrorCode.OK);
    s.write(a, { type: OpCode.multi, ops: [createOp('/m1'), createOp('/m2'), createOp('/m3', CreateFlag.PERSISTENT)] });
    expect(s.tree.closeSessionTxnBytes(a)).toBe(s.encodedCloseBytes(a));
    s.write(a, { type: OpCode.delete, request: { path: '/m1', version: -1 } });
    // Another session deletes one of a's ephemerals: a's count follows.
    s.write(b, { type: OpCode.delete, request: { path: '/e1', version: -1 } });
    expect(s.tree.closeSessionTxnBytes(a)).toBe(s.encodedCloseBytes(a));
    expect(s.tree.closeSessionTxnBytes(b)).toBe(s.encodedCloseBytes(b));
    const restored = deserializeTree(serializeTree(s.tree));
    if (!restored.ok) throw new Error(restored.error);
    expect(restored.value.closeSessionTxnBytes(a)).toBe(s.tree.closeSessionTxnBytes(a));
    s.write(a, { type: OpCode.closeSession });
    expect(s.tree.closeSessionTxnBytes(a)).toBe(4);
    expect(s.tree.closeSessionTxnBytes(b)).toBe(s.encodedCloseBytes(b));
  });

  it('is bounded: an ephemeral create past the bound fails with QuotaExceeded and changes nothing; other creates and sessions go on', () => {
    // Room for the vector count and four paths of 8 bytes (4 + 4 x (4 + 8)).
    const s = new Sessions(4 + 4 * 12);
    const a = 0x1n;
    const b = 0x2n;
    for (const i of [1, 2, 3, 4]) expect(s.create(a, `/a-${i}-xxx`)).toBe(ErrorCode.OK);
    expect(s.tree.closeSessionTxnBytes(a)).toBe(52);
    expect(s.create(a, '/a-5-xxx')).toBe(ErrorCode.QUOTAEXCEEDED);
    expect(s.warnings).toEqual(['close-session-txn-limit']);
    expect(s.tree.getNode('/a-5-xxx')).toBeUndefined();
    expect(s.tree.closeSessionTxnBytes(a)).toBe(52);
    // Not ephemeral, or another session's: no bound applies.
    expect(s.create(a, '/a-5-xxx', CreateFlag.PERSISTENT)).toBe(ErrorCode.OK);
    expect(s.create(b, '/b-1-xxx')).toBe(ErrorCode.OK);
    // A delete makes room again.
    s.write(a, { type: OpCode.delete, request: { path: '/a-1-xxx', version: -1 } });
    expect(s.create(a, '/a-6-xxx')).toBe(ErrorCode.OK);
  });

  it("counts a multi's own ephemerals: a multi whose creates together pass the bound fails whole", () => {
    const s = new Sessions(4 + 3 * 12);
    const a = 0x1n;
    expect(s.create(a, '/a-1-xxx')).toBe(ErrorCode.OK);
    const txn = s.write(a, { type: OpCode.multi, ops: [createOp('/a-2-xxx'), createOp('/a-3-xxx'), createOp('/a-4-xxx')] });
    expect(txn.body.type).toBe('multi');
    if (txn.body.type !== 'multi') return;
    expect(txn.body.ops.map((op) => (op.type === 'error' ? op.err : 'ok'))).toContain(ErrorCode.QUOTAEXCEEDED);
    for (const path of ['/a-2-xxx', '/a-3-xxx', '/a-4-xxx']) expect(s.tree.getNode(path)).toBeUndefined();
    expect(s.tree.closeSessionTxnBytes(a)).toBe(16);
    const fits = s.write(a, { type: OpCode.multi, ops: [createOp('/a-2-xxx'), createOp('/a-3-xxx')] });
    expect(fits.body.type).toBe('multi');
    expect(s.tree.closeSessionTxnBytes(a)).toBe(40);
  });

  it("defaults to what a learner accepts: jute.maxbuffer plus its extra (jute.maxbuffer since ZooKeeper 3.5.7), less the PROPOSAL's own bytes", () => {
    expect(closeSessionTxnBytesMax(0xfffff)).toBe(2 * 0xfffff - 1024);
    expect(closeSessionTxnBytesMax(100, 1024)).toBe(100);
  });
});
