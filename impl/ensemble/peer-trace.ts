// Each member's own account of its Zab steps, for checking against the spec
// afterwards (issue #7: "impl records its own steps, as etcd-io/raft's trace
// logger does"). With ZKSPEC_PEER_TRACE_DIR set, a member appends one JSON
// line per event the peer core stepped to `<dir>/member-<myid>.jsonl`:
// the wall-clock time in microseconds (all members of a loopback test share
// the machine's clock, so merging the files by time puts every send before
// its receive), the run, the event with server ids as zoo.cfg names them, and
// the peer's observable projection after it. Process starts and election
// outcomes are lines too, so a crash and restart shows up as a new `start`.
//
// Lines are buffered (a write per step cost more than the steps) and written
// synchronously every 50 ms, and also before anything of the member's leaves
// the process: the runs call flush() before a quorum connection's bytes go
// out (quorum-connection.ts, at its uncork) and before a disk effect starts
// (a txn appended, an epoch file written, the log truncated, a snapshot
// installed). A write(2) that has returned survives a SIGKILL (the kernel
// holds the page), so no fsync is needed. A SIGKILL then loses only steps
// that nobody, not even the member's own disk, saw: steps in memory, and the
// reports of fsyncs whose writes are already on disk. The recording of a
// crashed member is a prefix of what it did that explains every message the
// others received from it; what the restarted member finds on its disk beyond
// its last LogSynced line is the merge's to account for
// (conformance/recordings/normalize.ts). Off (the default) it costs one branch
// per step and per flush.

import { mkdirSync, openSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { join } from 'node:path';
import type { Peer, PeerEffect, PeerEvent, PeerMessage } from '../quorum/peer/types.ts';
import { hex } from '../../lib/hex.ts';

/** The projection after a step, as the line carries it (zxids in hex). */
export const peerProjectionSchema = z.object({
  role: z.enum(['LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING']),
  /** Absent when LOOKING. */
  phase: z.string().optional(),
  acceptedEpoch: z.number().int(),
  currentEpoch: z.number().int(),
  lastZxid: z.string(),
  lastCommittedZxid: z.string(),
  /** The last zxid the storage reported durable (Peer.syncedZxid): the spec's last zxid on disk. Absent in older recordings. */
  syncedZxid: z.string().optional(),
  /** The zoo.cfg id of the leader a learner follows (own id when leading); absent when LOOKING or in older recordings. */
  leader: z.number().int().optional(),
});
export type PeerProjection = z.infer<typeof peerProjectionSchema>;

/** The stepped event, with server ids as zoo.cfg names them and zxids in hex. */
export const peerTraceEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Receive'), from: z.number().int(), message: z.looseObject({ type: z.string() }) }),
  z.object({ type: z.literal('LogSynced'), zxid: z.string() }),
  z.object({ type: z.literal('LearnerLost'), sid: z.number().int() }),
  z.object({ type: z.literal('ClientRequest') }),
  z.object({ type: z.literal('ConnectToLeader') }),
  z.object({ type: z.literal('LeaderLost') }),
]);
export type PeerTraceEvent = z.infer<typeof peerTraceEventSchema>;

/** One line of member-<myid>.jsonl: the format's one definition, for the writer here and the reader in conformance/recordings/. */
export const peerTraceLineSchema = z.object({
  tUs: z.number(),
  sid: z.number().int(),
  run: z.number().int(),
  kind: z.enum(['start', 'elected', 'step', 'end']),
  event: peerTraceEventSchema.optional(),
  peer: peerProjectionSchema.optional(),
  detail: z.string().optional(),
});
export type PeerTraceLine = z.infer<typeof peerTraceLineSchema>;

/** The effects that change the member's disk: the runs flush the trace before carrying one out (see above). */
export function writesDisk(effect: PeerEffect): boolean {
  switch (effect.type) {
    case 'persistAcceptedEpoch':
    case 'persistCurrentEpoch':
    case 'appendTxns':
    case 'truncateLog':
    case 'installSnapshot':
      return true;
    case 'send':
    case 'deliver':
    case 'goLooking':
      return false;
    default:
      return effect satisfies never;
  }
}


export function projectPeer(peer: Peer, sidOf?: (coreId: number) => number): PeerProjection {
  const last = peer.history.at(-1)?.zxid ?? 0n;
  const committed = peer.lastCommitted > 0 ? peer.history[peer.lastCommitted - 1]!.zxid : 0n;
  const leader = peer.role === 'LEADING' ? peer.id : peer.role === 'LOOKING' ? undefined : peer.leader;
  return {
    role: peer.role,
    phase: peer.role === 'LOOKING' ? undefined : peer.phase,
    acceptedEpoch: peer.acceptedEpoch,
    currentEpoch: peer.currentEpoch,
    lastZxid: hex(last),
    lastCommittedZxid: hex(committed),
    syncedZxid: hex(peer.syncedZxid),
    ...(leader === undefined || sidOf === undefined ? {} : { leader: sidOf(leader) }),
  };
}

function messageJson(message: PeerMessage): Extract<PeerTraceEvent, { type: 'Receive' }>['message'] {
  switch (message.type) {
    case 'PROPOSAL':
    case 'INFORM':
      return { type: message.type, zxid: hex(message.txn.zxid) };
    case 'SNAP':
      return { type: 'SNAP', zxid: hex(message.zxid) };
    case 'ACKEPOCH':
      return { type: 'ACKEPOCH', currentEpoch: message.currentEpoch, lastZxid: hex(message.lastZxid) };
    case 'DIFF':
    case 'TRUNC':
    case 'COMMIT':
    case 'ACK':
      return { type: message.type, zxid: hex(message.zxid) };
    default:
      return message;
  }
}

export class PeerTrace {
  private readonly path: string | undefined;
  /** Opened once for appending: a flush is one write(2), not an open, a write and a close. */
  private readonly fd: number | undefined;
  run = 0;
  /** Flushes that wrote lines, for the cost measurements. */
  writes = 0;

  constructor(
    readonly sid: number,
    dir: string | undefined = process.env['ZKSPEC_PEER_TRACE_DIR'],
  ) {
    if (dir === undefined || dir === '') return;
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `member-${sid}.jsonl`);
    this.fd = openSync(this.path, 'a');
  }

  get enabled(): boolean {
    return this.path !== undefined;
  }

  line(kind: PeerTraceLine['kind'], fields: Omit<PeerTraceLine, 'tUs' | 'sid' | 'run' | 'kind'> = {}): void {
    if (this.path === undefined) return;
    const tUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
    this.buffer.push(JSON.stringify({ tUs, sid: this.sid, run: this.run, kind, ...fields }));
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, 50);
      this.timer.unref();
    }
  }

  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  /**
   * Writes the buffered lines, synchronously: every 50 ms, at a clean exit,
   * and before any byte of the member's leaves the process (see above).
   */
  flush(): void {
    if (this.fd === undefined || this.buffer.length === 0) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const text = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    this.writes++;
    const bytes = Buffer.from(text);
    // writeSync may write less than asked (a full disk, a signal): the rest is written, or the process fails loudly.
    for (let at = 0; at < bytes.byteLength; ) at += writeSync(this.fd, bytes, at);
  }

  /** One stepped event, with ids mapped back to zoo.cfg's server ids. */
  step(event: PeerEvent, after: Peer, sidOf: (coreId: number) => number): void {
    if (this.path === undefined) return;
    let json: PeerTraceEvent;
    switch (event.type) {
      case 'Receive':
        json = { type: 'Receive', from: sidOf(event.from), message: messageJson(event.message) };
        break;
      case 'LogSynced':
        json = { type: 'LogSynced', zxid: hex(event.zxid) };
        break;
      case 'LearnerLost':
        json = { type: 'LearnerLost', sid: sidOf(event.sid) };
        break;
      case 'ClientRequest':
        json = { type: 'ClientRequest' };
        break;
      case 'ConnectToLeader':
      case 'LeaderLost':
        json = { type: event.type };
        break;
      default:
        json = event satisfies never;
    }
    this.line('step', { event: json, peer: projectPeer(after, sidOf) });
  }
}
