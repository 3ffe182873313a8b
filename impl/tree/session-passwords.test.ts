// Session passwords in the txn and the snapshot (txn.ts, snapshot.ts): a
// createSession carries its password after ZooKeeper's CreateSessionTxn, the
// snapshot's session table keeps it, and both still read what was written
// before passwords were kept (no password: no one attaches to those sessions).

import { describe, expect, it } from 'vitest';
import { JuteWriter } from '../protocol/jute.ts';
import { DataTree } from './data-tree.ts';
import { deserializeTree, serializeTree } from './snapshot.ts';
import { decodeTxn, encodeTxn, type Txn } from './txn.ts';

const passwd = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const createSession = (sessionId: bigint, zxid: bigint, withPasswd: boolean): Txn => ({
  sessionId,
  cxid: 0,
  zxid,
  time: 5n,
  body: withPasswd ? { type: 'createSession', timeOut: 30_000, passwd } : { type: 'createSession', timeOut: 30_000 },
});

/** The snapshot body as it was written before passwords were kept: (long id, int timeout) per session. */
function oldSnapshot(sessions: readonly [bigint, number][], zxid: bigint): Uint8Array {
  const tree = new DataTree();
  const w = new JuteWriter(1024);
  w.writeLong(zxid).writeInt(sessions.length);
  for (const [id, timeout] of sessions) w.writeLong(id).writeInt(timeout);
  const current = serializeTree(tree);
  // The nodes are as they were: everything after the (empty) session table of today's layout (zxid 8, tag 4, count 4).
  const nodes = current.subarray(16);
  const out = new Uint8Array(w.length + nodes.byteLength);
  out.set(w.toBytes());
  out.set(nodes, w.length);
  return out;
}

describe('session passwords on disk and on the wire', () => {
  it("writes the password after ZooKeeper's CreateSessionTxn and reads both forms", () => {
    const bytes = encodeTxn(createSession(7n, 1n, true));
    const old = encodeTxn(createSession(7n, 1n, false));
    // TxnHeader (8+4+8+8+4 = 32 bytes), the timeout, then the password as a jute buffer.
    expect(old.byteLength).toBe(36);
    expect(bytes.byteLength).toBe(36 + 4 + 16);
    expect(Buffer.from(bytes.subarray(0, 36)).equals(Buffer.from(old))).toBe(true);
    const decoded = decodeTxn(bytes);
    expect(decoded.ok && decoded.value.body).toEqual({ type: 'createSession', timeOut: 30_000, passwd });
    const decodedOld = decodeTxn(old);
    expect(decodedOld.ok && decodedOld.value.body).toEqual({ type: 'createSession', timeOut: 30_000 });
    // A password of another length is damage, not a password.
    const short = new JuteWriter(64).writeRaw(old).writeBuffer(passwd.subarray(0, 8)).toBytes();
    expect(decodeTxn(short)).toMatchObject({ ok: false });
  });

  it('keeps passwords in the tree and its snapshot until the session closes; an old snapshot gives sessions without one', () => {
    const tree = new DataTree();
    tree.applyTxn(createSession(7n, 1n, true));
    tree.applyTxn(createSession(8n, 2n, false)); // logged before passwords were kept
    tree.applyTxn(createSession(9n, 3n, true));
    tree.applyTxn({ sessionId: 9n, cxid: 1, zxid: 4n, time: 6n, body: { type: 'closeSession', paths2Delete: [] } });
    expect([...tree.sessionPasswords.keys()]).toEqual([7n]);

    const back = deserializeTree(serializeTree(tree));
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect([...back.value.sessions]).toEqual([
      [7n, 30_000],
      [8n, 30_000],
    ]);
    expect([...back.value.sessionPasswords]).toEqual([[7n, passwd]]);

    const old = deserializeTree(oldSnapshot([[7n, 4000], [8n, 6000]], 4n));
    expect(old.ok).toBe(true);
    if (!old.ok) return;
    expect([...old.value.sessions]).toEqual([
      [7n, 4000],
      [8n, 6000],
    ]);
    expect(old.value.sessionPasswords.size).toBe(0);
    expect(old.value.lastProcessedZxid).toBe(4n);
  });

  it('refuses a damaged session table', () => {
    const tree = new DataTree();
    tree.applyTxn(createSession(7n, 1n, true));
    const bytes = serializeTree(tree);
    // zxid 8, tag 4, count 4, id 8, timeout 4, then the password's length: 15 instead of 16.
    const damaged = bytes.slice();
    new DataView(damaged.buffer).setInt32(28, 15);
    expect(deserializeTree(damaged)).toMatchObject({ ok: false });
    const huge = bytes.slice();
    new DataView(huge.buffer).setInt32(12, 1_000_000);
    expect(deserializeTree(huge)).toMatchObject({ ok: false });
  });
});
