// The data tree (ZooKeeper's DataTree): znodes with data, ACL and the persisted
// stat, the per-session ephemeral sets, the container and TTL sets, the sessions
// the log has created and not yet closed, and the two watch tables.
//
// `applyTxn` is DataTree.processTxn: the only way the tree changes, deterministic
// in (tree, txn), so replaying the log rebuilds the same tree. It returns the
// result the client sees (FinalRequestProcessor builds the response from it) and
// the watch events the change fires, in ZooKeeper's order: the node's data
// watches, then its child watches, then the parent's child watches.

import { containerEphemeralOwner, ErrorCode, EventType, OpCode } from '../protocol/constants.ts';
import type { ACL, Stat } from '../protocol/records.ts';
import { canonicalAcl, openAclUnsafe, readAclUnsafe } from './acl.ts';
import { childName, joinPath, parentPath } from './path.ts';
import type { Txn, TxnBody, TxnOp } from './txn.ts';
import { WatcherMode, WatchManager, type Watcher } from './watch-manager.ts';
import { cloneCapacity, hashSetCapacity, javaHashSetOrder } from './java-hash-order.ts';
import { addChild, childrenInJavaOrder, copyStat, createStat, emptyStat, ephemeralKind, noChildren, ttlEphemeralOwner, ttlOf, type ZNode } from './znode.ts';
import { TreeDigest } from './digest.ts';
import { QuotaTracker, quotaZookeeper } from './quota.ts';
import { closeSessionTxnBytes, pathTxnBytes } from './close-session-bytes.ts';

/**
 * A watch that fired. `acl` is the ACL of the znode the event is about (the
 * parent's for NodeChildrenChanged): since ZooKeeper 3.8.4 (CVE-2024-23944) an
 * event reaches a connection only if it may READ that znode; undefined (events
 * setWatches fires) means no check.
 */
export type WatchEvent = {
  readonly watcher: Watcher;
  readonly type: EventType;
  readonly path: string;
  readonly zxid: bigint;
  readonly acl?: readonly ACL[];
};

/** ProcessTxnResult: what FinalRequestProcessor needs to answer. */
export type TxnResult = {
  readonly type: number;
  readonly err: number;
  readonly path?: string;
  readonly stat?: Stat;
  readonly multiResult?: readonly TxnResult[];
};

export type ApplyOutcome = { readonly result: TxnResult; readonly events: WatchEvent[] };

export const zookeeperPath = '/zookeeper';
export const configPath = '/zookeeper/config';

export class DataTree {
  readonly nodes = new Map<string, ZNode>();
  readonly ephemerals = new Map<bigint, Set<string>>();
  /** The bucket count of each session's ephemeral HashSet, for its iteration order. */
  private readonly ephemeralCapacity = new Map<bigint, number>();
  /** What each session's ephemeral paths add to its closeSession txn (close-session-bytes.ts), kept as they come and go so a create can be bounded in O(1). */
  private readonly ephemeralTxnBytes = new Map<bigint, number>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  /** Sessions created and not closed, with their negotiated timeouts (ZKDatabase.sessionsWithTimeouts). */
  readonly sessions = new Map<bigint, number>();
  /**
   * The password of each session whose createSession carried one (random, 16
   * bytes: impl/server/session-password.ts); a session created before
   * passwords were kept has none, and no password attaches to it.
   */
  readonly sessionPasswords = new Map<bigint, Uint8Array>();
  readonly dataWatches = new WatchManager();
  readonly childWatches = new WatchManager();
  /** The quota roots and the usage kept in their zookeeper_stats nodes (quota.ts). */
  readonly quotas = new QuotaTracker(this);
  /** The tree digest and its log (digest.ts), which `hash` prints. */
  readonly digest = new TreeDigest((path) => this.nodes.get(path));
  lastProcessedZxid = 0n;

  constructor() {
    // The system nodes every ZooKeeper tree starts with (DataTree's constructor and addConfigNode).
    const node = (acl: readonly ACL[], stat = emptyStat()): ZNode => ({ data: new Uint8Array(0), acl, stat, children: new Set(), childCapacity: 0, digest: undefined });
    const root = node(openAclUnsafe);
    const zookeeper = node(openAclUnsafe);
    addChild(root, 'zookeeper');
    addChild(zookeeper, 'quota');
    addChild(zookeeper, 'config');
    this.nodes.set('/', root);
    this.nodes.set(zookeeperPath, zookeeper);
    this.nodes.set(quotaZookeeper, node(openAclUnsafe));
    // addConfigNode sets its ACL with setACL(path, READ_ACL_UNSAFE, -1), which leaves aversion at -1.
    this.nodes.set(configPath, node(readAclUnsafe, { ...emptyStat(), aversion: -1 }));
    this.recomputeDigest();
  }

  /**
   * After the nodes were set directly (a snapshot loaded): the quota roots and
   * their usage are set up again from the tree (DataTree.setupQuota, called by
   * DataTree.deserialize) and the digest is summed over every znode.
   */
  loaded(): void {
    this.quotas.loaded();
    this.recomputeDigest();
  }

  /** digest.enabled (ZooKeeperServer.setDigestEnabled): off, the tree keeps no digest and `hash` has nothing to print. */
  setDigestEnabled(enabled: boolean): void {
    this.digest.setEnabled(enabled, this.nodes);
  }

  private recomputeDigest(): void {
    this.digest.recompute(this.nodes);
  }

  /** NodeHashMap.preChange: the znode's digest leaves the tree's before it changes. */
  private preChange(path: string, node: ZNode): void {
    this.digest.preChange(path, node);
  }

  /** NodeHashMap.postChange (and put): the znode's new digest joins the tree's. */
  private postChange(path: string, node: ZNode): void {
    this.digest.postChange(path, node);
  }

  /** DataTree.isSpecialPath: the nodes no client may delete. */
  static isSpecialPath(path: string): boolean {
    return path === '/' || path === zookeeperPath || path === quotaZookeeper || path === configPath;
  }

  getNode(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  get watchCount(): number {
    return this.dataWatches.size + this.childWatches.size;
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.ephemerals.values()) count += paths.size;
    return count;
  }

  /** DataTree.approximateDataSize: path lengths plus data lengths. */
  approximateDataSize(): number {
    let size = 0;
    for (const [path, node] of this.nodes) size += path.length + (node.data?.byteLength ?? 0);
    return size;
  }

  // ---- reads (FinalRequestProcessor calls these directly; watches are set here) ----

  getData(path: string, watcher?: Watcher): { data: Uint8Array | null; stat: Stat } | undefined {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    if (watcher !== undefined) this.dataWatches.addWatch(path, watcher);
    return { data: node.data, stat: copyStat(node) };
  }

  /** DataTree.statNode: an exists watch is set even when the node is absent (it fires on NodeCreated). */
  statNode(path: string, watcher?: Watcher): Stat | undefined {
    if (watcher !== undefined) this.dataWatches.addWatch(path, watcher);
    const node = this.nodes.get(path);
    return node === undefined ? undefined : copyStat(node);
  }

  getChildren(path: string, watcher?: Watcher): { children: string[]; stat: Stat } | undefined {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    if (watcher !== undefined) this.childWatches.addWatch(path, watcher);
    return { children: childrenInJavaOrder(node), stat: copyStat(node) };
  }

  /** DataTree.getAllChildrenNumber: every descendant, at any depth. */
  getAllChildrenNumber(path: string): number {
    if (path === '/') return this.nodes.size - 1;
    const prefix = `${path}/`;
    let count = 0;
    for (const key of this.nodes.keys()) if (key.startsWith(prefix)) count++;
    return count;
  }

  /** The session's ephemerals in no particular order: getEphemerals without its two sorts, for bookkeeping that needs no order. */
  ephemeralPaths(sessionId: bigint): ReadonlySet<string> {
    return this.ephemerals.get(sessionId) ?? noChildren;
  }

  /** The bytes the session's closeSession txn would take now: its vector of ephemeral paths. */
  closeSessionTxnBytes(sessionId: bigint): number {
    return closeSessionTxnBytes(this.ephemeralTxnBytes.get(sessionId) ?? 0);
  }

  /**
   * DataTree.getEphemerals: a clone of the session's HashSet (created with the
   * default capacity 16), iterated; the clone is sized for its current size.
   */
  getEphemerals(sessionId: bigint): string[] {
    const paths = this.ephemerals.get(sessionId);
    if (paths === undefined || paths.size === 0) return [];
    const capacity = this.ephemeralCapacity.get(sessionId) ?? 16;
    return javaHashSetOrder(javaHashSetOrder(paths, capacity), cloneCapacity(paths.size));
  }

  /** DataTree.addWatch (3.8): both tables get the watch, whatever its mode. */
  addWatch(path: string, watcher: Watcher, mode: 'persistent' | 'persistentRecursive'): void {
    const watcherMode = mode === 'persistent' ? WatcherMode.persistent : WatcherMode.persistentRecursive;
    this.dataWatches.addWatch(path, watcher, watcherMode);
    this.childWatches.addWatch(path, watcher, watcherMode);
  }

  /** Drops every watch of a closed connection (DataTree.removeCnxn). */
  removeWatcher(watcher: Watcher): void {
    this.dataWatches.removeWatcher(watcher);
    this.childWatches.removeWatcher(watcher);
  }

  /**
   * DataTree.setWatches: re-registers a reconnecting client's watches, firing at
   * once those whose condition already changed after `relativeZxid`.
   */
  setWatches(
    relativeZxid: bigint,
    watches: {
      dataWatches: readonly string[];
      existWatches: readonly string[];
      childWatches: readonly string[];
      persistentWatches: readonly string[];
      persistentRecursiveWatches: readonly string[];
    },
    watcher: Watcher,
  ): WatchEvent[] {
    const events: WatchEvent[] = [];
    // ZooKeeper's WatchedEvent here has no zxid (-1); the client ignores it.
    const fire = (type: EventType, path: string) => events.push({ watcher, type, path, zxid: -1n });
    for (const path of watches.dataWatches) {
      const node = this.nodes.get(path);
      if (node === undefined) fire(EventType.NodeDeleted, path);
      else if (node.stat.mzxid > relativeZxid) fire(EventType.NodeDataChanged, path);
      else this.dataWatches.addWatch(path, watcher);
    }
    for (const path of watches.existWatches) {
      if (this.nodes.has(path)) fire(EventType.NodeCreated, path);
      else this.dataWatches.addWatch(path, watcher);
    }
    for (const path of watches.childWatches) {
      const node = this.nodes.get(path);
      if (node === undefined) fire(EventType.NodeDeleted, path);
      else if (node.stat.pzxid > relativeZxid) fire(EventType.NodeChildrenChanged, path);
      else this.childWatches.addWatch(path, watcher);
    }
    for (const path of watches.persistentWatches) this.addWatch(path, watcher, 'persistent');
    for (const path of watches.persistentRecursiveWatches) this.addWatch(path, watcher, 'persistentRecursive');
    return events;
  }

  // ---- the write path -----------------------------------------------------------

  /** DataTree.processTxn. Errors inside (a node vanished) become the result's err, as in ZooKeeper. */
  applyTxn(txn: Txn): ApplyOutcome {
    const events: WatchEvent[] = [];
    const result = this.processBody(txn, txn.body, events);
    if (txn.zxid > this.lastProcessedZxid) this.lastProcessedZxid = txn.zxid;
    this.digest.txnApplied(txn.zxid);
    return { result, events };
  }

  private processBody(txn: Txn, body: TxnBody, events: WatchEvent[]): TxnResult {
    switch (body.type) {
      case 'createSession':
        this.sessions.set(txn.sessionId, body.timeOut);
        if (body.passwd !== undefined) this.sessionPasswords.set(txn.sessionId, body.passwd);
        else this.sessionPasswords.delete(txn.sessionId);
        return { type: OpCode.createSession, err: ErrorCode.OK };
      case 'closeSession':
        this.killSession(txn.sessionId, txn.zxid, body.paths2Delete, events);
        return { type: OpCode.closeSession, err: ErrorCode.OK };
      case 'multi':
        return this.processMulti(txn, body.ops, events);
      default:
        return this.processOp(txn, body, events);
    }
  }

  private processOp(txn: Txn, op: TxnOp, events: WatchEvent[]): TxnResult {
    switch (op.type) {
      case 'create': {
        const owner = op.ephemeral ? txn.sessionId : 0n;
        const stat = this.createNode(op.path, op.data, op.acl, owner, op.parentCVersion, txn.zxid, txn.time, events);
        if (stat === undefined) return { type: op.opCode, err: this.createError(op.path), path: op.path };
        return op.opCode === OpCode.create2 ? { type: op.opCode, err: 0, path: op.path, stat } : { type: op.opCode, err: 0, path: op.path };
      }
      case 'createContainer': {
        const stat = this.createNode(op.path, op.data, op.acl, containerEphemeralOwner, op.parentCVersion, txn.zxid, txn.time, events);
        if (stat === undefined) return { type: OpCode.createContainer, err: this.createError(op.path), path: op.path };
        return { type: OpCode.createContainer, err: 0, path: op.path, stat };
      }
      case 'createTTL': {
        const owner = ttlEphemeralOwner(op.ttl);
        const stat = this.createNode(op.path, op.data, op.acl, owner, op.parentCVersion, txn.zxid, txn.time, events);
        if (stat === undefined) return { type: OpCode.createTTL, err: this.createError(op.path), path: op.path };
        return { type: OpCode.createTTL, err: 0, path: op.path, stat };
      }
      case 'delete': {
        const deleted = this.deleteNode(op.path, txn.zxid, events);
        return { type: op.opCode, err: deleted ? 0 : ErrorCode.NONODE, path: op.path };
      }
      case 'setData': {
        const stat = this.setData(op.path, op.data, op.version, txn.zxid, txn.time, events);
        return stat === undefined ? { type: OpCode.setData, err: ErrorCode.NONODE, path: op.path } : { type: OpCode.setData, err: 0, path: op.path, stat };
      }
      case 'setACL': {
        const stat = this.setACL(op.path, op.acl, op.version);
        return stat === undefined ? { type: OpCode.setACL, err: ErrorCode.NONODE, path: op.path } : { type: OpCode.setACL, err: 0, path: op.path, stat };
      }
      case 'check':
        return { type: OpCode.check, err: 0, path: op.path };
      case 'error':
        return { type: OpCode.error, err: op.err };
    }
  }

  private createError(path: string): number {
    return this.nodes.has(path) ? ErrorCode.NODEEXISTS : ErrorCode.NONODE;
  }

  /**
   * DataTree.processTxn's multi case: if any sub-txn is an error, no op is
   * applied; the ops before the failing one report OK (0), the failing one its
   * code, the ones after it RUNTIMEINCONSISTENCY; the multi's err is the first
   * non-zero sub-result.
   */
  private processMulti(txn: Txn, ops: readonly TxnOp[], events: WatchEvent[]): TxnResult {
    const failed = ops.some((op) => op.type === 'error');
    let postFailed = false;
    let err = 0;
    const multiResult: TxnResult[] = [];
    for (const op of ops) {
      let sub: TxnOp = op;
      if (op.type === 'error') postFailed = true;
      else if (failed) sub = { type: 'error', err: postFailed ? ErrorCode.RUNTIMEINCONSISTENCY : ErrorCode.OK };
      const subResult = this.processOp(txn, sub, events);
      multiResult.push(subResult);
      if (subResult.err !== 0 && err === 0) err = subResult.err;
    }
    return { type: OpCode.multi, err, multiResult };
  }

  /** DataTree.createNode; undefined when the parent is missing or the node exists. */
  createNode(
    path: string,
    data: Uint8Array | null,
    acl: readonly ACL[],
    ephemeralOwner: bigint,
    parentCVersion: number,
    zxid: bigint,
    time: bigint,
    events: WatchEvent[],
  ): Stat | undefined {
    const parentName = parentPath(path);
    const parent = this.nodes.get(parentName);
    if (parent === undefined || this.nodes.has(path)) return undefined;
    let cversion = parentCVersion;
    if (cversion === -1) cversion = parent.stat.cversion + 1;
    this.preChange(parentName, parent);
    // The txn carries the parent's new cversion; replaying an older txn over a
    // newer snapshot (fuzzy snapshots) must not move it backwards.
    if (cversion > parent.stat.cversion) {
      parent.stat.cversion = cversion;
      parent.stat.pzxid = zxid;
    }
    const node: ZNode = { data, acl: canonicalAcl(acl), stat: createStat(zxid, time, ephemeralOwner), children: noChildren, childCapacity: 0, digest: undefined };
    addChild(parent, childName(path));
    this.postChange(parentName, parent);
    this.nodes.set(path, node);
    this.postChange(path, node);
    switch (ephemeralKind(ephemeralOwner)) {
      case 'container':
        this.containers.add(path);
        break;
      case 'ttl':
        this.ttls.add(path);
        break;
      case 'normal':
        this.addEphemeral(ephemeralOwner, path);
        break;
      case 'void':
        break;
    }
    // The reply's stat is taken before the quota usage changes (a new zookeeper_stats node is recounted).
    const stat = copyStat(node);
    this.quotas.created(path, data);
    this.fire(this.dataWatches.triggerWatch(path, EventType.NodeCreated), EventType.NodeCreated, path, zxid, events, acl);
    this.fire(this.childWatches.triggerWatch(parentName, EventType.NodeChildrenChanged), EventType.NodeChildrenChanged, parentName, zxid, events, parent.acl);
    return stat;
  }

  /** Records an ephemeral in its session's set (DataTree.createNode's HashSet, default capacity 16). */
  addEphemeral(sessionId: bigint, path: string): void {
    let paths = this.ephemerals.get(sessionId);
    if (paths === undefined) this.ephemerals.set(sessionId, (paths = new Set()));
    if (!paths.has(path)) this.ephemeralTxnBytes.set(sessionId, (this.ephemeralTxnBytes.get(sessionId) ?? 0) + pathTxnBytes(path));
    paths.add(path);
    this.ephemeralCapacity.set(sessionId, hashSetCapacity(this.ephemeralCapacity.get(sessionId) ?? 16, paths.size));
  }

  /** DataTree.deleteNode; false when the node is missing. */
  deleteNode(path: string, zxid: bigint, events: WatchEvent[]): boolean {
    const parentName = parentPath(path);
    const parent = this.nodes.get(parentName);
    const node = this.nodes.get(path);
    if (parent === undefined) return false;
    if (node === undefined) {
      // DataTree.deleteNode moves the parent's pzxid before it finds the child
      // missing: replaying a delete over a fuzzy snapshot that was taken after
      // the child had gone must still leave the parent as the live tree has it.
      this.raisePzxid(parentName, parent, zxid);
      return false;
    }
    this.preChange(parentName, parent);
    parent.children.delete(childName(path));
    if (zxid > parent.stat.pzxid) parent.stat.pzxid = zxid;
    this.postChange(parentName, parent);
    this.nodes.delete(path);
    this.preChange(path, node);
    const owner = node.stat.ephemeralOwner;
    switch (ephemeralKind(owner)) {
      case 'container':
        this.containers.delete(path);
        break;
      case 'ttl':
        this.ttls.delete(path);
        break;
      case 'normal':
        if (this.ephemerals.get(owner)?.delete(path) === true) this.ephemeralTxnBytes.set(owner, (this.ephemeralTxnBytes.get(owner) ?? 0) - pathTxnBytes(path));
        break;
      case 'void':
        break;
    }
    this.quotas.deleted(path, node.data);
    const told = this.dataWatches.triggerWatch(path, EventType.NodeDeleted);
    this.fire(told, EventType.NodeDeleted, path, zxid, events, node.acl);
    this.fire(this.childWatches.triggerWatch(path, EventType.NodeDeleted, told), EventType.NodeDeleted, path, zxid, events, node.acl);
    this.fire(this.childWatches.triggerWatch(parentName, EventType.NodeChildrenChanged), EventType.NodeChildrenChanged, parentName, zxid, events, parent.acl);
    return true;
  }

  private raisePzxid(path: string, node: ZNode, zxid: bigint): void {
    if (zxid <= node.stat.pzxid) return;
    this.preChange(path, node);
    node.stat.pzxid = zxid;
    this.postChange(path, node);
  }

  setData(path: string, data: Uint8Array | null, version: number, zxid: bigint, time: bigint, events: WatchEvent[]): Stat | undefined {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    const previous = node.data;
    this.preChange(path, node);
    node.data = data;
    node.stat.mtime = time;
    node.stat.mzxid = zxid;
    node.stat.version = version;
    this.postChange(path, node);
    // The reply's stat is taken before the quota usage changes, as DataTree.setData does.
    const stat = copyStat(node);
    this.quotas.dataSet(path, previous, data);
    this.fire(this.dataWatches.triggerWatch(path, EventType.NodeDataChanged), EventType.NodeDataChanged, path, zxid, events, node.acl);
    return stat;
  }

  setACL(path: string, acl: readonly ACL[], version: number): Stat | undefined {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    this.preChange(path, node);
    node.stat.aversion = version;
    node.acl = canonicalAcl(acl);
    this.postChange(path, node);
    return copyStat(node);
  }

  /**
   * DataTree.killSession: deletes the paths the closeSession txn names, then any
   * ephemeral of the session the txn missed, and forgets the session.
   */
  private killSession(sessionId: bigint, zxid: bigint, paths2Delete: readonly string[], events: WatchEvent[]): void {
    this.sessions.delete(sessionId);
    this.sessionPasswords.delete(sessionId);
    const local = this.ephemerals.get(sessionId);
    this.ephemerals.delete(sessionId);
    this.ephemeralCapacity.delete(sessionId);
    this.ephemeralTxnBytes.delete(sessionId);
    for (const path of paths2Delete) {
      this.deleteNode(path, zxid, events);
      local?.delete(path);
    }
    if (local !== undefined) for (const path of [...local]) this.deleteNode(path, zxid, events);
  }

  private fire(watchers: ReadonlySet<Watcher>, type: EventType, path: string, zxid: bigint, events: WatchEvent[], acl: readonly ACL[]): void {
    for (const watcher of watchers) events.push({ watcher, type, path, zxid, acl });
  }

  // ---- container and TTL reaping (ContainerManager.getCandidates) --------------

  /**
   * Containers that had children and have none now, containers never used for
   * longer than `maxNeverUsedIntervalMs` (0 = never), and TTL nodes without
   * children whose mtime is older than their ttl.
   */
  reapCandidates(nowMs: bigint, maxNeverUsedIntervalMs = 0n): string[] {
    const candidates: string[] = [];
    for (const path of this.containers) {
      const node = this.nodes.get(path);
      if (node === undefined || node.children.size > 0) continue;
      if (node.stat.cversion > 0) candidates.push(path);
      else if (maxNeverUsedIntervalMs !== 0n && nowMs - node.stat.mtime > maxNeverUsedIntervalMs) candidates.push(path);
    }
    for (const path of this.ttls) {
      const node = this.nodes.get(path);
      if (node === undefined || node.children.size > 0) continue;
      const ttl = ttlOf(node.stat.ephemeralOwner);
      if (ttl !== 0n && nowMs - node.stat.mtime > ttl) candidates.push(path);
    }
    return candidates;
  }

  /** Every path in depth-first pre-order from the root (for snapshots and dumps); iterative, so depth is no limit. */
  *walk(): Generator<[string, ZNode]> {
    const stack: string[] = ['/'];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (node === undefined) continue;
      yield [path, node];
      // DataTree.serializeNode writes children in HashSet order; keeping it makes
      // a tree rebuilt from the snapshot iterate as ZooKeeper's would.
      const children = childrenInJavaOrder(node);
      for (let i = children.length - 1; i >= 0; i--) stack.push(joinPath(path, children[i]!));
    }
  }
}
