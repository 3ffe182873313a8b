// The two sides of the in-process replay in each other's terms. The core's
// zxids are 64-bit (epoch << 32 | counter); spec/zab's are {epoch, counter}:
// `peerZxid` maps them explicitly. A spec txn's value (its client request
// number) travels as the 4 big-endian bytes of the PeerTxn's data, so the two
// sides' messages can be compared exactly (`peerMessageKey`, `specMessageKey`;
// conformance/replay/process-world.ts compares a member's messages the same way).
// The world the core runs in is impl/quorum/peer/world.ts; `projectWorld`
// writes its projections as the trace does.

import type { Txn, ZabMessage, Zxid } from '../../spec/zab/types.ts';
import { makeZxid } from '../../impl/quorum/peer/history.ts';
import { formatProjection } from '../../impl/quorum/peer/projection.ts';
import type { PeerMessage, PeerTxn } from '../../impl/quorum/peer/types.ts';
import type { MemoryWorld } from '../../impl/quorum/peer/world.ts';
import { itfInteger, type NodeProjection } from '../trace.ts';

/** spec/zab's zxid as the core's 64-bit one. */
export function peerZxid(z: Zxid): bigint {
  return makeZxid(z.epoch, BigInt(z.counter));
}

/** A spec txn as a PeerTxn: the zxid mapped, the value as 4 big-endian bytes. */
export function peerTxn(txn: Txn): PeerTxn {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, txn.value);
  return { zxid: peerZxid(txn.zxid), data };
}

/** The client request number a PeerTxn carries (peerTxn's inverse), or -1 for data of another shape. */
export function txnValue(txn: PeerTxn): number {
  return txn.data.length === 4 ? new DataView(txn.data.buffer, txn.data.byteOffset, 4).getUint32(0) : -1;
}

export function clientData(value: number): Uint8Array {
  return peerTxn({ zxid: { epoch: 0 as Zxid['epoch'], counter: 0 }, value }).data;
}

const z64 = (z: bigint) => z.toString();
const txnKey = (t: PeerTxn) => `${z64(t.zxid)}=${txnValue(t)}`;

/** A message as a comparable string; the spec's and the core's give the same string for the same message. */
export function peerMessageKey(m: PeerMessage): string {
  switch (m.type) {
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
      return `${m.type}(${m.acceptedEpoch})`;
    case 'LEADERINFO':
    case 'NEWLEADER':
    case 'ACKLD':
      return `${m.type}(${m.epoch})`;
    case 'ACKEPOCH':
      return `ACKEPOCH(${m.currentEpoch}, ${z64(m.lastZxid)})`;
    case 'DIFF':
    case 'TRUNC':
    case 'COMMIT':
    case 'ACK':
      return `${m.type}(${z64(m.zxid)})`;
    case 'SNAP':
      return `SNAP(${z64(m.zxid)}; ${m.snapshot.map(txnKey).join(' ')})`;
    case 'PROPOSAL':
    case 'INFORM':
      return `${m.type}(${txnKey(m.txn)})`;
    case 'UPTODATE':
      return 'UPTODATE';
  }
}

export function specMessageKey(m: ZabMessage): string {
  switch (m.type) {
    case 'ACKEPOCH':
      return peerMessageKey({ type: 'ACKEPOCH', currentEpoch: m.currentEpoch, lastZxid: peerZxid(m.lastZxid) });
    case 'DIFF':
    case 'TRUNC':
    case 'COMMIT':
    case 'ACK':
      return peerMessageKey({ type: m.type, zxid: peerZxid(m.zxid) });
    case 'SNAP':
      return peerMessageKey({ type: 'SNAP', zxid: peerZxid(m.zxid), snapshot: m.snapshot.map(peerTxn) });
    case 'PROPOSAL':
    case 'INFORM':
      return peerMessageKey({ type: m.type, txn: peerTxn(m.txn) });
    default:
      return peerMessageKey(m);
  }
}

/** Every server's projection in the world (conformance/adapters/zab.ts's fields, zxids as the trace writes them). */
export function projectWorld(world: MemoryWorld): NodeProjection[] {
  return world.servers.map((_, id) => {
    const core = world.project(id);
    return core === undefined ? { state: 'DOWN' } : formatProjection(core, itfInteger);
  });
}
