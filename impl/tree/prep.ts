// The prep step (ZooKeeper's PrepRequestProcessor.pRequest2Txn): validates a
// write request against the current tree and turns it into a txn, or into an
// error txn carrying the KeeperException code. It reads the tree and never
// changes it; `DataTree.applyTxn` does the change, so the same code path serves
// live requests and log replay.
//
// The checks run in ZooKeeper's order, because the order decides which error a
// client sees when several apply (e.g. NoNode for the parent before NoAuth, and
// InvalidACL before both on create).
//
// Inside a multi each op sees the effects of the ops before it (ZooKeeper's
// outstanding ChangeRecords); here a small overlay over the tree plays that part
// and is thrown away once the multi's txn is built.

import { CreateFlag, ErrorCode, OpCode, Perms } from '../protocol/constants.ts';
import type {
  ACL,
  CheckVersionRequest,
  CreateRequest,
  CreateTTLRequest,
  DeleteRequest,
  Id,
  MultiOp,
  SetACLRequest,
  SetDataRequest,
  StatPersisted,
} from '../protocol/records.ts';
import { checkACL, fixupACL } from './acl.ts';
import { DataTree } from './data-tree.ts';
import { ephemeralKind, ttlMaxMs } from './znode.ts';
import { isValidPath } from './path.ts';
import { quotaOf } from './quota.ts';
import { pathTxnBytes } from './close-session-bytes.ts';
import type { Txn, TxnBody, TxnOp } from './txn.ts';

export type WriteRequest =
  | { readonly type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer; readonly request: CreateRequest }
  | { readonly type: typeof OpCode.createTTL; readonly request: CreateTTLRequest }
  | { readonly type: typeof OpCode.delete; readonly request: DeleteRequest }
  | { readonly type: typeof OpCode.deleteContainer; readonly request: { readonly path: string } }
  | { readonly type: typeof OpCode.setData; readonly request: SetDataRequest }
  | { readonly type: typeof OpCode.setACL; readonly request: SetACLRequest }
  | { readonly type: typeof OpCode.check; readonly request: CheckVersionRequest }
  | { readonly type: typeof OpCode.multi; readonly ops: readonly MultiOp[] }
  | { readonly type: typeof OpCode.createSession; readonly timeOut: number; readonly passwd?: Uint8Array }
  | { readonly type: typeof OpCode.closeSession };

export type PrepContext = {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly zxid: bigint;
  readonly time: bigint;
  readonly authIds: readonly Id[];
  /** zookeeper.extendedTypesEnabled: TTL nodes are Unimplemented without it, as in ZooKeeper. */
  readonly extendedTypesEnabled: boolean;
  /** zookeeper.enforceQuota: a create or setData over a hard quota limit fails with QuotaExceeded; a soft limit only warns. */
  readonly enforceQuota?: boolean;
  /** Where a quota exceeded is reported (ZooKeeperServer's rate-limited log line): an event name and its data. */
  readonly warn?: (event: string, fields: Readonly<Record<string, string | number>>) => void;
  /** Called for each request a hard quota limit fails, with the top component of its path (ZooKeeperServer.updateQuotaExceededMetrics). */
  readonly quotaExceeded?: (namespace: string) => void;
  /** The schemes of the providers authProvider.N adds to digest and ip ("sasl"): ACLs naming them are valid. */
  readonly authProviderSchemes?: readonly string[];
  /** The largest closeSession txn body the learners accept (close-session-bytes.ts); an ephemeral create past it fails with QuotaExceeded. Unbounded when absent. */
  readonly closeSessionTxnBytesMax?: number;
};

/** A KeeperException thrown inside prep and caught at its top. */
class KeeperError {
  constructor(readonly code: number) {}
}

type NodeRecord = { readonly stat: StatPersisted; readonly acl: readonly ACL[]; readonly childCount: number; readonly data: Uint8Array | null };

/** The tree as the ops prepared so far would leave it (ZooKeeper's ChangeRecords). */
class PrepView {
  private readonly overlay = new Map<string, NodeRecord | null>();
  /** The closeSession txn bytes the ephemerals created by the ops so far add (a multi's). */
  ephemeralTxnBytes = 0;
  constructor(readonly tree: DataTree) {}

  /** PrepRequestProcessor.getRecordForPath: NoNode when absent. */
  record(path: string): NodeRecord {
    const pending = this.overlay.get(path);
    if (pending === null) throw new KeeperError(ErrorCode.NONODE);
    if (pending !== undefined) return pending;
    const node = this.tree.getNode(path);
    if (node === undefined) throw new KeeperError(ErrorCode.NONODE);
    return { stat: { ...node.stat }, acl: node.acl, childCount: node.children.size, data: node.data };
  }

  exists(path: string): boolean {
    const pending = this.overlay.get(path);
    return pending === undefined ? this.tree.getNode(path) !== undefined : pending !== null;
  }

  set(path: string, record: NodeRecord | null): void {
    this.overlay.set(path, record);
  }
}

/** PrepRequestProcessor.pRequest: the txn for one write request. */
export function prepRequest(tree: DataTree, request: WriteRequest, ctx: PrepContext): Txn {
  const header = { sessionId: ctx.sessionId, cxid: ctx.cxid, zxid: ctx.zxid, time: ctx.time };
  return { ...header, body: prepBody(tree, request, ctx) };
}

function prepBody(tree: DataTree, request: WriteRequest, ctx: PrepContext): TxnBody {
  switch (request.type) {
    case OpCode.createSession:
      return request.passwd === undefined ? { type: 'createSession', timeOut: request.timeOut } : { type: 'createSession', timeOut: request.timeOut, passwd: request.passwd };
    case OpCode.closeSession:
      return { type: 'closeSession', paths2Delete: tree.getEphemerals(ctx.sessionId) };
    case OpCode.multi:
      return prepMulti(tree, request.ops, ctx);
    default: {
      const view = new PrepView(tree);
      try {
        return prepOp(view, request, ctx);
      } catch (error) {
        if (error instanceof KeeperError) return { type: 'error', err: error.code };
        throw error;
      }
    }
  }
}

/**
 * The multi case of pRequest: ops are prepared in order against the overlay;
 * after the first failure the rest are not tried and become
 * ErrorTxn(RUNTIMEINCONSISTENCY). The ops before the failure keep their txns;
 * applyTxn reports them as OK without applying them.
 */
function prepMulti(tree: DataTree, ops: readonly MultiOp[], ctx: PrepContext): TxnBody {
  const view = new PrepView(tree);
  const txns: TxnOp[] = [];
  let failed = false;
  for (const op of ops) {
    if (failed) {
      txns.push({ type: 'error', err: ErrorCode.RUNTIMEINCONSISTENCY });
      continue;
    }
    if (op.type === OpCode.getData || op.type === OpCode.getChildren) {
      // MultiOperationRecord refuses to mix read and write ops.
      return { type: 'error', err: ErrorCode.MARSHALLINGERROR };
    }
    try {
      txns.push(prepOp(view, op, ctx));
    } catch (error) {
      if (!(error instanceof KeeperError)) throw error;
      failed = true;
      txns.push({ type: 'error', err: error.code });
    }
  }
  return { type: 'multi', ops: txns };
}

type OpRequest = Exclude<WriteRequest, { type: typeof OpCode.multi | typeof OpCode.createSession | typeof OpCode.closeSession }>;

function prepOp(view: PrepView, request: OpRequest, ctx: PrepContext): TxnOp {
  switch (request.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      return prepCreate(view, request.type, request.request, -1n, ctx);
    case OpCode.createTTL:
      return prepCreate(view, request.type, request.request, request.request.ttl, ctx);
    case OpCode.delete: {
      const { path, version } = request.request;
      const parentName = parentPathAndValidate(path);
      const parent = view.record(parentName);
      requirePerm(parent.acl, Perms.DELETE, ctx);
      const node = view.record(path);
      checkAndIncVersion(node.stat.version, version);
      if (node.childCount > 0) throw new KeeperError(ErrorCode.NOTEMPTY);
      view.set(parentName, { ...parent, stat: { ...parent.stat, pzxid: ctx.zxid }, childCount: parent.childCount - 1 });
      view.set(path, null);
      return { type: 'delete', opCode: OpCode.delete, path };
    }
    case OpCode.deleteContainer: {
      const { path } = request.request;
      const parentName = parentPathAndValidate(path);
      const node = view.record(path);
      if (node.childCount > 0) throw new KeeperError(ErrorCode.NOTEMPTY);
      if (ephemeralKind(node.stat.ephemeralOwner) === 'normal') throw new KeeperError(ErrorCode.BADVERSION);
      const parent = view.record(parentName);
      view.set(parentName, { ...parent, stat: { ...parent.stat, pzxid: ctx.zxid }, childCount: parent.childCount - 1 });
      view.set(path, null);
      return { type: 'delete', opCode: OpCode.deleteContainer, path };
    }
    case OpCode.setData: {
      const { path, data, version } = request.request;
      validatePath(path);
      const node = view.record(path);
      requirePerm(node.acl, Perms.WRITE, ctx);
      checkQuota(view.tree, path, node.data, data, 0n, ctx);
      const newVersion = checkAndIncVersion(node.stat.version, version);
      view.set(path, { ...node, data, stat: { ...node.stat, version: newVersion, mtime: ctx.time, mzxid: ctx.zxid } });
      return { type: 'setData', path, data, version: newVersion };
    }
    case OpCode.setACL: {
      const { path, acl, version } = request.request;
      validatePath(path);
      const fixed = fixupACL(acl, ctx.authIds, ctx.authProviderSchemes);
      if (fixed === undefined) throw new KeeperError(ErrorCode.INVALIDACL);
      const node = view.record(path);
      requirePerm(node.acl, Perms.ADMIN, ctx);
      const newVersion = checkAndIncVersion(node.stat.aversion, version);
      view.set(path, { ...node, acl: fixed, stat: { ...node.stat, aversion: newVersion } });
      return { type: 'setACL', path, acl: fixed, version: newVersion };
    }
    case OpCode.check: {
      const { path, version } = request.request;
      validatePath(path);
      const node = view.record(path);
      requirePerm(node.acl, Perms.READ, ctx);
      return { type: 'check', path, version: checkAndIncVersion(node.stat.version, version) };
    }
  }
}

/** CreateMode.fromFlag and its predicates. */
function createMode(flags: number): { ephemeral: boolean; sequential: boolean; container: boolean; ttl: boolean } {
  switch (flags) {
    case CreateFlag.PERSISTENT:
      return { ephemeral: false, sequential: false, container: false, ttl: false };
    case CreateFlag.EPHEMERAL:
      return { ephemeral: true, sequential: false, container: false, ttl: false };
    case CreateFlag.PERSISTENT_SEQUENTIAL:
      return { ephemeral: false, sequential: true, container: false, ttl: false };
    case CreateFlag.EPHEMERAL_SEQUENTIAL:
      return { ephemeral: true, sequential: true, container: false, ttl: false };
    case CreateFlag.CONTAINER:
      return { ephemeral: false, sequential: false, container: true, ttl: false };
    case CreateFlag.PERSISTENT_WITH_TTL:
      return { ephemeral: false, sequential: false, container: false, ttl: true };
    case CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL:
      return { ephemeral: false, sequential: true, container: false, ttl: true };
    default:
      throw new KeeperError(ErrorCode.BADARGUMENTS);
  }
}

/** Java's String.format("%010d", n), including its handling of negative numbers. */
export function sequenceSuffix(n: number): string {
  return n < 0 ? `-${String(-n).padStart(9, '0')}` : String(n).padStart(10, '0');
}

/** PrepRequestProcessor.pRequest2TxnCreate. */
function prepCreate(
  view: PrepView,
  type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer | typeof OpCode.createTTL,
  request: CreateRequest,
  ttl: bigint,
  ctx: PrepContext,
): TxnOp {
  const mode = createMode(request.flags);
  // validateCreateRequest
  if (mode.ttl && !ctx.extendedTypesEnabled) throw new KeeperError(ErrorCode.UNIMPLEMENTED);
  if (mode.ttl ? ttl <= 0n || ttl > ttlMaxMs : ttl >= 0n) throw new KeeperError(ErrorCode.BADARGUMENTS);
  // validatePathForCreate
  let path = request.path;
  const lastSlash = path.lastIndexOf('/');
  if (lastSlash === -1 || path.includes('\0')) throw new KeeperError(ErrorCode.BADARGUMENTS);
  const parentName = lastSlash === 0 ? '/' : path.slice(0, lastSlash);
  const acl = fixupACL(request.acl, ctx.authIds, ctx.authProviderSchemes);
  if (acl === undefined) throw new KeeperError(ErrorCode.INVALIDACL);
  const parent = view.record(parentName);
  requirePerm(parent.acl, Perms.CREATE, ctx);
  if (mode.sequential) path = path + sequenceSuffix(parent.stat.cversion);
  validatePath(path);
  if (view.exists(path)) throw new KeeperError(ErrorCode.NODEEXISTS);
  if (ephemeralKind(parent.stat.ephemeralOwner) === 'normal') throw new KeeperError(ErrorCode.NOCHILDRENFOREPHEMERALS);
  const newCversion = parent.stat.cversion + 1;
  checkQuota(view.tree, path, null, request.data, 1n, ctx);
  if (mode.ephemeral) checkCloseSessionTxn(view, path, ctx);
  const ephemeralOwner = mode.container ? -(1n << 63n) : mode.ttl ? -1n : mode.ephemeral ? ctx.sessionId : 0n;
  view.set(parentName, { ...parent, stat: { ...parent.stat, cversion: newCversion, pzxid: ctx.zxid }, childCount: parent.childCount + 1 });
  view.set(path, {
    acl,
    childCount: 0,
    data: request.data,
    // A TTL node is never an ephemeral parent; -1 stands for its extended owner in the overlay.
    stat: { czxid: ctx.zxid, mzxid: ctx.zxid, ctime: ctx.time, mtime: ctx.time, version: 0, cversion: 0, aversion: 0, ephemeralOwner, pzxid: ctx.zxid },
  });
  const data = request.data;
  switch (type) {
    case OpCode.createContainer:
      return { type: 'createContainer', path, data, acl, parentCVersion: newCversion };
    case OpCode.createTTL:
      return { type: 'createTTL', path, data, acl, parentCVersion: newCversion, ttl };
    default:
      return { type: 'create', opCode: type, path, data, acl, ephemeral: mode.ephemeral, parentCVersion: newCversion };
  }
}

/** Fails an ephemeral create that would make its session's closeSession txn too large to commit (close-session-bytes.ts). */
function checkCloseSessionTxn(view: PrepView, path: string, ctx: PrepContext): void {
  view.ephemeralTxnBytes += pathTxnBytes(path);
  if (ctx.closeSessionTxnBytesMax === undefined) return;
  const bytes = view.tree.closeSessionTxnBytes(ctx.sessionId) + view.ephemeralTxnBytes;
  if (bytes <= ctx.closeSessionTxnBytesMax) return;
  ctx.warn?.('close-session-txn-limit', { sessionId: `0x${ctx.sessionId.toString(16)}`, path, closeSessionTxnBytes: bytes, limit: ctx.closeSessionTxnBytesMax });
  throw new KeeperError(ErrorCode.QUOTAEXCEEDED);
}

/**
 * ZooKeeperServer.checkQuota (3.8), with enforceQuota only: against the quota
 * over `path` as the tree has it (not the ops before this one in a multi, as
 * ZooKeeper reads its DataTree and not its outstanding changes). A hard limit
 * (-N, -B) exceeded fails the request with QuotaExceeded; a soft one (-n, -b)
 * only logs. A create adds one znode and its bytes, a setData the difference.
 */
function checkQuota(tree: DataTree, path: string, lastData: Uint8Array | null, data: Uint8Array | null, countDiff: 0n | 1n, ctx: PrepContext): void {
  if (ctx.enforceQuota !== true) return;
  const quota = quotaOf(tree.quotas.roots, tree, path);
  if (quota === undefined) return;
  const { prefix, limits, usage } = quota;
  if (limits === undefined) {
    ctx.warn?.('quota-limit-node-missing', { path: prefix });
    return;
  }
  const bytesDiff = BigInt(data?.byteLength ?? 0) - BigInt(lastData?.byteLength ?? 0);
  const checkCount = countDiff !== 0n && (limits.get('count') > -1n || limits.get('countHardLimit') > -1n);
  const checkBytes = bytesDiff !== 0n && (limits.get('bytes') > -1n || limits.get('byteHardLimit') > -1n);
  if (!checkCount && !checkBytes) return;
  if (usage === undefined) {
    ctx.warn?.('quota-stat-node-missing', { path: prefix });
    return;
  }
  if (checkCount) checkLimit(path, prefix, 'count', usage.get('count') + countDiff, limits.get('countHardLimit'), limits.get('count'), ctx);
  if (checkBytes) checkLimit(path, prefix, 'bytes', usage.get('bytes') + bytesDiff, limits.get('byteHardLimit'), limits.get('bytes'), ctx);
}

function checkLimit(path: string, prefix: string, what: 'count' | 'bytes', newValue: bigint, hardLimit: bigint, softLimit: bigint, ctx: PrepContext): void {
  const isHard = hardLimit > -1n;
  const limit = isHard ? hardLimit : softLimit;
  if (newValue <= limit) return;
  // ZooKeeper's line: "Quota exceeded: /q [current count=4, hardCountLimit=3]", its data as fields.
  const name = `${isHard ? 'hard' : 'soft'}${what === 'count' ? 'CountLimit' : 'ByteLimit'}`;
  // Counts and byte totals are far below 2^53: numbers in the log, not the 0x hex of ids.
  ctx.warn?.('quota-exceeded', { path: prefix, what, current: Number(newValue), limitName: name, limit: Number(limit) });
  if (!isHard) return;
  // PathUtils.getTopNamespace of the request's path: its first component.
  const end = path.indexOf('/', 1);
  ctx.quotaExceeded?.(end === -1 ? path.slice(1) : path.slice(1, end));
  throw new KeeperError(ErrorCode.QUOTAEXCEEDED);
}

function validatePath(path: string): void {
  if (!isValidPath(path)) throw new KeeperError(ErrorCode.BADARGUMENTS);
}

/** PrepRequestProcessor.getParentPathAndValidate. */
function parentPathAndValidate(path: string): string {
  const lastSlash = path.lastIndexOf('/');
  if (lastSlash === -1 || path.includes('\0') || DataTree.isSpecialPath(path)) throw new KeeperError(ErrorCode.BADARGUMENTS);
  return lastSlash === 0 ? '/' : path.slice(0, lastSlash);
}

function requirePerm(acl: readonly ACL[], perm: number, ctx: PrepContext): void {
  if (!checkACL(acl, perm, ctx.authIds)) throw new KeeperError(ErrorCode.NOAUTH);
}

/** PrepRequestProcessor.checkAndIncVersion: -1 matches any version; the version wraps past -1 to 0. */
function checkAndIncVersion(currentVersion: number, expectedVersion: number): number {
  if (expectedVersion !== -1 && expectedVersion !== currentVersion) throw new KeeperError(ErrorCode.BADVERSION);
  const next = (currentVersion + 1) | 0;
  return next === -1 ? 0 : next;
}
