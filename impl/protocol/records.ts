// The records of zookeeper-jute/src/main/resources/zookeeper.jute that the client
// protocol uses, plus MultiOperationRecord and MultiResponse (hand-written in
// ZooKeeper too: a sequence of MultiHeader + record, closed by a header with
// done = true).
//
// Each record is a Codec built from the jute primitives; the field order is the
// order in zookeeper.jute, which is the wire order. A small combinator keeps each
// record one declaration, and `Infer<>` gives its TypeScript type.

import { type JuteReader, type JuteWriter, JuteDecodeError } from './jute.ts';
import { OpCode } from './constants.ts';

export interface Codec<T> {
  read(reader: JuteReader): T;
  write(writer: JuteWriter, value: T): void;
}
export type Infer<C> = C extends Codec<infer T> ? T : never;

export const int: Codec<number> = { read: (r) => r.readInt(), write: (w, v) => void w.writeInt(v) };
export const long: Codec<bigint> = { read: (r) => r.readLong(), write: (w, v) => void w.writeLong(v) };
export const bool: Codec<boolean> = { read: (r) => r.readBool(), write: (w, v) => void w.writeBool(v) };
export const buffer: Codec<Uint8Array> = { read: (r) => r.readBuffer(), write: (w, v) => void w.writeBuffer(v) };
/** Znode data: a null buffer (length -1, sent by clients for "no data") stays null, as in ZooKeeper's DataNode. */
export const data: Codec<Uint8Array | null> = { read: (r) => r.readNullableBuffer(), write: (w, v) => void w.writeBuffer(v ?? undefined) };
export const ustring: Codec<string> = { read: (r) => r.readString(), write: (w, v) => void w.writeString(v) };
export function vector<T>(element: Codec<T>): Codec<T[]> {
  return {
    read: (r) => r.readVector((rr) => element.read(rr)),
    write: (w, v) => void w.writeVector(v, (ww, e) => element.write(ww, e)),
  };
}

type Fields = Record<string, Codec<unknown>>;
type RecordOf<F extends Fields> = { -readonly [K in keyof F]: Infer<F[K]> };

/** A jute `class`: its fields in declaration order. */
export function record<F extends Fields>(fields: F): Codec<RecordOf<F>> {
  const entries = Object.entries(fields);
  return {
    read(reader) {
      const value: Record<string, unknown> = {};
      for (const [name, codec] of entries) value[name] = codec.read(reader);
      return value as RecordOf<F>;
    },
    write(writer, value) {
      for (const [name, codec] of entries) codec.write(writer, (value as Record<string, unknown>)[name]);
    },
  };
}

// ---- org.apache.zookeeper.data ----------------------------------------------

export const Id = record({ scheme: ustring, id: ustring });
export type Id = Infer<typeof Id>;

export const ACL = record({ perms: int, id: Id });
export type ACL = Infer<typeof ACL>;

export const Stat = record({
  czxid: long,
  mzxid: long,
  ctime: long,
  mtime: long,
  version: int,
  cversion: int,
  aversion: int,
  ephemeralOwner: long,
  dataLength: int,
  numChildren: int,
  pzxid: long,
});
export type Stat = Infer<typeof Stat>;

export const StatPersisted = record({
  czxid: long,
  mzxid: long,
  ctime: long,
  mtime: long,
  version: int,
  cversion: int,
  aversion: int,
  ephemeralOwner: long,
  pzxid: long,
});
export type StatPersisted = Infer<typeof StatPersisted>;

export const ClientInfo = record({ authScheme: ustring, user: ustring });
export type ClientInfo = Infer<typeof ClientInfo>;

// ---- org.apache.zookeeper.proto ---------------------------------------------

/**
 * ConnectRequest. `readOnly` is absent in frames from pre-3.4 clients; ZooKeeper's
 * ProtocolManager then answers without it too, so we keep the distinction.
 */
export type ConnectRequest = {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  readOnly: boolean | undefined;
};
export const ConnectRequest: Codec<ConnectRequest> = {
  read(r) {
    const protocolVersion = r.readInt();
    const lastZxidSeen = r.readLong();
    const timeOut = r.readInt();
    const sessionId = r.readLong();
    const passwd = r.readBuffer();
    const readOnly = r.remaining > 0 ? r.readBool() : undefined;
    return { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly };
  },
  write(w, v) {
    w.writeInt(v.protocolVersion).writeLong(v.lastZxidSeen).writeInt(v.timeOut).writeLong(v.sessionId).writeBuffer(v.passwd);
    if (v.readOnly !== undefined) w.writeBool(v.readOnly);
  },
};

export type ConnectResponse = {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  readOnly: boolean | undefined;
};
export const ConnectResponse: Codec<ConnectResponse> = {
  read(r) {
    const protocolVersion = r.readInt();
    const timeOut = r.readInt();
    const sessionId = r.readLong();
    const passwd = r.readBuffer();
    const readOnly = r.remaining > 0 ? r.readBool() : undefined;
    return { protocolVersion, timeOut, sessionId, passwd, readOnly };
  },
  write(w, v) {
    w.writeInt(v.protocolVersion).writeInt(v.timeOut).writeLong(v.sessionId).writeBuffer(v.passwd);
    if (v.readOnly !== undefined) w.writeBool(v.readOnly);
  },
};

export const SetWatches = record({
  relativeZxid: long,
  dataWatches: vector(ustring),
  existWatches: vector(ustring),
  childWatches: vector(ustring),
});
export type SetWatches = Infer<typeof SetWatches>;

export const SetWatches2 = record({
  relativeZxid: long,
  dataWatches: vector(ustring),
  existWatches: vector(ustring),
  childWatches: vector(ustring),
  persistentWatches: vector(ustring),
  persistentRecursiveWatches: vector(ustring),
});
export type SetWatches2 = Infer<typeof SetWatches2>;

export const RequestHeader = record({ xid: int, type: int });
export type RequestHeader = Infer<typeof RequestHeader>;

export const MultiHeader = record({ type: int, done: bool, err: int });
export type MultiHeader = Infer<typeof MultiHeader>;

export const AuthPacket = record({ type: int, scheme: ustring, auth: buffer });
export type AuthPacket = Infer<typeof AuthPacket>;

export const ReplyHeader = record({ xid: int, zxid: long, err: int });
export type ReplyHeader = Infer<typeof ReplyHeader>;

export const GetDataRequest = record({ path: ustring, watch: bool });
export type GetDataRequest = Infer<typeof GetDataRequest>;

export const SetDataRequest = record({ path: ustring, data, version: int });
export type SetDataRequest = Infer<typeof SetDataRequest>;

export const ReconfigRequest = record({ joiningServers: ustring, leavingServers: ustring, newMembers: ustring, curConfigId: long });
export type ReconfigRequest = Infer<typeof ReconfigRequest>;

export const SetDataResponse = record({ stat: Stat });
export type SetDataResponse = Infer<typeof SetDataResponse>;

export const GetSASLRequest = record({ token: buffer });
export const SetSASLRequest = record({ token: buffer });
export const SetSASLResponse = record({ token: buffer });

export const CreateRequest = record({ path: ustring, data, acl: vector(ACL), flags: int });
export type CreateRequest = Infer<typeof CreateRequest>;

export const CreateTTLRequest = record({ path: ustring, data, acl: vector(ACL), flags: int, ttl: long });
export type CreateTTLRequest = Infer<typeof CreateTTLRequest>;

export const DeleteRequest = record({ path: ustring, version: int });
export type DeleteRequest = Infer<typeof DeleteRequest>;

export const GetChildrenRequest = record({ path: ustring, watch: bool });
export type GetChildrenRequest = Infer<typeof GetChildrenRequest>;

export const GetAllChildrenNumberRequest = record({ path: ustring });
export type GetAllChildrenNumberRequest = Infer<typeof GetAllChildrenNumberRequest>;

export const GetChildren2Request = record({ path: ustring, watch: bool });
export type GetChildren2Request = Infer<typeof GetChildren2Request>;

export const CheckVersionRequest = record({ path: ustring, version: int });
export type CheckVersionRequest = Infer<typeof CheckVersionRequest>;

export const GetMaxChildrenRequest = record({ path: ustring });
export const GetMaxChildrenResponse = record({ max: int });
export const SetMaxChildrenRequest = record({ path: ustring, max: int });

export const SyncRequest = record({ path: ustring });
export type SyncRequest = Infer<typeof SyncRequest>;
export const SyncResponse = record({ path: ustring });
export type SyncResponse = Infer<typeof SyncResponse>;

export const GetACLRequest = record({ path: ustring });
export type GetACLRequest = Infer<typeof GetACLRequest>;

export const SetACLRequest = record({ path: ustring, acl: vector(ACL), version: int });
export type SetACLRequest = Infer<typeof SetACLRequest>;

export const SetACLResponse = record({ stat: Stat });
export type SetACLResponse = Infer<typeof SetACLResponse>;

export const AddWatchRequest = record({ path: ustring, mode: int });
export type AddWatchRequest = Infer<typeof AddWatchRequest>;

export const WatcherEvent = record({ type: int, state: int, path: ustring });
export type WatcherEvent = Infer<typeof WatcherEvent>;

export const ErrorResponse = record({ err: int });
export type ErrorResponse = Infer<typeof ErrorResponse>;

export const CreateResponse = record({ path: ustring });
export type CreateResponse = Infer<typeof CreateResponse>;

export const Create2Response = record({ path: ustring, stat: Stat });
export type Create2Response = Infer<typeof Create2Response>;

export const ExistsRequest = record({ path: ustring, watch: bool });
export type ExistsRequest = Infer<typeof ExistsRequest>;

export const ExistsResponse = record({ stat: Stat });
export type ExistsResponse = Infer<typeof ExistsResponse>;

export const GetDataResponse = record({ data, stat: Stat });
export type GetDataResponse = Infer<typeof GetDataResponse>;

export const GetChildrenResponse = record({ children: vector(ustring) });
export type GetChildrenResponse = Infer<typeof GetChildrenResponse>;

export const GetAllChildrenNumberResponse = record({ totalNumber: int });
export type GetAllChildrenNumberResponse = Infer<typeof GetAllChildrenNumberResponse>;

export const GetChildren2Response = record({ children: vector(ustring), stat: Stat });
export type GetChildren2Response = Infer<typeof GetChildren2Response>;

export const GetACLResponse = record({ acl: vector(ACL), stat: Stat });
export type GetACLResponse = Infer<typeof GetACLResponse>;

export const CheckWatchesRequest = record({ path: ustring, type: int });
export type CheckWatchesRequest = Infer<typeof CheckWatchesRequest>;

export const RemoveWatchesRequest = record({ path: ustring, type: int });
export type RemoveWatchesRequest = Infer<typeof RemoveWatchesRequest>;

export const GetEphemeralsRequest = record({ prefixPath: ustring });
export type GetEphemeralsRequest = Infer<typeof GetEphemeralsRequest>;

export const GetEphemeralsResponse = record({ ephemerals: vector(ustring) });
export type GetEphemeralsResponse = Infer<typeof GetEphemeralsResponse>;

export const WhoAmIResponse = record({ clientInfo: vector(ClientInfo) });
export type WhoAmIResponse = Infer<typeof WhoAmIResponse>;

// ---- multi (MultiOperationRecord / MultiResponse) -----------------------------

/** One op of a multi or multiRead request, as MultiOperationRecord reads it. */
export type MultiOp =
  | { type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer; request: CreateRequest }
  | { type: typeof OpCode.createTTL; request: CreateTTLRequest }
  | { type: typeof OpCode.delete; request: DeleteRequest }
  | { type: typeof OpCode.setData; request: SetDataRequest }
  | { type: typeof OpCode.check; request: CheckVersionRequest }
  | { type: typeof OpCode.getChildren; request: GetChildrenRequest }
  | { type: typeof OpCode.getData; request: GetDataRequest };

export const MultiRequest: Codec<MultiOp[]> = {
  read(r) {
    const ops: MultiOp[] = [];
    let header = MultiHeader.read(r);
    // Each op takes at least 9 bytes of header, so the loop is bounded by the frame.
    while (!header.done) {
      switch (header.type) {
        case OpCode.create:
        case OpCode.create2:
        case OpCode.createContainer:
          ops.push({ type: header.type, request: CreateRequest.read(r) });
          break;
        case OpCode.createTTL:
          ops.push({ type: header.type, request: CreateTTLRequest.read(r) });
          break;
        case OpCode.delete:
          ops.push({ type: header.type, request: DeleteRequest.read(r) });
          break;
        case OpCode.setData:
          ops.push({ type: header.type, request: SetDataRequest.read(r) });
          break;
        case OpCode.check:
          ops.push({ type: header.type, request: CheckVersionRequest.read(r) });
          break;
        case OpCode.getChildren:
          ops.push({ type: header.type, request: GetChildrenRequest.read(r) });
          break;
        case OpCode.getData:
          ops.push({ type: header.type, request: GetDataRequest.read(r) });
          break;
        default:
          throw new JuteDecodeError(`multi: invalid op type ${header.type}`);
      }
      header = MultiHeader.read(r);
    }
    return ops;
  },
  write(w, ops) {
    for (const op of ops) {
      MultiHeader.write(w, { type: op.type, done: false, err: -1 });
      writeMultiOpBody(w, op);
    }
    MultiHeader.write(w, { type: -1, done: true, err: -1 });
  },
};

function writeMultiOpBody(w: JuteWriter, op: MultiOp): void {
  switch (op.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      return CreateRequest.write(w, op.request);
    case OpCode.createTTL:
      return CreateTTLRequest.write(w, op.request);
    case OpCode.delete:
      return DeleteRequest.write(w, op.request);
    case OpCode.setData:
      return SetDataRequest.write(w, op.request);
    case OpCode.check:
      return CheckVersionRequest.write(w, op.request);
    case OpCode.getChildren:
      return GetChildrenRequest.write(w, op.request);
    case OpCode.getData:
      return GetDataRequest.write(w, op.request);
  }
}

/** One OpResult of a MultiResponse; the MultiHeader's type says which. */
export type MultiResult =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2; path: string; stat: Stat }
  | { type: typeof OpCode.delete }
  | { type: typeof OpCode.check }
  | { type: typeof OpCode.setData; stat: Stat }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.getData; data: Uint8Array | null; stat: Stat }
  | { type: typeof OpCode.error; err: number };

export const MultiResponse: Codec<MultiResult[]> = {
  read(r) {
    const results: MultiResult[] = [];
    let header = MultiHeader.read(r);
    while (!header.done) {
      switch (header.type) {
        case OpCode.create:
          results.push({ type: header.type, path: r.readString() });
          break;
        case OpCode.create2: {
          const response = Create2Response.read(r);
          results.push({ type: header.type, path: response.path, stat: response.stat });
          break;
        }
        case OpCode.delete:
        case OpCode.check:
          results.push({ type: header.type });
          break;
        case OpCode.setData:
          results.push({ type: header.type, stat: Stat.read(r) });
          break;
        case OpCode.getChildren:
          results.push({ type: header.type, children: GetChildrenResponse.read(r).children });
          break;
        case OpCode.getData: {
          const response = GetDataResponse.read(r);
          results.push({ type: header.type, data: response.data, stat: response.stat });
          break;
        }
        case OpCode.error:
          results.push({ type: header.type, err: r.readInt() });
          break;
        default:
          throw new JuteDecodeError(`multi response: invalid result type ${header.type}`);
      }
      header = MultiHeader.read(r);
    }
    return results;
  },
  write(w, results) {
    for (const result of results) {
      MultiHeader.write(w, { type: result.type, done: false, err: result.type === OpCode.error ? result.err : 0 });
      switch (result.type) {
        case OpCode.create:
          w.writeString(result.path);
          break;
        case OpCode.create2:
          Create2Response.write(w, result);
          break;
        case OpCode.delete:
        case OpCode.check:
          break;
        case OpCode.setData:
          Stat.write(w, result.stat);
          break;
        case OpCode.getChildren:
          GetChildrenResponse.write(w, result);
          break;
        case OpCode.getData:
          GetDataResponse.write(w, result);
          break;
        case OpCode.error:
          w.writeInt(result.err);
          break;
      }
    }
    MultiHeader.write(w, { type: -1, done: true, err: -1 });
  },
};
