// The member processes of a process-level replay (process-replay.ts) and
// their quorum links, seen as spec/zab's servers and channels: N processes of
// impl/main.ts in test-control mode (impl/ensemble/control/README.md) on
// loopback TCP with real data directories, every quorum-port link owned by
// the harness (a PacketLink per ordered pair parses the stream into packets
// and forwards one only when the trace delivers it). Here: what the harness
// observes (each member's projection from its control port's `prj`, each
// link's queue as message keys comparable with the spec's), delivering a
// link's head, a client write through the real client port, the spec's
// initial disks written into the data directories, and a bounded wait.
//
// Values: a spec txn's value is its client request number. Every ZooKeeper
// write needs a session, whose creation is itself a txn, so the spec's request
// is the session creation, and its value travels in the negotiated session
// timeout (VALUE_BASE_MS + value, within the members' min/max session
// timeouts); the txns of the initial logs the harness writes are createSession
// txns of the same shape, so every txn in the system maps back to a value.
// A SNAP's content is abstracted (compared by zxid only: the snapshot is a
// serialised tree, not a txn list).

import type { ZabCluster } from '../../spec/zab/world.ts';
import type { PeerMessage, PeerTxn } from '../../impl/quorum/peer/types.ts';
import { fromQuorumPacket } from '../../impl/quorum/peer/packet.ts';
import { CONTROL_TIMERS, type ControlledEnsemble } from '../../impl/ensemble/control/controlled-ensemble.ts';
import type { ControlExtra, ControlProjection } from '../../impl/ensemble/control/projection.ts';
import type { QuorumItem } from '../../impl/ensemble/quorum-connection.ts';
import { RawClient } from '../../impl/server/raw-client.ts';
import { Storage } from '../../impl/storage/storage.ts';
import { DataTree } from '../../impl/tree/data-tree.ts';
import { serializeTree } from '../../impl/tree/snapshot.ts';
import { decodeTxn, encodeTxn } from '../../impl/tree/txn.ts';
import { itfInteger, type NodeProjection } from '../trace.ts';
import { peerMessageKey, peerZxid, specMessageKey } from './mapping.ts';

/** A value v travels as a session timeout of VALUE_BASE_MS + v ms. */
const VALUE_BASE_MS = CONTROL_TIMERS.minSessionTimeoutMs;
const VALUE_MAX = CONTROL_TIMERS.maxSessionTimeoutMs - VALUE_BASE_MS;

/** The ZooKeeper txn that carries value `value` at `zxid`: a createSession with timeout VALUE_BASE_MS + value. */
export function valueTxnBytes(zxid: bigint, value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > VALUE_MAX) throw new Error(`value ${value} does not fit a session timeout (0..${VALUE_MAX})`);
  return encodeTxn({ sessionId: 0x7e57_0000_0000n + BigInt(value), cxid: 0, zxid, time: 0n, body: { type: 'createSession', timeOut: VALUE_BASE_MS + value } });
}

/** The value a logged ZooKeeper txn carries (valueTxnBytes's inverse), or -1. */
export function valueOfTxnBytes(data: Uint8Array): number {
  const txn = decodeTxn(data);
  if (!txn.ok || txn.value.body.type !== 'createSession') return -1;
  return txn.value.body.timeOut - VALUE_BASE_MS;
}

function valueData(value: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value >>> 0);
  return data;
}

/** A txn as the in-process replay writes it (its value as 4 bytes), so mapping.ts's message keys apply. */
function asValueTxn(t: PeerTxn): PeerTxn {
  return { zxid: t.zxid, data: valueData(valueOfTxnBytes(t.data)) };
}

/** A packet from a link as a message key comparable with specKey's. */
function itemKey(item: QuorumItem): string {
  if (item.kind === 'snapshot') return `SNAP(${item.packet.zxid.toString()})`;
  const message = fromQuorumPacket(item.packet);
  if (!message.ok) return `UNPARSED(type ${item.packet.type}: ${message.error})`;
  const m: PeerMessage = message.value;
  if (m.type === 'PROPOSAL' || m.type === 'INFORM') return peerMessageKey({ ...m, txn: asValueTxn(m.txn) });
  return peerMessageKey(m);
}

/** A spec message's key, with a SNAP's content abstracted to its zxid (see the header). */
export function specKey(m: ZabCluster['channels'][number][number]): string {
  const key = specMessageKey(m);
  return m.type === 'SNAP' ? key.replace(/;.*\)$/, ')') : key;
}

const messageType = (key: string) => key.replace(/\(.*$/, '');

export interface Observation {
  readonly projections: NodeProjection[];
  readonly extras: (ControlExtra | undefined)[];
  /** Channel keys, index from * n + to. */
  readonly channels: string[][];
}

function nodeProjection(p: ControlProjection): NodeProjection {
  const z = (text: string) => itfInteger(BigInt(text));
  return {
    state: p.state,
    zabState: p.zabState,
    acceptedEpoch: p.acceptedEpoch,
    currentEpoch: p.currentEpoch,
    lastZxid: z(p.lastZxid),
    lastCommittedZxid: z(p.lastCommittedZxid),
    loggedZxid: z(p.loggedZxid),
    leader: p.leader,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The members and their links, seen as spec/zab's servers and channels. */
export class ProcessWorld {
  readonly n: number;
  private readonly clients: RawClient[] = [];

  constructor(readonly ensemble: ControlledEnsemble) {
    this.n = ensemble.members.length;
  }

  /** Where channel from -> to's packets wait: `from` a learner of `to` (up), or `to` a learner of `from` (down). */
  private queues(from: number, to: number) {
    return [
      { link: this.ensemble.link(from, to), direction: 'up' as const },
      { link: this.ensemble.link(to, from), direction: 'down' as const },
    ];
  }

  channel(from: number, to: number): string[] {
    return this.queues(from, to).flatMap(({ link, direction }) => link.queue(direction).map(itemKey));
  }

  /** Forwards the head of channel from -> to if it is a `type` message; returns its key, or what is there instead. */
  deliver(from: number, to: number, type: string): { delivered: string } | { head: string | undefined } {
    let head: string | undefined;
    for (const { link, direction } of this.queues(from, to)) {
      const first = link.queue(direction)[0];
      if (first === undefined) continue;
      const key = itemKey(first);
      if (messageType(key) === type) {
        link.deliver(direction);
        return { delivered: key };
      }
      head ??= key;
    }
    return { head };
  }

  async observe(): Promise<Observation> {
    const answers = await Promise.all(
      this.ensemble.members.map(async (m) => (this.ensemble.isRunning(m.index) ? await this.ensemble.projection(m.index) : undefined)),
    );
    const channels: string[][] = [];
    for (let from = 0; from < this.n; from++) for (let to = 0; to < this.n; to++) channels.push(from === to ? [] : this.channel(from, to));
    return {
      projections: answers.map((a) => (a === undefined ? { state: 'DOWN' } : nodeProjection(a.projection))),
      extras: answers.map((a) => a?.extra),
      channels,
    };
  }

  /** A client connects to `index`'s client port: the leader logs and proposes a createSession carrying `value`. */
  async clientWrite(index: number, value: number): Promise<void> {
    const client = await RawClient.open(this.ensemble.member(index).clientPort);
    this.clients.push(client);
    // The answer comes once the txn commits, which may be never in this trace.
    client.handshake({ timeOut: VALUE_BASE_MS + value }).catch(() => {});
  }

  close(): void {
    for (const c of this.clients) c.socket.destroy();
  }
}

/** Writes the spec's initial disk of every server into its data directory (createSession txns, a snapshot, the epochs). */
export async function seedDisks(ensemble: ControlledEnsemble, spec: ZabCluster): Promise<void> {
  for (const [index, server] of spec.servers.entries()) {
    const opened = await Storage.open({ dataDir: ensemble.member(index).dataDir, snapCount: 1_000_000 });
    if (!opened.ok) throw new Error(`seeding s${index}: ${opened.error.message}`);
    const storage = opened.value.storage;
    try {
      const txns = server.disk.log.map((t) => ({ zxid: peerZxid(t.zxid), data: valueTxnBytes(peerZxid(t.zxid), t.value) }));
      for (const t of txns) {
        const appended = await storage.append(t.zxid, t.data);
        if (!appended.ok) throw new Error(`seeding s${index}: ${appended.error.message}`);
      }
      const flushed = await storage.flush();
      if (!flushed.ok) throw new Error(`seeding s${index}: ${flushed.error.message}`);
      if (server.disk.lastSnapshot > 0) {
        const tree = new DataTree();
        for (const t of txns.slice(0, server.disk.lastSnapshot)) {
          const txn = decodeTxn(t.data);
          if (!txn.ok) throw new Error(txn.error);
          tree.applyTxn(txn.value);
        }
        const written = await storage.writeSnapshot(tree.lastProcessedZxid, serializeTree(tree));
        if (!written.ok) throw new Error(`seeding s${index}'s snapshot: ${written.error.message}`);
      }
      for (const name of ['acceptedEpoch', 'currentEpoch'] as const) {
        const written = await storage.writeEpoch(name, BigInt(server.disk[name]));
        if (!written.ok) throw new Error(`seeding s${index}'s ${name}: ${written.error.message}`);
      }
    } finally {
      await storage.close();
    }
  }
}

/** Polls until `ok` holds of an observation (bounded); returns the last observation and whether it held. */
export async function waitFor(world: ProcessWorld, timeoutMs: number, ok: (seen: Observation) => boolean): Promise<{ seen: Observation; held: boolean }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = await world.observe();
    if (ok(seen)) return { seen, held: true };
    if (performance.now() > deadline) return { seen, held: false };
    await sleep(3);
  }
}
