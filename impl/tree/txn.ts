// Transactions: the deterministic changes the prep step derives from client
// requests and the storage layer logs. The shapes and their binary form are
// ZooKeeper's (zookeeper.jute module org.apache.zookeeper.txn): a TxnHeader
// (clientId, cxid, zxid, time, type) followed by the record for the type, and a
// MultiTxn as a vector of (type, bytes). Applying the same txns in the same order
// to the same tree gives the same tree (DataTree.processTxn), which is what
// recovery from a snapshot plus the log relies on.

import { OpCode } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord, JuteReader, type JuteWriter, JuteDecodeError } from '../protocol/jute.ts';
import type { Result } from '../../lib/result.ts';
import { ACL as ACLCodec, type ACL } from '../protocol/records.ts';

/** The length of a session password: the ConnectResponse's passwd. */
export const sessionPasswdBytes = 16;

export type CreateOpCode = typeof OpCode.create | typeof OpCode.create2;
export type DeleteOpCode = typeof OpCode.delete | typeof OpCode.deleteContainer;

/** The part of a txn that changes the tree (the record after the header). */
export type TxnOp =
  | { readonly type: 'create'; readonly opCode: CreateOpCode; readonly path: string; readonly data: Uint8Array | null; readonly acl: readonly ACL[]; readonly ephemeral: boolean; readonly parentCVersion: number }
  | { readonly type: 'createContainer'; readonly path: string; readonly data: Uint8Array | null; readonly acl: readonly ACL[]; readonly parentCVersion: number }
  | { readonly type: 'createTTL'; readonly path: string; readonly data: Uint8Array | null; readonly acl: readonly ACL[]; readonly parentCVersion: number; readonly ttl: bigint }
  | { readonly type: 'delete'; readonly opCode: DeleteOpCode; readonly path: string }
  | { readonly type: 'setData'; readonly path: string; readonly data: Uint8Array | null; readonly version: number }
  | { readonly type: 'setACL'; readonly path: string; readonly acl: readonly ACL[]; readonly version: number }
  | { readonly type: 'check'; readonly path: string; readonly version: number }
  | { readonly type: 'error'; readonly err: number };

export type TxnBody =
  | TxnOp
  | { readonly type: 'multi'; readonly ops: readonly TxnOp[] }
  | {
      readonly type: 'createSession';
      readonly timeOut: number;
      /**
       * The session's password (16 random bytes), after the timeout; absent in
       * a txn logged before passwords were kept (see writeBody).
       */
      readonly passwd?: Uint8Array;
    }
  | { readonly type: 'closeSession'; readonly paths2Delete: readonly string[] };

export type Txn = {
  /** TxnHeader.clientId: the session that issued the request. */
  readonly sessionId: bigint;
  /** TxnHeader.cxid: the client's xid of the request. */
  readonly cxid: number;
  readonly zxid: bigint;
  /** TxnHeader.time: the leader's wall clock in ms when it prepared the txn (ctime/mtime come from it). */
  readonly time: bigint;
  readonly body: TxnBody;
};

export function txnOpCode(body: TxnBody): number {
  switch (body.type) {
    case 'create':
      return body.opCode;
    case 'createContainer':
      return OpCode.createContainer;
    case 'createTTL':
      return OpCode.createTTL;
    case 'delete':
      return body.opCode;
    case 'setData':
      return OpCode.setData;
    case 'setACL':
      return OpCode.setACL;
    case 'check':
      return OpCode.check;
    case 'error':
      return OpCode.error;
    case 'multi':
      return OpCode.multi;
    case 'createSession':
      return OpCode.createSession;
    case 'closeSession':
      return OpCode.closeSession;
  }
}

const writeAcl = (w: JuteWriter, acl: readonly ACL[]) => w.writeVector(acl, (ww, a) => ACLCodec.write(ww, a));
const readAcl = (r: JuteReader) => r.readVector((rr) => ACLCodec.read(rr));

function writeBody(w: JuteWriter, body: TxnBody): void {
  switch (body.type) {
    case 'create': // CreateTxn
      w.writeString(body.path).writeBuffer(body.data ?? undefined);
      writeAcl(w, body.acl);
      w.writeBool(body.ephemeral).writeInt(body.parentCVersion);
      return;
    case 'createContainer': // CreateContainerTxn
      w.writeString(body.path).writeBuffer(body.data ?? undefined);
      writeAcl(w, body.acl);
      w.writeInt(body.parentCVersion);
      return;
    case 'createTTL': // CreateTTLTxn
      w.writeString(body.path).writeBuffer(body.data ?? undefined);
      writeAcl(w, body.acl);
      w.writeInt(body.parentCVersion).writeLong(body.ttl);
      return;
    case 'delete': // DeleteTxn
      w.writeString(body.path);
      return;
    case 'setData': // SetDataTxn
      w.writeString(body.path).writeBuffer(body.data ?? undefined).writeInt(body.version);
      return;
    case 'setACL': // SetACLTxn
      w.writeString(body.path);
      writeAcl(w, body.acl);
      w.writeInt(body.version);
      return;
    case 'check': // CheckVersionTxn
      w.writeString(body.path).writeInt(body.version);
      return;
    case 'error': // ErrorTxn
      w.writeInt(body.err);
      return;
    case 'multi': // MultiTxn: vector<Txn{int type; buffer data}>
      w.writeInt(body.ops.length);
      for (const op of body.ops) {
        w.writeInt(txnOpCode(op)).writeBuffer(encodeRecord(op, writeBody));
      }
      return;
    case 'createSession': // CreateSessionTxn, then our password (a jute buffer)
      // ZooKeeper's CreateSessionTxn is the timeout alone, because its passwords
      // follow from the session id (impl/server/session-password.ts). Ours are
      // random, so the txn carries it to every member, the log and snapshots. A
      // txn with nothing after the timeout (logged before) has no password.
      w.writeInt(body.timeOut);
      if (body.passwd !== undefined) w.writeBuffer(body.passwd);
      return;
    case 'closeSession': // CloseSessionTxn
      w.writeVector(body.paths2Delete, (ww, p) => ww.writeString(p));
      return;
  }
}

function readBody(r: JuteReader, type: number): TxnBody {
  switch (type) {
    case OpCode.create:
    case OpCode.create2: {
      const path = r.readString();
      const data = r.readNullableBuffer();
      const acl = readAcl(r);
      const ephemeral = r.readBool();
      const parentCVersion = r.readInt();
      return { type: 'create', opCode: type, path, data, acl, ephemeral, parentCVersion };
    }
    case OpCode.createContainer: {
      const path = r.readString();
      const data = r.readNullableBuffer();
      const acl = readAcl(r);
      return { type: 'createContainer', path, data, acl, parentCVersion: r.readInt() };
    }
    case OpCode.createTTL: {
      const path = r.readString();
      const data = r.readNullableBuffer();
      const acl = readAcl(r);
      const parentCVersion = r.readInt();
      return { type: 'createTTL', path, data, acl, parentCVersion, ttl: r.readLong() };
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type: 'delete', opCode: type, path: r.readString() };
    case OpCode.setData: {
      const path = r.readString();
      const data = r.readNullableBuffer();
      return { type: 'setData', path, data, version: r.readInt() };
    }
    case OpCode.setACL: {
      const path = r.readString();
      const acl = readAcl(r);
      return { type: 'setACL', path, acl, version: r.readInt() };
    }
    case OpCode.check: {
      const path = r.readString();
      return { type: 'check', path, version: r.readInt() };
    }
    case OpCode.error:
      return { type: 'error', err: r.readInt() };
    case OpCode.multi: {
      const ops = r.readVector((rr) => {
        const subType = rr.readInt();
        const bytes = rr.readBuffer();
        const sub = new JuteReader(bytes);
        const op = readBody(sub, subType);
        if (op.type === 'multi' || op.type === 'createSession' || op.type === 'closeSession') {
          throw new JuteDecodeError(`multi: sub-txn of type ${subType} is not allowed`);
        }
        if (sub.remaining !== 0) throw new JuteDecodeError(`multi: ${sub.remaining} trailing bytes in sub-txn`);
        return op;
      });
      return { type: 'multi', ops };
    }
    case OpCode.createSession: {
      const timeOut = r.readInt();
      if (r.remaining === 0) return { type: 'createSession', timeOut };
      const passwd = r.readBuffer();
      if (passwd.byteLength !== sessionPasswdBytes) throw new JuteDecodeError(`createSession: a password of ${passwd.byteLength} bytes, not ${sessionPasswdBytes}`);
      return { type: 'createSession', timeOut, passwd };
    }
    case OpCode.closeSession:
      // ZooKeeper before 3.6 logged closeSession with no record; read that as no paths.
      return { type: 'closeSession', paths2Delete: r.remaining === 0 ? [] : r.readVector((rr) => rr.readString()) };
    default:
      throw new JuteDecodeError(`txn: unknown type ${type}`);
  }
}

/** TxnHeader + record, the bytes of one txn log entry (without the log's checksum and framing). */
export function encodeTxn(txn: Txn): Uint8Array {
  return encodeRecord(txn, writeTxn);
}

/** encodeTxn into bytes from `allocate` (a caller whose bytes live briefly takes them from a pool). */
export function encodeTxnWith(txn: Txn, allocate: (byteLength: number) => Uint8Array): Uint8Array {
  return encodeRecord(txn, writeTxn, allocate);
}

/** TxnHeader then the body. */
function writeTxn(w: JuteWriter, txn: Txn): void {
  w.writeLong(txn.sessionId).writeInt(txn.cxid).writeLong(txn.zxid).writeLong(txn.time).writeInt(txnOpCode(txn.body));
  writeBody(w, txn.body);
}

export function decodeTxn(bytes: Uint8Array): Result<Txn, string> {
  return decodeRecord(bytes, (r) => {
    const sessionId = r.readLong();
    const cxid = r.readInt();
    const zxid = r.readLong();
    const time = r.readLong();
    const type = r.readInt();
    return { sessionId, cxid, zxid, time, body: readBody(r, type) };
  });
}
