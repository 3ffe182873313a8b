// Quotas and the tree digest, as stories about what ZooKeeper 3.8's DataTree,
// StatsTrack and ZooKeeperServer.checkQuota do for the same writes (quota.ts,
// digest.ts). The Apache comparisons are in impl/standalone/tree-features.test.ts.

import { describe, expect, it } from 'vitest';
import { CreateFlag, ErrorCode, OpCode } from '../protocol/constants.ts';
import type { MultiOp } from '../protocol/records.ts';
import { openAclUnsafe } from './acl.ts';
import { DataTree } from './data-tree.ts';
import { znodeDigest } from './digest.ts';
import { prepRequest, type WriteRequest } from './prep.ts';
import { StatsTrack } from './quota.ts';
import { deserializeTree, serializeTree } from './snapshot.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

/** A tree written to as the server does: each write prepped into a txn, then applied. */
class Harness {
  tree = new DataTree();
  zxid = 0n;
  enforceQuota = false;
  warnings: string[] = [];

  write(request: WriteRequest) {
    this.zxid += 1n;
    const ctx = { sessionId: 0x100n, cxid: 0, zxid: this.zxid, time: 1000n + this.zxid, authIds: [], extendedTypesEnabled: false };
    const txn = prepRequest(this.tree, request, { ...ctx, enforceQuota: this.enforceQuota, warn: (event, fields) => this.warnings.push(`${event} ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`) });
    return this.tree.applyTxn(txn);
  }
  create(path: string, data = '', flags: number = CreateFlag.PERSISTENT) {
    return this.write({ type: OpCode.create, request: { path, data: bytes(data), acl: [...openAclUnsafe], flags } });
  }
  setData(path: string, data: string) {
    return this.write({ type: OpCode.setData, request: { path, data: bytes(data), version: -1 } });
  }
  delete(path: string) {
    return this.write({ type: OpCode.delete, request: { path, version: -1 } });
  }
}

describe('quotas (DataTree and ZooKeeperServer.checkQuota as 3.8 has them)', () => {
  /** What zkCli.sh's `setquota` creates: the limits node, then a stats node the server recounts. */
  function setQuota(h: Harness, path: string, limits: string) {
    h.create(`/zookeeper/quota${path}`);
    h.create(`/zookeeper/quota${path}/zookeeper_limits`, limits);
    const request = { path: `/zookeeper/quota${path}/zookeeper_stats`, data: bytes('count=0,bytes=0'), acl: [...openAclUnsafe], flags: 0 };
    return h.write({ type: OpCode.create2, request });
  }
  const usage = (h: Harness, path: string) => text(h.tree.getData(`/zookeeper/quota${path}/zookeeper_stats`)!.data);

  it('StatsTrack writes count and bytes first, then "=" and the other keys sorted; what it cannot parse it skips', () => {
    const track = StatsTrack.parse(bytes('countHardLimit=4,count=5;bytes=-1=;byteHardLimit=-1'));
    expect(track.toString()).toBe('count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=4');
    expect(StatsTrack.parse(bytes('count=7,bytes=12')).toString()).toBe('count=7,bytes=12');
    // As Java's parser: "count==5" reads -1, "=3" is the key "" (kept); "bytes=x" and "junk" would throw there.
    expect(StatsTrack.parse(bytes('count==5,,bytes=x;=3;junk')).toString()).toBe('count=-1,bytes=-1=;=3');
    expect(StatsTrack.parse(null).get('count')).toBe(-1n);
  });

  it('counts the quota root and everything below it on create, setData and delete, the stats node recounted when created', () => {
    const h = new Harness();
    h.create('/q', 'ab');
    h.create('/q/a', '123');
    // The stats node's create reply shows the client's data; the node then holds the recount.
    const created = setQuota(h, '/q', 'count=10,bytes=-1');
    expect(created.result.stat?.dataLength).toBe('count=0,bytes=0'.length);
    expect(usage(h, '/q')).toBe('count=2,bytes=5');
    h.create('/q/a/b', 'xyz');
    h.setData('/q/a', '1');
    expect(usage(h, '/q')).toBe('count=3,bytes=6');
    h.delete('/q/a/b');
    expect(usage(h, '/q')).toBe('count=2,bytes=3');
    // Outside the quota nothing changes; the stats node's own stat is untouched (no version bump).
    h.create('/other', 'zzz');
    expect(usage(h, '/q')).toBe('count=2,bytes=3');
    expect(h.tree.getData('/zookeeper/quota/q/zookeeper_stats')!.stat.version).toBe(0);
    // Deleting the limits node ends the counting (PathTrie.deletePath).
    h.delete('/zookeeper/quota/q/zookeeper_limits');
    h.create('/q/c', 'more');
    expect(usage(h, '/q')).toBe('count=2,bytes=3');
  });

  it('with enforceQuota, a create or setData past a hard limit is QuotaExceeded; past a soft one it only warns', () => {
    const h = new Harness();
    h.enforceQuota = true;
    h.create('/q');
    setQuota(h, '/q', 'count=-1,bytes=4=;byteHardLimit=6;countHardLimit=3');
    // 5 bytes: over the soft 4 but under the hard 6, and with a hard limit set the soft one is not looked at.
    expect(h.create('/q/a', '12345').result.err).toBe(0);
    expect(h.warnings).toEqual([]);
    expect(h.setData('/q/a', '1234567').result.err).toBe(ErrorCode.QUOTAEXCEEDED);
    expect(h.create('/q/b').result.err).toBe(0);
    expect(h.create('/q/c').result.err).toBe(ErrorCode.QUOTAEXCEEDED);
    expect(h.warnings).toContain('quota-exceeded path=/q what=bytes current=7 limitName=hardByteLimit limit=6');
    expect(h.warnings).toContain('quota-exceeded path=/q what=count current=4 limitName=hardCountLimit limit=3');
    expect(usage(h, '/q')).toBe('count=3,bytes=5');
  });

  it('a soft limit alone warns and lets the write through; without enforceQuota nothing is checked', () => {
    const h = new Harness();
    h.enforceQuota = true;
    h.create('/s');
    setQuota(h, '/s', 'count=1,bytes=-1');
    expect(h.create('/s/x').result.err).toBe(0);
    expect(h.warnings).toEqual(['quota-exceeded path=/s what=count current=2 limitName=softCountLimit limit=1']);
    const off = new Harness();
    off.create('/s');
    setQuota(off, '/s', 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=1');
    expect(off.create('/s/x').result.err).toBe(0);
    expect(off.warnings).toEqual([]);
    expect(usage(off, '/s')).toBe('count=2,bytes=0');
  });

  it('inside a multi each op is checked against the tree, not the ops before it (ZooKeeper reads its DataTree)', () => {
    const h = new Harness();
    h.enforceQuota = true;
    h.create('/m');
    setQuota(h, '/m', 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2');
    const create = (path: string): MultiOp => ({ type: OpCode.create, request: { path, data: bytes(''), acl: [...openAclUnsafe], flags: 0 } });
    const { result } = h.write({ type: OpCode.multi, ops: [create('/m/a'), create('/m/b')] });
    expect(result.err).toBe(0);
    expect(usage(h, '/m')).toBe('count=3,bytes=0');
    expect(h.create('/m/c').result.err).toBe(ErrorCode.QUOTAEXCEEDED);
  });

  it('a loaded snapshot recounts every quota root (DataTree.setupQuota)', () => {
    const h = new Harness();
    h.create('/q', 'ab');
    setQuota(h, '/q', 'count=10,bytes=-1');
    h.create('/q/a', '123');
    const snapshot = serializeTree(h.tree);
    const restored = deserializeTree(snapshot);
    if (!restored.ok) throw new Error(restored.error);
    expect(text(restored.value.getData('/zookeeper/quota/q/zookeeper_stats')!.data)).toBe('count=2,bytes=5');
    expect([...restored.value.quotas.roots]).toEqual(['/q']);
  });
});

describe('the tree digest (DigestCalculator)', () => {
  it('sums CRC32s of path, data and stat over every znode but those under /zookeeper/, and logs it every 128 zxids', () => {
    const h = new Harness();
    const fresh = h.tree.digest.value;
    // The root (under the path "") and /zookeeper, with empty data and zero stats.
    expect(fresh).toBe(BigInt(znodeDigest('/', new Uint8Array(0), h.tree.getNode('/')!.stat) + znodeDigest('/zookeeper', new Uint8Array(0), h.tree.getNode('/zookeeper')!.stat)));
    h.create('/zookeeper/quota/x', 'ignored');
    expect(h.tree.digest.value).toBe(fresh);
    while (h.zxid < 255n) h.setData('/zookeeper/quota/x', `v${h.zxid}`);
    h.create('/a', 'v');
    expect(h.tree.digest.digestLog.map((d) => d.zxid)).toEqual([128n, 256n]);
    expect(h.tree.digest.digestLog[1]!.digest).toBe(h.tree.digest.value);
    expect(h.tree.digest.value).not.toBe(fresh);
  });
});

describe('digest.enabled=false', () => {
  it('keeps no digest and logs none; turned back on, the digest is the tree\'s', () => {
    const h = new Harness();
    h.tree.setDigestEnabled(false);
    while (h.zxid < 130n) h.create(`/n${h.zxid}`, 'x');
    expect(h.tree.digest.digestLog).toEqual([]);
    h.tree.setDigestEnabled(true);
    const reloaded = deserializeTree(serializeTree(h.tree));
    if (!reloaded.ok) throw new Error(reloaded.error);
    expect(h.tree.digest.value).toBe(reloaded.value.digest.value);
  });
});
