// The read requests: FinalRequestProcessor's read cases as one function from
// (tree, session, request) to the reply and what the reply depends on. It
// knows nothing of connections, queues or persistence, so a test can call it
// with a tree and a session (reads.test.ts). Its only effects are the ones the
// request asks for on the tree's watch tables (a watch flag, setWatches,
// addWatch, removeWatches), as in ZooKeeper.
//
// The dependency is what release-order.ts needs to hold the reply back until
// the writes it shows are durable: the path a read names, the paths of a
// multiRead, or the whole tree for the reads that do not name one.

import { ErrorCode, OpCode, Perms, WatcherType, juteMaxBufferDefault } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord } from '../protocol/jute.ts';
import { encodeBrief } from './pooled-bytes.ts';
import { replyFits, replyFrameBytes } from './reply-size.ts';
import type { Result } from '../../lib/result.ts';
import * as R from '../protocol/records.ts';
import { checkACL, userName } from '../tree/acl.ts';
import { authInfoOrder } from '../tree/java-hash-order.ts';
import type { DataTree, WatchEvent } from '../tree/data-tree.ts';

/** The session a read runs for: the watcher id its watches are registered under (the connection's), its session, its auth ids. */
export type ReadSession = {
  readonly id: number;
  readonly sessionId: bigint | undefined;
  readonly authIds: readonly R.Id[];
};

/** A read that names no path depends on every txn applied so far. */
export const wholeTree: unique symbol = Symbol('whole tree');

/** What a read's reply must wait for: one path, several (none for whoAmI), or the whole tree. */
export type ReadDependency = string | readonly string[] | typeof wholeTree;

export type ReadReply = {
  /** 0, or the KeeperException code the reply header carries. */
  readonly err: number;
  /** The response record, encoded; sent only when err is 0. */
  readonly response: Uint8Array | undefined;
  /** The events setWatches fired while it ran: they precede its reply. */
  readonly events: readonly WatchEvent[] | undefined;
  readonly dependsOn: ReadDependency;
  /** The reply frame's length when it passed jute.maxbuffer and MarshallingError was answered instead (reply-size.ts). */
  readonly refusedFrameBytes?: number;
};

const noPaths: readonly string[] = [];

function failed(err: number, dependsOn: ReadDependency): ReadReply {
  return { err, response: undefined, events: undefined, dependsOn };
}

function answered(response: Uint8Array | undefined, dependsOn: ReadDependency): ReadReply {
  return { err: 0, response, events: undefined, dependsOn };
}

/** A reply whose record of `recordBytes` would not fit in the client's jute.maxbuffer: MarshallingError instead. */
function tooLarge(recordBytes: number, dependsOn: ReadDependency): ReadReply {
  return { err: ErrorCode.MARSHALLINGERROR, response: undefined, events: undefined, dependsOn, refusedFrameBytes: replyFrameBytes(recordBytes) };
}

/** A Stat record's bytes (jute: 6 longs, 5 ints). */
const statBytes = 68;

/**
 * The bytes of a children list in a reply (int count, then each name as int
 * length and UTF-8), counted without building the list: a znode with 100,000
 * children is refused without allocating its 100,000 names and their encoding
 * for each client that asks.
 */
function childrenRecordBytes(tree: DataTree, path: string): number {
  let bytes = 4;
  for (const name of tree.getNode(path)?.children ?? []) bytes += 4 + Buffer.byteLength(name, 'utf8');
  return bytes;
}

/**
 * Runs the read request `type` with its record `body` against `tree` now. A
 * body that does not decode is a MarshallingError that depends on the whole
 * tree; a type that is not a read is Unimplemented. A reply frame longer than
 * `replyBytesMax` (jute.maxbuffer) is a MarshallingError too (reply-size.ts).
 */
export function readRequest(tree: DataTree, session: ReadSession, type: number, body: Uint8Array, replyBytesMax = juteMaxBufferDefault): ReadReply {
  const read = runRead(tree, session, type, body, replyBytesMax);
  return read.response === undefined || replyFits(read.response.byteLength, replyBytesMax) ? read : tooLarge(read.response.byteLength, read.dependsOn);
}

function runRead(tree: DataTree, session: ReadSession, type: number, body: Uint8Array, replyBytesMax: number): ReadReply {
  switch (type) {
    case OpCode.exists:
      return exists(tree, session, body);
    case OpCode.getData: {
      if (hasNullPath(body)) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      const request = decodeRecord(body, R.GetDataRequest.read, true);
      if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      const { path } = request.value;
      const result = getData(tree, session, path);
      if (typeof result === 'number') return failed(result, path);
      const response = encodeBrief(result, R.GetDataResponse.write);
      // The watch only with a reply the client takes (reply-size.ts).
      if (!replyFits(response.byteLength, replyBytesMax)) return tooLarge(response.byteLength, path);
      if (request.value.watch) tree.dataWatches.addWatch(path, session.id);
      return answered(response, path);
    }
    case OpCode.getChildren:
    case OpCode.getChildren2: {
      if (hasNullPath(body)) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      const request = decodeRecord(body, R.GetChildrenRequest.read, true);
      if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      const { path } = request.value;
      const denied = readDenied(tree, session, path);
      if (denied !== undefined) return failed(denied, path);
      // Counted before the list is built; the watch only with a reply the client takes (reply-size.ts).
      const recordBytes = childrenRecordBytes(tree, path) + (type === OpCode.getChildren2 ? statBytes : 0);
      if (!replyFits(recordBytes, replyBytesMax)) return tooLarge(recordBytes, path);
      const result = tree.getChildren(path, request.value.watch ? session.id : undefined)!;
      return answered(type === OpCode.getChildren ? encodeBrief({ children: result.children }, R.GetChildrenResponse.write) : encodeBrief(result, R.GetChildren2Response.write), path);
    }
    case OpCode.getAllChildrenNumber: {
      const request = decodeRecord(body, R.GetAllChildrenNumberRequest.read, true);
      if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      const node = tree.getNode(request.value.path);
      if (node === undefined) return failed(ErrorCode.NONODE, wholeTree);
      if (!checkACL(node.acl, Perms.READ, session.authIds)) return failed(ErrorCode.NOAUTH, wholeTree);
      return answered(encodeRecord({ totalNumber: tree.getAllChildrenNumber(request.value.path) }, R.GetAllChildrenNumberResponse.write), wholeTree);
    }
    case OpCode.getACL:
      return getACL(tree, session, body);
    case OpCode.sync: {
      const request = decodeRecord(body, R.SyncRequest.read, true);
      if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      return answered(encodeRecord({ path: request.value.path }, R.SyncResponse.write), wholeTree);
    }
    case OpCode.setWatches:
    case OpCode.setWatches2:
      return setWatches(tree, session, type, body);
    case OpCode.addWatch: {
      const request = decodeRecord(body, R.AddWatchRequest.read, true);
      if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      const { path, mode } = request.value;
      if (mode !== 0 && mode !== 1) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
      tree.addWatch(path, session.id, mode === 0 ? 'persistent' : 'persistentRecursive');
      // FinalRequestProcessor answers addWatch with ErrorResponse(0).
      return answered(encodeRecord({ err: 0 }, R.ErrorResponse.write), wholeTree);
    }
    case OpCode.checkWatches:
    case OpCode.removeWatches:
      return checkOrRemoveWatches(tree, session, type, body);
    case OpCode.getEphemerals:
      return getEphemerals(tree, session, body);
    case OpCode.multiRead:
      return multiRead(tree, session, body, replyBytesMax);
    case OpCode.whoAmI: {
      // The connection's auth ids, not the tree: it waits for nothing.
      const clientInfo = authInfoOrder(session.authIds).map((id) => ({ authScheme: id.scheme, user: userName(id) }));
      return answered(encodeRecord({ clientInfo }, R.WhoAmIResponse.write), noPaths);
    }
    default:
      return failed(ErrorCode.UNIMPLEMENTED, wholeTree);
  }
}

/**
 * A request whose path (its first field) is a null ustring: ZooKeeper's
 * FinalRequestProcessor fails on it (a NullPointerException in the tree's
 * lookup) and answers MarshallingError, where reading it as "" would answer NoNode.
 */
function hasNullPath(body: Uint8Array): boolean {
  return body.byteLength >= 4 && body[0] === 0xff && body[1] === 0xff && body[2] === 0xff && body[3] === 0xff;
}

function exists(tree: DataTree, session: ReadSession, body: Uint8Array): ReadReply {
  if (hasNullPath(body)) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const request = decodeRecord(body, R.ExistsRequest.read, true);
  if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const { path, watch } = request.value;
  if (path.includes('\0')) return failed(ErrorCode.BADARGUMENTS, path);
  const node = tree.getNode(path);
  if (node !== undefined && !checkACL(node.acl, Perms.READ, session.authIds)) return failed(ErrorCode.NOAUTH, path);
  const stat = tree.statNode(path, watch ? session.id : undefined);
  if (stat === undefined) return failed(ErrorCode.NONODE, path);
  return answered(encodeBrief({ stat }, R.ExistsResponse.write), path);
}

/** NoNode or NoAuth for a read of `path`'s data or children, or undefined when it may be read. */
function readDenied(tree: DataTree, session: ReadSession, path: string): number | undefined {
  const node = tree.getNode(path);
  if (node === undefined) return ErrorCode.NONODE;
  if (!checkACL(node.acl, Perms.READ, session.authIds)) return ErrorCode.NOAUTH;
  return undefined;
}

/** The node's data, or NoNode / NoAuth; a watch, if asked for, is the caller's to set once the reply fits. */
function getData(tree: DataTree, session: ReadSession, path: string): number | { data: Uint8Array | null; stat: R.Stat } {
  return readDenied(tree, session, path) ?? tree.getData(path)!;
}

function getACL(tree: DataTree, session: ReadSession, body: Uint8Array): ReadReply {
  if (hasNullPath(body)) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const request = decodeRecord(body, R.GetACLRequest.read, true);
  if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const { path } = request.value;
  const node = tree.getNode(path);
  if (node === undefined) return failed(ErrorCode.NONODE, path);
  if (!checkACL(node.acl, Perms.READ | Perms.ADMIN, session.authIds)) return failed(ErrorCode.NOAUTH, path);
  const stat = tree.statNode(path)!;
  // Without ADMIN the digest hashes are redacted ("user:x"), as FinalRequestProcessor does.
  const acl = checkACL(node.acl, Perms.ADMIN, session.authIds)
    ? [...node.acl]
    : node.acl.map((a) => (a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id.replace(/:.*/s, ':x') } } : a));
  return answered(encodeBrief({ acl, stat }, R.GetACLResponse.write), path);
}

/** setWatches fires the events of what changed since relativeZxid while it runs, so they precede its reply. */
function setWatches(tree: DataTree, session: ReadSession, type: number, body: Uint8Array): ReadReply {
  const request: Result<R.SetWatches2, string> =
    type === OpCode.setWatches
      ? decodeRecord(body, (r) => ({ ...R.SetWatches.read(r), persistentWatches: [], persistentRecursiveWatches: [] }), true)
      : decodeRecord(body, R.SetWatches2.read, true);
  if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const w = request.value;
  const events = tree.setWatches(
    w.relativeZxid,
    {
      dataWatches: w.dataWatches,
      existWatches: w.existWatches,
      childWatches: w.childWatches,
      persistentWatches: w.persistentWatches,
      persistentRecursiveWatches: w.persistentRecursiveWatches,
    },
    session.id,
  );
  return { err: 0, response: undefined, events: events.length === 0 ? undefined : events, dependsOn: wholeTree };
}

/** A multiRead depends on the paths of its getData and getChildren ops; an op of another type fails it with what it read so far. */
function multiRead(tree: DataTree, session: ReadSession, body: Uint8Array, replyBytesMax: number): ReadReply {
  const request = decodeRecord(body, R.MultiRequest.read, true);
  if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const results: R.MultiResult[] = [];
  const paths: string[] = [];
  // What the results hold so far (their headers aside): refused before a hundred large lists are built (reply-size.ts).
  let recordBytes = 0;
  for (const op of request.value) {
    if (op.type === OpCode.getData) {
      paths.push(op.request.path);
      const result = getData(tree, session, op.request.path);
      results.push(typeof result === 'number' ? { type: OpCode.error, err: result } : { type: OpCode.getData, ...result });
      if (typeof result !== 'number') recordBytes += 4 + (result.data?.byteLength ?? 0) + statBytes;
      if (!replyFits(recordBytes, replyBytesMax)) return tooLarge(recordBytes, paths);
    } else if (op.type === OpCode.getChildren) {
      const { path } = op.request;
      paths.push(path);
      const denied = readDenied(tree, session, path);
      if (denied === undefined) recordBytes += childrenRecordBytes(tree, path);
      if (!replyFits(recordBytes, replyBytesMax)) return tooLarge(recordBytes, paths);
      results.push(denied !== undefined ? { type: OpCode.error, err: denied } : { type: OpCode.getChildren, children: tree.getChildren(path)!.children });
    } else {
      return failed(ErrorCode.MARSHALLINGERROR, paths);
    }
  }
  return answered(encodeBrief(results, R.MultiResponse.write), paths);
}

/** The session's ephemerals (all of them for an empty or "/" prefix). */
function getEphemerals(tree: DataTree, session: ReadSession, body: Uint8Array): ReadReply {
  const request = decodeRecord(body, R.GetEphemeralsRequest.read, true);
  if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const prefix = request.value.prefixPath;
  const all = tree.getEphemerals(session.sessionId!);
  const ephemerals = prefix.trim() === '' || prefix.trim() === '/' ? all : all.filter((p) => p.startsWith(prefix));
  return answered(encodeRecord({ ephemerals }, R.GetEphemeralsResponse.write), wholeTree);
}

/** checkWatches and removeWatches: NoWatcher when the session has no such watch. */
function checkOrRemoveWatches(tree: DataTree, session: ReadSession, type: number, body: Uint8Array): ReadReply {
  const request = decodeRecord(body, R.CheckWatchesRequest.read, true);
  if (!request.ok) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  const { path, type: watcherType } = request.value;
  const found = type === OpCode.checkWatches ? containsWatcher(tree, path, watcherType, session.id) : removeWatch(tree, path, watcherType, session.id);
  if (found === undefined) return failed(ErrorCode.MARSHALLINGERROR, wholeTree);
  return found ? answered(undefined, wholeTree) : failed(ErrorCode.NOWATCHER, wholeTree);
}

/**
 * DataTree.containsWatcher (3.8): any mode in the table the type names.
 * Watcher.WatcherType has only Children, Data and Any in 3.8; another value
 * fails WatcherType.fromInt, which the client sees as MarshallingError (undefined).
 */
function containsWatcher(tree: DataTree, path: string, type: number, watcher: number): boolean | undefined {
  const { dataWatches, childWatches } = tree;
  switch (type) {
    case WatcherType.Children:
      return childWatches.containsWatcher(path, watcher);
    case WatcherType.Data:
      return dataWatches.containsWatcher(path, watcher);
    case WatcherType.Any:
      return childWatches.containsWatcher(path, watcher) || dataWatches.containsWatcher(path, watcher);
    default:
      return undefined;
  }
}

/** DataTree.removeWatch (3.8). */
function removeWatch(tree: DataTree, path: string, type: number, watcher: number): boolean | undefined {
  const { dataWatches, childWatches } = tree;
  switch (type) {
    case WatcherType.Children:
      return childWatches.removeWatch(path, watcher);
    case WatcherType.Data:
      return dataWatches.removeWatch(path, watcher);
    case WatcherType.Any: {
      const fromChild = childWatches.removeWatch(path, watcher);
      const fromData = dataWatches.removeWatch(path, watcher);
      return fromChild || fromData;
    }
    default:
      return undefined;
  }
}
