// The data tree, the prep step and the txn/snapshot encodings, as stories about
// what a ZooKeeper client observes. Numbers (zxids, cversions, suffixes, error
// codes) are pinned to what ZooKeeper 3.8's PrepRequestProcessor and DataTree
// produce for the same sequence.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CreateFlag, ErrorCode, EventType, OpCode, Perms } from '../protocol/constants.ts';
import { encodeRecord } from '../protocol/jute.ts';
import { GetDataResponse, type ACL, type Id, type MultiOp } from '../protocol/records.ts';
import { checkACL, fixupACL, generateDigest, ipMatches, openAclUnsafe } from './acl.ts';
import { DataTree, type ApplyOutcome } from './data-tree.ts';
import { javaStringHash } from './java-hash-order.ts';
import { pathInvalidReason } from './path.ts';
import { prepRequest, sequenceSuffix, type WriteRequest } from './prep.ts';
import { deserializeTree, serializeTree } from './snapshot.ts';
import { decodeTxn, encodeTxn, type Txn } from './txn.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
/** Events without their ACLs, for comparisons. */
const plain = (events: readonly { watcher: number; type: number; path: string; zxid: bigint }[]) =>
  events.map(({ watcher, type, path, zxid }) => ({ watcher, type, path, zxid }));

/** A tree with a client session driving it: each write is prepped, logged and applied, as the server does. */
class Harness {
  tree = new DataTree();
  zxid = 0n;
  time = 1_000n;
  log: Txn[] = [];
  constructor(
    public sessionId = 0x100n,
    public authIds: Id[] = [{ scheme: 'ip', id: '127.0.0.1' }],
    public extendedTypesEnabled = true,
  ) {}

  write(request: WriteRequest): ApplyOutcome {
    this.zxid += 1n;
    this.time += 10n;
    const txn = prepRequest(this.tree, request, {
      sessionId: this.sessionId,
      cxid: this.log.length,
      zxid: this.zxid,
      time: this.time,
      authIds: this.authIds,
      extendedTypesEnabled: this.extendedTypesEnabled,
    });
    this.log.push(txn);
    return this.tree.applyTxn(txn);
  }

  create(path: string, data = '', flags: number = CreateFlag.PERSISTENT, acl: readonly ACL[] = openAclUnsafe) {
    return this.write({ type: OpCode.create, request: { path, data: bytes(data), acl: [...acl], flags } });
  }
  setData(path: string, data: string, version = -1) {
    return this.write({ type: OpCode.setData, request: { path, data: bytes(data), version } });
  }
  delete(path: string, version = -1) {
    return this.write({ type: OpCode.delete, request: { path, version } });
  }
}

describe('a fresh tree', () => {
  it('holds /, /zookeeper, /zookeeper/quota and a read-only /zookeeper/config, all with zero stats', () => {
    const tree = new DataTree();
    expect(tree.getChildren('/')!.children).toEqual(['zookeeper']);
    expect(tree.getChildren('/zookeeper')!.children.sort()).toEqual(['config', 'quota']);
    expect(tree.getNode('/zookeeper/config')!.acl).toEqual([{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }]);
    // The stored cversion is 0; clients see 2 x 0 - 1 child = -1, as on a fresh ZooKeeper.
    expect(tree.statNode('/')).toMatchObject({ czxid: 0n, version: 0, cversion: -1, numChildren: 1 });
    expect(tree.getAllChildrenNumber('/')).toBe(3);
    expect(tree.statNode('/zookeeper/config')).toMatchObject({ aversion: -1, version: 0, dataLength: 0 });
  });
});

describe('create', () => {
  it('stamps czxid, mzxid, pzxid and times from the txn and bumps the parent cversion and pzxid', () => {
    const h = new Harness();
    const { result } = h.write({ type: OpCode.create2, request: { path: '/a', data: bytes('x'), acl: [...openAclUnsafe], flags: 0 } });
    expect(result).toMatchObject({ type: OpCode.create2, err: 0, path: '/a' });
    expect(result.stat).toEqual({
      czxid: 1n, mzxid: 1n, ctime: 1010n, mtime: 1010n, version: 0, cversion: 0, aversion: 0,
      ephemeralOwner: 0n, dataLength: 1, numChildren: 0, pzxid: 1n,
    });
    expect(h.tree.getNode('/')!.stat).toMatchObject({ cversion: 1, pzxid: 1n });
    expect(h.tree.statNode('/')).toMatchObject({ cversion: 0, pzxid: 1n, numChildren: 2 }); // 2 x 1 - 2
  });

  it('names sequential nodes with %010d of the parent cversion, which deletes do not bump', () => {
    const h = new Harness();
    h.create('/q');
    expect(h.create('/q/n-', '', CreateFlag.PERSISTENT_SEQUENTIAL).result.path).toBe('/q/n-0000000000');
    expect(h.create('/q/n-', '', CreateFlag.PERSISTENT_SEQUENTIAL).result.path).toBe('/q/n-0000000001');
    h.delete('/q/n-0000000000');
    expect(h.tree.getNode('/q')!.stat).toMatchObject({ cversion: 2, pzxid: 4n });
    // Clients see changes, not creations: 2 creates + 1 delete = 2 x 2 - 1.
    expect(h.tree.statNode('/q')).toMatchObject({ cversion: 3, numChildren: 1 });
    expect(h.create('/q/n-', '', CreateFlag.EPHEMERAL_SEQUENTIAL).result.path).toBe('/q/n-0000000002');
    expect(sequenceSuffix(-1)).toBe('-000000001');
  });

  it('answers NodeExists, NoNode, NoChildrenForEphemerals, BadArguments and InvalidACL as ZooKeeper does', () => {
    const h = new Harness();
    h.create('/a');
    h.create('/e', '', CreateFlag.EPHEMERAL);
    expect(h.create('/a').result.err).toBe(ErrorCode.NODEEXISTS);
    expect(h.create('/missing/child').result.err).toBe(ErrorCode.NONODE);
    expect(h.create('/e/child').result.err).toBe(ErrorCode.NOCHILDRENFOREPHEMERALS);
    expect(h.create('/a/').result.err).toBe(ErrorCode.BADARGUMENTS);
    expect(h.create('relative').result.err).toBe(ErrorCode.BADARGUMENTS);
    expect(h.create('/a/b', '', 99).result.err).toBe(ErrorCode.BADARGUMENTS);
    expect(h.create('/b', '', 0, []).result.err).toBe(ErrorCode.INVALIDACL);
    // Each failure is an error txn that took a zxid, as in ZooKeeper's log.
    expect(h.log.map((t) => t.body.type)).toEqual(['create', 'create', 'error', 'error', 'error', 'error', 'error', 'error', 'error']);
    expect(h.tree.lastProcessedZxid).toBe(9n);
  });

  it('refuses TTL nodes unless extended types are enabled (Unimplemented), and bad TTLs (BadArguments)', () => {
    const off = new Harness(0x100n, [], false);
    const ttl = (h: Harness, ms: bigint) =>
      h.write({ type: OpCode.createTTL, request: { path: '/t', data: bytes(''), acl: [...openAclUnsafe], flags: CreateFlag.PERSISTENT_WITH_TTL, ttl: ms } });
    expect(ttl(off, 1000n).result.err).toBe(ErrorCode.UNIMPLEMENTED);
    const on = new Harness();
    expect(ttl(on, 0n).result.err).toBe(ErrorCode.BADARGUMENTS);
    // The stored owner encodes the ttl; clients see 0 (DataNode.getClientEphemeralOwner).
    expect(ttl(on, 1000n).result.stat?.ephemeralOwner).toBe(0n);
    expect(on.tree.getNode('/t')!.stat.ephemeralOwner).toBe(BigInt.asIntN(64, 0xff000000000003e8n));
  });
});

describe('setData, delete and versions', () => {
  it('checks the expected version, -1 matching any, and counts versions up', () => {
    const h = new Harness();
    h.create('/v', 'a');
    expect(h.setData('/v', 'b', 1).result.err).toBe(ErrorCode.BADVERSION);
    expect(h.setData('/v', 'b', 0).result.stat).toMatchObject({ version: 1, mzxid: 3n, czxid: 1n, dataLength: 1 });
    expect(h.setData('/v', 'cc').result.stat).toMatchObject({ version: 2, dataLength: 2 });
    expect(text(h.tree.getData('/v')!.data)).toBe('cc');
    expect(h.delete('/v', 1).result.err).toBe(ErrorCode.BADVERSION);
    expect(h.delete('/v', 2).result.err).toBe(0);
    expect(h.delete('/v').result.err).toBe(ErrorCode.NONODE);
  });

  it('refuses to delete a node with children (NotEmpty) and the system nodes (BadArguments)', () => {
    const h = new Harness();
    h.create('/p');
    h.create('/p/c');
    expect(h.delete('/p').result.err).toBe(ErrorCode.NOTEMPTY);
    expect(h.delete('/zookeeper').result.err).toBe(ErrorCode.BADARGUMENTS);
    expect(h.delete('/').result.err).toBe(ErrorCode.BADARGUMENTS);
    expect(h.setData('/a//b', 'x').result.err).toBe(ErrorCode.BADARGUMENTS);
  });
});

describe('children come back in java.util.HashSet order', () => {
  it('matches what Apache ZooKeeper 3.8 returned for the same inserts (seen in the differential test)', () => {
    const h = new Harness();
    h.create('/d');
    h.create('/d/seq-', '', CreateFlag.PERSISTENT_SEQUENTIAL);
    h.create('/d/seq-', '', CreateFlag.PERSISTENT_SEQUENTIAL);
    h.create('/d/eph', '', CreateFlag.EPHEMERAL);
    expect(h.tree.getChildren('/d')!.children).toEqual(['eph', 'seq-0000000001', 'seq-0000000000']);
    expect(javaStringHash('hello')).toBe(99162322);
  });

  it('keeps the order through a snapshot, as ZooKeeper serializes children in iteration order', () => {
    const h = new Harness();
    h.create('/p');
    for (let i = 0; i < 20; i++) h.create(`/p/child-${i}`);
    const restored = deserializeTree(serializeTree(h.tree));
    expect(restored.ok && restored.value.getChildren('/p')!.children).toEqual(h.tree.getChildren('/p')!.children);
  });
});

describe('PathUtils.validatePath', () => {
  it.each([
    ['/', undefined],
    ['/a/b.c/..d', undefined],
    ['', 'Path length must be > 0'],
    ['a', 'Path must start with / character'],
    ['/a/', 'Path must not end with / character'],
    ['/a//b', 'empty node name specified @3'],
    ['/a/./b', 'relative paths not allowed @3'],
    ['/a/..', 'relative paths not allowed @4'],
    ['/a\u0000', 'null character not allowed @2'],
    ['/a\u0001', 'invalid character @2'],
    ['/\ud83d\ude00', 'invalid character @1'],
  ])('%j -> %s', (path, reason) => {
    expect(pathInvalidReason(path)).toBe(reason);
  });
});

describe('ACLs', () => {
  it('computes digests as DigestAuthenticationProvider.generateDigest', () => {
    // The value ZooKeeper's documentation gives for super:test... computed the same way.
    expect(generateDigest('bob:secret')).toBe('bob:' + createHash('sha1').update('bob:secret').digest('base64'));
    expect(generateDigest('super:superpw')).toMatch(/^super:[A-Za-z0-9+/]{27}=$/);
  });

  it('checks CREATE and DELETE on the parent, WRITE on the node, and lets super through', () => {
    const bob: Id = { scheme: 'digest', id: generateDigest('bob:pw') };
    const h = new Harness(0x100n, [bob]);
    h.create('/locked', '', 0, [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }, { perms: Perms.ALL, id: bob }]);
    h.create('/locked/child');
    h.authIds = [{ scheme: 'ip', id: '127.0.0.1' }];
    expect(h.create('/locked/other').result.err).toBe(ErrorCode.NOAUTH);
    expect(h.delete('/locked/child').result.err).toBe(ErrorCode.NOAUTH);
    expect(h.setData('/locked', 'x').result.err).toBe(ErrorCode.NOAUTH);
    // NoNode for the parent comes before NoAuth; InvalidACL comes before both.
    expect(h.create('/locked/nope/x').result.err).toBe(ErrorCode.NONODE);
    expect(h.create('/locked/x', '', 0, []).result.err).toBe(ErrorCode.INVALIDACL);
    h.authIds = [{ scheme: 'super', id: '' }];
    expect(h.setData('/locked', 'x').result.err).toBe(0);
  });

  it('expands auth into the caller digest ids and rejects it with none (fixupACL)', () => {
    const bob: Id = { scheme: 'digest', id: 'bob:hash' };
    const authAcl: ACL[] = [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }];
    expect(fixupACL(authAcl, [{ scheme: 'ip', id: '127.0.0.1' }, bob])).toEqual([{ perms: Perms.ALL, id: bob }]);
    expect(fixupACL(authAcl, [{ scheme: 'ip', id: '127.0.0.1' }])).toBeUndefined();
    expect(fixupACL([{ perms: 1, id: { scheme: 'digest', id: 'nocolon' } }], [])).toBeUndefined();
    expect(fixupACL([{ perms: 1, id: { scheme: 'world', id: 'someone' } }], [])).toBeUndefined();
    expect(fixupACL([{ perms: 1, id: { scheme: 'ip', id: '10.0.0.0/33' } }], [])).toBeUndefined();
    expect(fixupACL([...openAclUnsafe, ...openAclUnsafe], [])).toEqual(openAclUnsafe);
  });

  it('matches ip ACLs by address and prefix length', () => {
    expect(ipMatches('10.1.2.3', '10.1.0.0/16')).toBe(true);
    expect(ipMatches('10.2.2.3', '10.1.0.0/16')).toBe(false);
    expect(ipMatches('::ffff:127.0.0.1', '127.0.0.1')).toBe(true);
    expect(ipMatches('::1', '::1')).toBe(true);
    expect(checkACL([{ perms: Perms.READ, id: { scheme: 'ip', id: '127.0.0.0/8' } }], Perms.READ, [{ scheme: 'ip', id: '127.0.0.1' }])).toBe(true);
    expect(checkACL([{ perms: Perms.READ, id: { scheme: 'ip', id: '127.0.0.0/8' } }], Perms.WRITE, [{ scheme: 'ip', id: '127.0.0.1' }])).toBe(false);
  });
});

describe('multi', () => {
  const createOp = (path: string): MultiOp => ({ type: OpCode.create, request: { path, data: bytes(''), acl: [...openAclUnsafe], flags: 0 } });

  it('applies every op, each seeing the ones before it, under one zxid', () => {
    const h = new Harness();
    const { result } = h.write({
      type: OpCode.multi,
      ops: [createOp('/m'), createOp('/m/c'), { type: OpCode.setData, request: { path: '/m', data: bytes('d'), version: 0 } }, { type: OpCode.check, request: { path: '/m', version: 1 } }],
    });
    expect(result.err).toBe(0);
    expect(result.multiResult!.map((r) => [r.type, r.err])).toEqual([[OpCode.create, 0], [OpCode.create, 0], [OpCode.setData, 0], [OpCode.check, 0]]);
    expect(h.tree.statNode('/m/c')!.czxid).toBe(1n);
    expect(h.tree.statNode('/m')).toMatchObject({ version: 1, mzxid: 1n, pzxid: 1n });
  });

  it('applies nothing when one op fails: OK before it, its code, RuntimeInconsistency after it', () => {
    const h = new Harness();
    h.create('/x');
    const before = serializeTree(h.tree);
    const { result, events } = h.write({
      type: OpCode.multi,
      ops: [createOp('/y'), { type: OpCode.delete, request: { path: '/nope', version: -1 } }, createOp('/z')],
    });
    expect(result.err).toBe(ErrorCode.NONODE);
    expect(result.multiResult!.map((r) => [r.type, r.err])).toEqual([
      [OpCode.error, ErrorCode.OK],
      [OpCode.error, ErrorCode.NONODE],
      [OpCode.error, ErrorCode.RUNTIMEINCONSISTENCY],
    ]);
    expect(events).toEqual([]);
    expect(h.tree.getNode('/y')).toBeUndefined();
    // Only lastProcessedZxid moved.
    h.tree.lastProcessedZxid = 1n;
    expect(serializeTree(h.tree)).toEqual(before);
  });
});

describe('watches', () => {
  const A = 1;
  const B = 2;

  it('a data watch fires once on setData; an exists watch on an absent node fires on create', () => {
    const h = new Harness();
    h.create('/w');
    h.tree.getData('/w', A);
    h.tree.statNode('/later', B);
    expect(plain(h.setData('/w', '1').events)).toEqual([{ watcher: A, type: EventType.NodeDataChanged, path: '/w', zxid: 2n }]);
    expect(h.setData('/w', '2').events).toEqual([]);
    expect(plain(h.create('/later').events)).toEqual([{ watcher: B, type: EventType.NodeCreated, path: '/later', zxid: 4n }]);
  });

  it('delete tells data watchers NodeDeleted, child watchers NodeDeleted once, and parent child watchers NodeChildrenChanged', () => {
    const h = new Harness();
    h.create('/p');
    h.create('/p/c');
    h.tree.getData('/p/c', A);
    h.tree.getChildren('/p/c', A);
    h.tree.getChildren('/p/c', B);
    h.tree.getChildren('/p', B);
    expect(plain(h.delete('/p/c').events)).toEqual([
      { watcher: A, type: EventType.NodeDeleted, path: '/p/c', zxid: 3n },
      { watcher: B, type: EventType.NodeDeleted, path: '/p/c', zxid: 3n },
      { watcher: B, type: EventType.NodeChildrenChanged, path: '/p', zxid: 3n },
    ]);
    expect(h.tree.watchCount).toBe(0);
  });

  it('a persistent watch stays and sees data and child changes; a recursive one sees descendants but not NodeChildrenChanged', () => {
    const h = new Harness();
    h.create('/r');
    h.tree.addWatch('/r', A, 'persistent');
    h.tree.addWatch('/r', B, 'persistentRecursive');
    expect(plain(h.create('/r/c').events)).toEqual([
      { watcher: B, type: EventType.NodeCreated, path: '/r/c', zxid: 2n },
      { watcher: A, type: EventType.NodeChildrenChanged, path: '/r', zxid: 2n },
    ]);
    expect(h.setData('/r', 'x').events.map((e) => e.watcher)).toEqual([A, B]);
    expect(h.setData('/r', 'y').events.map((e) => e.watcher)).toEqual([A, B]);
    expect(h.tree.dataWatches.removeWatch('/r', B)).toBe(true);
    expect(h.setData('/r/c', 'z').events).toEqual([]);
  });

  it('3.8: the last watch set on a path wins, so getData turns a persistent watch back into a one-shot one', () => {
    const h = new Harness();
    h.create('/o');
    h.tree.addWatch('/o', A, 'persistent');
    h.tree.getData('/o', A);
    expect(h.setData('/o', '1').events.map((e) => e.watcher)).toEqual([A]);
    expect(h.setData('/o', '2').events).toEqual([]);
  });

  it('setWatches fires at once for changes after relativeZxid and re-arms the rest', () => {
    const h = new Harness();
    h.create('/s1');
    h.create('/s2');
    h.setData('/s2', 'changed');
    const events = h.tree.setWatches(
      2n,
      { dataWatches: ['/s1', '/s2', '/gone'], existWatches: ['/s1', '/absent'], childWatches: ['/'], persistentWatches: [], persistentRecursiveWatches: [] },
      A,
    );
    expect(events.map((e) => [e.type, e.path])).toEqual([
      [EventType.NodeDataChanged, '/s2'],
      [EventType.NodeDeleted, '/gone'],
      [EventType.NodeCreated, '/s1'],
    ]);
    expect(h.tree.dataWatches.containsWatcher('/s1', A)).toBe(true);
    expect(h.tree.dataWatches.containsWatcher('/absent', A)).toBe(true);
    expect(h.tree.childWatches.containsWatcher('/', A)).toBe(true);
  });
});

describe('sessions, ephemerals, containers and TTLs', () => {
  it('closeSession deletes the session ephemerals and fires their watches', () => {
    const h = new Harness(0x55n);
    h.write({ type: OpCode.createSession, timeOut: 30000 });
    h.create('/e1', '', CreateFlag.EPHEMERAL);
    h.create('/e2', '', CreateFlag.EPHEMERAL);
    expect(h.tree.sessions.get(0x55n)).toBe(30000);
    // java.util.HashSet order, as ZooKeeper returns them.
    expect(h.tree.getEphemerals(0x55n)).toEqual(['/e2', '/e1']);
    h.tree.getData('/e1', 7);
    const { events } = h.write({ type: OpCode.closeSession });
    expect(h.log.at(-1)!.body).toEqual({ type: 'closeSession', paths2Delete: ['/e2', '/e1'] });
    expect(plain(events)).toEqual([{ watcher: 7, type: EventType.NodeDeleted, path: '/e1', zxid: 4n }]);
    expect(h.tree.getNode('/e1')).toBeUndefined();
    expect(h.tree.sessions.has(0x55n)).toBe(false);
  });

  it('a container becomes a reap candidate once it had children and has none', () => {
    const h = new Harness();
    h.write({ type: OpCode.createContainer, request: { path: '/c', data: bytes(''), acl: [...openAclUnsafe], flags: CreateFlag.CONTAINER } });
    expect(h.tree.reapCandidates(h.time)).toEqual([]);
    h.create('/c/x');
    h.delete('/c/x');
    expect(h.tree.reapCandidates(h.time)).toEqual(['/c']);
    expect(h.write({ type: OpCode.deleteContainer, request: { path: '/c' } }).result.err).toBe(0);
    expect(h.tree.containers.size).toBe(0);
  });

  it('a TTL node is a candidate once unmodified for longer than its ttl', () => {
    const h = new Harness();
    h.write({ type: OpCode.createTTL, request: { path: '/t', data: bytes(''), acl: [...openAclUnsafe], flags: CreateFlag.PERSISTENT_WITH_TTL, ttl: 100n } });
    const mtime = h.tree.statNode('/t')!.mtime;
    expect(h.tree.reapCandidates(mtime + 100n)).toEqual([]);
    expect(h.tree.reapCandidates(mtime + 101n)).toEqual(['/t']);
  });
});

describe('txn and snapshot encodings', () => {
  it('keeps null data (a jute buffer of length -1) apart from empty data through apply, txn, snapshot and the getData reply', () => {
    const h = new Harness();
    h.write({ type: OpCode.create, request: { path: '/null', data: null, acl: [...openAclUnsafe], flags: CreateFlag.PERSISTENT } });
    h.create('/empty', '');
    h.create('/set', 'v');
    h.write({ type: OpCode.setData, request: { path: '/set', data: null, version: -1 } });
    h.write({ type: OpCode.multi, ops: [{ type: OpCode.create, request: { path: '/multi', data: null, acl: [...openAclUnsafe], flags: 0 } }] });
    const dataOf = (tree: DataTree, path: string) => tree.getData(path)!.data;
    const restored = deserializeTree(serializeTree(h.tree));
    if (!restored.ok) throw new Error(restored.error);
    for (const tree of [h.tree, restored.value]) {
      expect(dataOf(tree, '/null')).toBeNull();
      expect(dataOf(tree, '/set')).toBeNull();
      expect(dataOf(tree, '/multi')).toBeNull();
      expect(dataOf(tree, '/empty')).toEqual(new Uint8Array(0));
      expect(tree.getData('/null')!.stat.dataLength).toBe(0);
    }
    // The log: each txn decodes to what was encoded, null included, and replaying it rebuilds the same tree.
    const replayed = new DataTree();
    for (const txn of h.log) {
      const decoded = decodeTxn(encodeTxn(txn));
      expect(decoded).toEqual({ ok: true, value: txn });
      replayed.applyTxn((decoded as { value: Txn }).value);
    }
    expect(dataOf(replayed, '/null')).toBeNull();
    expect(dataOf(replayed, '/set')).toBeNull();
    expect(serializeTree(replayed)).toEqual(serializeTree(h.tree));
    // On the wire: GetDataResponse writes length -1 for null and 0 for empty.
    const reply = (path: string) => encodeRecord({ data: dataOf(h.tree, path), stat: h.tree.getData(path)!.stat }, GetDataResponse.write);
    expect([...reply('/null').subarray(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect([...reply('/empty').subarray(0, 4)]).toEqual([0, 0, 0, 0]);
  });

  it('every txn type round-trips through encodeTxn/decodeTxn', () => {
    const h = new Harness();
    h.write({ type: OpCode.createSession, timeOut: 4000 });
    h.create('/a', 'data', CreateFlag.EPHEMERAL_SEQUENTIAL);
    h.write({ type: OpCode.createContainer, request: { path: '/c', data: bytes(''), acl: [...openAclUnsafe], flags: CreateFlag.CONTAINER } });
    h.write({ type: OpCode.createTTL, request: { path: '/t', data: bytes(''), acl: [...openAclUnsafe], flags: CreateFlag.PERSISTENT_WITH_TTL, ttl: 5n } });
    h.setData('/c', 'x');
    h.write({ type: OpCode.setACL, request: { path: '/c', acl: [...openAclUnsafe], version: -1 } });
    h.delete('/c');
    h.write({ type: OpCode.multi, ops: [{ type: OpCode.check, request: { path: '/t', version: 0 } }, { type: OpCode.delete, request: { path: '/x', version: -1 } }] });
    h.write({ type: OpCode.closeSession });
    expect(new Set(h.log.map((t) => t.body.type))).toEqual(
      new Set(['createSession', 'create', 'createContainer', 'createTTL', 'setData', 'setACL', 'delete', 'multi', 'closeSession']),
    );
    for (const txn of h.log) expect(decodeTxn(encodeTxn(txn))).toEqual({ ok: true, value: txn });
    expect(decodeTxn(encodeTxn(h.log[1]!).subarray(0, 20)).ok).toBe(false);
  });

  it('seeded random workloads: replaying the decoded log, or a snapshot plus the rest, rebuilds the same tree', () => {
    const paths = ['/a', '/b', '/a/x', '/a/y', '/b/z'];
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), path: fc.constantFrom(...paths), flags: fc.constantFrom(0, 1, 2, 3, 4) }),
      fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...paths), version: fc.integer({ min: -1, max: 2 }) }),
      fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...paths), version: fc.integer({ min: -1, max: 1 }) }),
      fc.record({ kind: fc.constant('session' as const), id: fc.constantFrom(1n, 2n) }),
      fc.record({ kind: fc.constant('close' as const), id: fc.constantFrom(1n, 2n) }),
      fc.record({ kind: fc.constant('multi' as const), a: fc.constantFrom(...paths), b: fc.constantFrom(...paths) }),
    );
    const seed = 20240501;
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.nat(40), (ops, cut) => {
        const h = new Harness(1n);
        // A quota on /a: its usage is part of the tree (the zookeeper_stats node's data), so it is compared too.
        for (const path of ['/a', '/zookeeper/quota/a']) h.create(path);
        h.create('/zookeeper/quota/a/zookeeper_limits', 'count=3,bytes=-1');
        h.create('/zookeeper/quota/a/zookeeper_stats', 'count=0,bytes=0');
        let snapshot: Uint8Array | undefined;
        ops.forEach((op, i) => {
          if (i === cut) snapshot = serializeTree(h.tree);
          switch (op.kind) {
            case 'create':
              h.create(op.path, 'v', op.flags);
              break;
            case 'set':
              h.setData(op.path, `v${i}`, op.version);
              break;
            case 'delete':
              h.delete(op.path, op.version);
              break;
            case 'session':
              h.sessionId = op.id;
              h.write({ type: OpCode.createSession, timeOut: 6000 });
              break;
            case 'close':
              h.sessionId = op.id;
              h.write({ type: OpCode.closeSession });
              break;
            case 'multi':
              h.write({
                type: OpCode.multi,
                ops: [
                  { type: OpCode.create, request: { path: op.a, data: bytes('m'), acl: [...openAclUnsafe], flags: 0 } },
                  { type: OpCode.delete, request: { path: op.b, version: -1 } },
                ],
              });
              break;
          }
        });
        const expected = serializeTree(h.tree);
        const replayed = new DataTree();
        for (const txn of h.log) {
          const decoded = decodeTxn(encodeTxn(txn));
          if (!decoded.ok) throw new Error(decoded.error);
          replayed.applyTxn(decoded.value);
        }
        expect(serializeTree(replayed)).toEqual(expected);
        // The digest kept change by change equals the one summed over the tree, however it was rebuilt.
        const reloaded = deserializeTree(expected);
        if (!reloaded.ok) throw new Error(reloaded.error);
        expect(h.tree.digest.value).toBe(reloaded.value.digest.value);
        expect(replayed.digest.value).toBe(h.tree.digest.value);
        if (snapshot !== undefined) {
          const restored = deserializeTree(snapshot);
          if (!restored.ok) throw new Error(restored.error);
          for (const txn of h.log.slice(cut + 4)) restored.value.applyTxn(txn);
          expect(serializeTree(restored.value)).toEqual(expected);
          expect(restored.value.ephemerals).toEqual(h.tree.ephemerals);
          expect(restored.value.containers).toEqual(h.tree.containers);
        }
      }),
      { seed, numRuns: 300, endOnFailure: true, reporter: (details) => { if (details.failed) throw new Error(`seed ${seed}: ${fc.defaultReportMessage(details)}`); } },
    );
  });

  it('a truncated or reordered snapshot is an error value', () => {
    const h = new Harness();
    h.create('/a');
    const snap = serializeTree(h.tree);
    expect(deserializeTree(snap.subarray(0, snap.byteLength - 3)).ok).toBe(false);
    expect(deserializeTree(new Uint8Array(0)).ok).toBe(false);
  });
});
