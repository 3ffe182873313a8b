// One logged txn as TxnLogToolkit prints it, and as a JSON object:
//
//   <time> session 0x<id> cxid 0x<cxid> zxid 0x<zxid> <type> <fields>
//
// The type is TraceFormatter.op2String's name; the fields follow
// TxnLogToolkit.getFormattedTxnStr's order (create: path,data,acl,ephemeral,
// parentCVersion; setData: path,data,version; multi: type:data;... ). Where
// TxnLogToolkit falls back to jute's toString (delete, setACL, check, error,
// sessions) we print the record's fields the same comma-separated way. Data
// is summarised (`#<length>`, or `null`) unless the caller asks for it whole
// (-d): a log can hold megabytes of values an operator rarely wants on a
// terminal. ACLs print as zkCli's getAcl does, `scheme:id:perms`.

import { Perms } from '../protocol/constants.ts';
import type { ACL } from '../protocol/records.ts';
import type { Txn, TxnBody, TxnOp } from '../tree/txn.ts';
import { opCodeName } from '../protocol/constants.ts';
import { dataSummary, dataText, javaShortDateTime, longHex } from './java-format.ts';

const permLetters: readonly [number, string][] = [
  [Perms.CREATE, 'c'],
  [Perms.DELETE, 'd'],
  [Perms.READ, 'r'],
  [Perms.WRITE, 'w'],
  [Perms.ADMIN, 'a'],
];

export function aclText(acl: readonly ACL[]): string {
  const one = (a: ACL) => `${a.id.scheme}:${a.id.id}:${permLetters.map(([bit, letter]) => (a.perms & bit ? letter : '')).join('')}`;
  return `[${acl.map(one).join(' ')}]`;
}

/** TraceFormatter.op2String: the type's name in the log. */
export function txnTypeName(body: TxnBody | TxnOp): string {
  return body.type === 'create' || body.type === 'delete' ? opCodeName(body.opCode) : body.type;
}

function opFields(op: TxnOp, data: (d: Uint8Array | null) => string): string {
  switch (op.type) {
    case 'create':
      return `${op.path},${data(op.data)},${aclText(op.acl)},${op.ephemeral},${op.parentCVersion}`;
    case 'createContainer':
      return `${op.path},${data(op.data)},${aclText(op.acl)},${op.parentCVersion}`;
    case 'createTTL':
      return `${op.path},${data(op.data)},${aclText(op.acl)},${op.parentCVersion},${op.ttl}`;
    case 'delete':
      return op.path;
    case 'setData':
      return `${op.path},${data(op.data)},${op.version}`;
    case 'setACL':
      return `${op.path},${aclText(op.acl)},${op.version}`;
    case 'check':
      return `${op.path},${op.version}`;
    case 'error':
      return String(op.err);
  }
}

/** The part after the type: the txn's fields. */
export function txnFieldsText(body: TxnBody, dumpData: boolean): string {
  const data = dumpData ? dataText : dataSummary;
  switch (body.type) {
    case 'multi':
      // TxnLogToolkit: op:data;op:data. Each op's own fields are more use than its data alone.
      return body.ops.map((op) => `${txnTypeName(op)}:${opFields(op, data)}`).join(';');
    case 'createSession':
      return String(body.timeOut);
    case 'closeSession':
      return `[${body.paths2Delete.join(',')}]`;
    default:
      return opFields(body, data);
  }
}

/** TxnLogToolkit.printTxn's line. */
export function txnLine(txn: Txn, dumpData: boolean): string {
  return `${javaShortDateTime(txn.time)} session ${longHex(txn.sessionId)} cxid ${longHex(txn.cxid)} zxid ${longHex(txn.zxid)} ${txnTypeName(txn.body)} ${txnFieldsText(txn.body, dumpData)}`;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const dataJson = (data: Uint8Array | null, dumpData: boolean): Record<string, Json> =>
  data === null ? { data: null } : dumpData ? { data: Buffer.from(data).toString('base64') } : { dataLength: data.byteLength };

function opJson(op: TxnOp, dumpData: boolean): Record<string, Json> {
  const base = { type: txnTypeName(op) };
  const acl = (list: readonly ACL[]) => list.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id }));
  switch (op.type) {
    case 'create':
      return { ...base, path: op.path, ...dataJson(op.data, dumpData), acl: acl(op.acl), ephemeral: op.ephemeral, parentCVersion: op.parentCVersion };
    case 'createContainer':
      return { ...base, path: op.path, ...dataJson(op.data, dumpData), acl: acl(op.acl), parentCVersion: op.parentCVersion };
    case 'createTTL':
      return { ...base, path: op.path, ...dataJson(op.data, dumpData), acl: acl(op.acl), parentCVersion: op.parentCVersion, ttl: op.ttl.toString() };
    case 'delete':
      return { ...base, path: op.path };
    case 'setData':
      return { ...base, path: op.path, ...dataJson(op.data, dumpData), version: op.version };
    case 'setACL':
      return { ...base, path: op.path, acl: acl(op.acl), version: op.version };
    case 'check':
      return { ...base, path: op.path, version: op.version };
    case 'error':
      return { ...base, err: op.err };
  }
}

/** The txn as one JSON object (the -json output, one per line): ids as 0x hex, time as ISO and ms, data as base64 with -d. */
export function txnJson(txn: Txn, dumpData: boolean): Record<string, Json> {
  const date = new Date(Number(txn.time));
  const head = { time: Number.isNaN(date.getTime()) ? null : date.toISOString(), timeMs: Number(txn.time), session: longHex(txn.sessionId), cxid: txn.cxid, zxid: longHex(txn.zxid) };
  const body = txn.body;
  switch (body.type) {
    case 'multi':
      return { ...head, type: 'multi', ops: body.ops.map((op) => opJson(op, dumpData)) };
    case 'createSession':
      return { ...head, type: 'createSession', timeOut: body.timeOut };
    case 'closeSession':
      return { ...head, type: 'closeSession', paths2Delete: [...body.paths2Delete] };
    default:
      return { ...head, ...opJson(body, dumpData) };
  }
}
