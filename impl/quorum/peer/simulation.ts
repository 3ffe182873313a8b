// A deterministic in-memory ensemble for the peer core: 3 voters (ids 0..2)
// and optionally one observer (id 3), FIFO channels per ordered pair (TCP),
// random choice among channels, disks with a queue that only the world's fsync
// empties, crashes that lose memory and the queue, and eras: at the start of
// each era every server restarts from disk and the caller's oracle elects a
// leader, as spec/zab's oracle does (Zab.tla: a quorum Q, a leader whose
// (currentEpoch, last zxid) is at least every member's); an era ends with a
// crash of everyone or of the leader alone. Everything random
// comes from one seeded PRNG, so a seed replays a run.
//
// Checked as the run goes (each failure is a string naming the era and step):
// - PrefixConsistency: every txn delivered anywhere is the txn at that index
//   of the one committed sequence, and every leader's deliveries extend it;
// - an ACK leaves a follower only for a proposal on its disk, ACKEPOCH only
//   with acceptedEpoch on disk, the ACK of NEWLEADER only with currentEpoch and
//   the whole synced log on disk;
// - DIFF goes only to a learner whose log is a prefix of the leader's, TRUNC
//   only to one that has entries past the truncation point and agrees up to it;
// - at the end (after a drain with no faults) every synced learner's log starts
//   with everything committed, in the same order.
//
// With `record` the run is also recorded as a conformance trace (recording.ts)
// for conformance/validate.ts to judge against spec/zab. The world then takes
// only steps spec/zab's world can take, so that a rejection is the core's: a
// group commit makes the whole queue durable (DiskSync), the oracle's quorum
// connects in the election step (ElectLeader), an era starts with one crash
// and one restart per server (NodeCrash, NodeStart) instead of a reset, a
// LOOKING learner rejoins through a crash and restart (the simulation restarts
// it from disk), and a leader that gives up closes its learners' connections
// (LeaderShutdown). Without `record` the run is unchanged.

import { seededRandom } from '../../../lib/random.ts';
import { assert } from '../../../lib/assert.ts';
import type { Transition } from '../../../spec/common/transition.ts';
import { startLeading } from './leader.ts';
import { startFollowing } from './learner.ts';
import { indexOfZxid, lastZxid, zxidAt } from './history.ts';
import { PeerRecorder, type LookingMemory, type ServerView } from './recording.ts';
import { takeRunnerSnapshot } from './world.ts';
import { step } from './step.ts';
import type { Peer, PeerConfig, PeerDisk, PeerEffect, PeerEvent, PeerMessage, PeerTxn, SyncMode } from './types.ts';
import { hex } from '../../../lib/hex.ts';

export interface SimulationOptions {
  readonly seed: number;
  readonly observer: boolean;
  readonly eras: number;
  readonly stepsPerEra: number;
  readonly committedLogCountMax: number;
  /** A broken world that reports fsync as soon as txns are queued (no disk write): the checks must catch it. */
  readonly lyingFsync?: boolean;
  /** The reducer under test (the core's step unless a test injects a known-bug variant). */
  readonly step?: (peer: Peer, event: PeerEvent) => Transition<Peer, PeerEffect>;
  /** Record the run as a conformance trace (SimulationResult.recording); see the header for what it changes. */
  readonly record?: boolean;
}


export interface SimulationResult {
  readonly violations: readonly string[];
  readonly committed: number;
  /** Sync messages the leader sent to learners, by mode. */
  readonly syncModes: Readonly<Record<Exclude<SyncMode, 'NONE'>, number>>;
  /** The same, only for learners that crashed and restarted within an era (not at an era's start). */
  readonly restartSyncModes: Readonly<Record<Exclude<SyncMode, 'NONE'>, number>>;
  readonly crashes: number;
  /** Learners whose connection broke (LeaderLost) without a crash. */
  readonly connectionBreaks: number;
  /** Why learners went back to LOOKING during an era (none expected). */
  readonly learnerLooking: readonly string[];
  /** Why leaders gave up (a learner more recent than the oracle's pick: a new era follows). */
  readonly leaderLooking: readonly string[];
  /** With `record`: the run as a conformance trace (conformance/trace.ts's format, source "impl"). */
  readonly recording?: unknown;
}

interface Server {
  disk: PeerDisk;
  /** appendTxns queued, not durable. */
  pending: PeerTxn[];
  peer: Peer | undefined;
  /** How many committed txns this server's data tree holds. */
  deliveredCount: number;
  /** With `record`: the memory of a server between two runs of its core (LOOKING), undefined when down or running. */
  looking?: LookingMemory;
  /** With `record`: the last zxid in this server's data tree (what its deliver and installSnapshot effects built). */
  appliedZxid?: bigint;
}

const VOTERS = 3;
const sameTxn = (a: PeerTxn, b: PeerTxn) => a.zxid === b.zxid && a.data.length === b.data.length && a.data.every((x, i) => x === b.data[i]);

export function runSimulation(options: SimulationOptions): SimulationResult {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const config: PeerConfig = { voters: VOTERS, committedLogCountMax: options.committedLogCountMax };
  const serverCount = VOTERS + (options.observer ? 1 : 0);
  const servers: Server[] = Array.from({ length: serverCount }, () => ({
    disk: { acceptedEpoch: 0, currentEpoch: 0, log: [], snapshotCount: 0 },
    pending: [],
    peer: undefined,
    deliveredCount: 0,
  }));
  const channels = new Map<string, PeerMessage[]>();
  const committed: PeerTxn[] = [];
  const violations: string[] = [];
  const learnerLooking: string[] = [];
  const leaderLooking: string[] = [];
  const syncModes = { DIFF: 0, TRUNC: 0, SNAP: 0 };
  const restartSyncModes = { DIFF: 0, TRUNC: 0, SNAP: 0 };
  /** Learners restarted within the current era. */
  const restartedInEra = new Set<number>();
  let crashes = 0;
  let connectionBreaks = 0;
  /** Set while the world itself breaks a learner's connection: its going back to LOOKING is expected. */
  let expectedLooking = false;
  let era = 0;
  let stepIndex = 0;
  let nextValue = 1;
  let leaderId = -1;
  const viewOf = (id: number): ServerView => {
    const server = servers[id]!;
    const appliedZxid = server.appliedZxid ?? 0n;
    if (server.peer !== undefined) return { status: 'core', disk: server.disk, peer: server.peer, appliedZxid };
    if (server.looking !== undefined) return { status: 'looking', disk: server.disk, memory: server.looking, appliedZxid };
    return { status: 'down', disk: server.disk };
  };
  const recorder = options.record === true ? new PeerRecorder(viewOf, serverCount) : undefined;
  const reducer = recorder !== undefined ? recorder.wrap(options.step ?? step) : (options.step ?? step);
  const fromDisk = (disk: PeerDisk): LookingMemory => ({
    acceptedEpoch: disk.acceptedEpoch,
    currentEpoch: disk.currentEpoch,
    history: disk.log,
    lastCommitted: Math.min(disk.snapshotCount, disk.log.length),
  });
  const where = () => `seed ${options.seed} era ${era} step ${stepIndex}`;
  const violate = (what: string) => {
    if (violations.length < 20) violations.push(`${where()}: ${what}`);
  };

  const channel = (from: number, to: number) => {
    const key = `${from}>${to}`;
    let queue = channels.get(key);
    if (queue === undefined) channels.set(key, (queue = []));
    return queue;
  };
  const clearChannelsOf = (id: number) => {
    for (const [key, queue] of channels) {
      const [from, to] = key.split('>').map(Number);
      if (from === id || to === id) queue.length = 0;
    }
  };

  function checkDelivered(id: number, txn: PeerTxn): void {
    const server = servers[id]!;
    const index = server.deliveredCount;
    const known = committed[index];
    if (known === undefined) {
      if (id === leaderId && index === committed.length) committed.push(txn);
      else violate(`server ${id} delivered ${hex(txn.zxid)} at index ${index}, beyond the ${committed.length} committed`);
    } else if (!sameTxn(known, txn)) {
      violate(`server ${id} delivered ${hex(txn.zxid)} at index ${index} where ${hex(known.zxid)} was committed`);
    }
    server.deliveredCount = index + 1;
  }

  function checkSend(id: number, peer: Peer, to: number, message: PeerMessage): void {
    const disk = servers[id]!.disk;
    const onDisk = (zxid: bigint) => indexOfZxid(disk.log, zxid) >= 0;
    switch (message.type) {
      case 'ACK':
        if (!onDisk(message.zxid)) violate(`server ${id} acked ${hex(message.zxid)}, which is not on its disk`);
        break;
      case 'ACKEPOCH':
        if (disk.acceptedEpoch !== peer.acceptedEpoch) violate(`server ${id} sent ACKEPOCH with acceptedEpoch ${disk.acceptedEpoch} on disk, ${peer.acceptedEpoch} in memory`);
        break;
      case 'ACKLD': {
        if (disk.currentEpoch !== message.epoch) violate(`server ${id} acked NEWLEADER ${message.epoch} with currentEpoch ${disk.currentEpoch} on disk`);
        const missing = peer.history.find((t) => !onDisk(t.zxid));
        if (missing !== undefined) violate(`server ${id} acked NEWLEADER before ${hex(missing.zxid)} was on its disk`);
        // Whatever the sync mode, the learner now holds a prefix of the leader's history.
        const leaderHistory = servers[leaderId]!.peer?.history ?? [];
        const differs = peer.history.findIndex((t, i) => leaderHistory[i] === undefined || !sameTxn(t, leaderHistory[i]!));
        if (differs >= 0) violate(`server ${id} acked NEWLEADER with a log that leaves the leader's at index ${differs}`);
        break;
      }
      case 'DIFF':
      case 'TRUNC':
      case 'SNAP': {
        syncModes[message.type]++;
        if (restartedInEra.has(to)) restartSyncModes[message.type]++;
        const learner = servers[to]!.peer;
        if (id !== leaderId || learner === undefined || learner.role === 'LOOKING' || learner.role === 'LEADING') break;
        const leaderHistory = peer.history;
        if (message.type === 'SNAP') {
          // SNAP only when no DIFF could do: the learner's last zxid is not in the leader's log, or older than its committedLog.
          const learnerLast = lastZxid(learner.history);
          const leaderPeer = servers[leaderId]!.peer;
          const committedCount = leaderPeer?.role === 'LEADING' && leaderPeer.phase === 'BROADCAST' ? leaderPeer.lastCommitted : leaderHistory.length;
          const windowStart = Math.max(0, committedCount - options.committedLogCountMax);
          const at = indexOfZxid(leaderHistory, learnerLast);
          if (at > windowStart && at <= committedCount) violate(`SNAP to server ${to}, whose last zxid ${hex(learnerLast)} is in the committedLog`);
          break;
        }
        const point = indexOfZxid(learner.history, message.zxid);
        if (point < 0) {
          violate(`${message.type} ${hex(message.zxid)} to server ${to}, whose log does not hold it`);
          break;
        }
        for (let i = 0; i < point; i++) {
          if (!sameTxn(learner.history[i]!, leaderHistory[i]!)) {
            violate(`${message.type} ${hex(message.zxid)} to server ${to}, whose log differs from the leader's at index ${i}`);
            break;
          }
        }
        if (message.type === 'DIFF' && point !== learner.history.length) violate(`DIFF ${hex(message.zxid)} to server ${to}, which has entries after it`);
        if (message.type === 'TRUNC' && point === learner.history.length) violate(`TRUNC ${hex(message.zxid)} to server ${to}, which has nothing to cut`);
        break;
      }
      default:
        break;
    }
  }

  function apply(id: number, before: Peer, event: PeerEvent): void {
    const server = servers[id]!;
    const { state, effects } = reducer(before, event);
    if (recorder !== undefined && state.role === 'LOOKING' && before.role !== 'LOOKING') {
      // Between runs the server keeps its memory; a learner whose SNAP never reached the disk rereads it.
      const snap = (before.role === 'FOLLOWING' || before.role === 'OBSERVING') && before.pendingSnapshot !== undefined;
      server.looking = snap ? fromDisk(server.disk) : { acceptedEpoch: state.acceptedEpoch, currentEpoch: state.currentEpoch, history: state.history, lastCommitted: state.lastCommitted };
      if (snap) server.appliedZxid = zxidAt(server.disk.log, server.looking.lastCommitted);
    }
    server.peer = state;
    for (const effect of effects) applyEffect(id, state, effect);
    if (recorder !== undefined) server.disk = takeRunnerSnapshot(before, state, server.disk);
  }

  function applyEffect(id: number, peer: Peer, effect: PeerEffect): void {
    const server = servers[id]!;
    switch (effect.type) {
      case 'persistAcceptedEpoch':
        server.disk = { ...server.disk, acceptedEpoch: effect.epoch };
        return;
      case 'persistCurrentEpoch': {
        server.disk = { ...server.disk, currentEpoch: effect.epoch };
        // ZOOKEEPER-4643: a learner's new currentEpoch must never be on disk with a log that lacks the synced history.
        if (peer.role === 'FOLLOWING' || peer.role === 'OBSERVING') {
          const missing = peer.history.find((t) => indexOfZxid(server.disk.log, t.zxid) < 0);
          if (missing !== undefined) violate(`server ${id} wrote currentEpoch ${effect.epoch} before ${hex(missing.zxid)} was on its disk`);
        }
        return;
      }
      case 'appendTxns':
        server.pending.push(...effect.txns);
        if (options.lyingFsync === true && server.peer !== undefined) apply(id, server.peer, { type: 'LogSynced', zxid: lastZxid(effect.txns) });
        return;
      case 'truncateLog': {
        const index = indexOfZxid(server.disk.log, effect.zxid);
        assert(index >= 0, () => `${where()}: truncate to ${hex(effect.zxid)} not on server ${id}'s disk`);
        server.disk = { ...server.disk, log: server.disk.log.slice(0, index), snapshotCount: Math.min(server.disk.snapshotCount, index) };
        server.pending = server.pending.filter((t) => t.zxid <= effect.zxid);
        return;
      }
      case 'installSnapshot':
        // Before its NEWLEADER quorum a new leader's whole history counts as committed (syncFollower): the
        // snapshot must agree with what was committed and, past it, with the leader's history.
        for (let i = 0; i < effect.txns.length; i++) {
          const expected = committed[i] ?? servers[leaderId]!.peer?.history[i];
          if (expected === undefined || !sameTxn(expected, effect.txns[i]!)) {
            violate(`server ${id} installed a snapshot whose entry ${i} (${hex(effect.txns[i]!.zxid)}) is neither committed nor the leader's`);
            break;
          }
        }
        server.disk = { ...server.disk, log: effect.txns, snapshotCount: effect.txns.length };
        server.pending = [];
        server.deliveredCount = effect.txns.length;
        if (recorder !== undefined) server.appliedZxid = lastZxid(effect.txns);
        return;
      case 'send':
        checkSend(id, peer, effect.to, effect.message);
        if (servers[effect.to]?.peer !== undefined) channel(id, effect.to).push(effect.message);
        return;
      case 'deliver':
        checkDelivered(id, effect.txn);
        if (recorder !== undefined) server.appliedZxid = effect.txn.zxid;
        return;
      case 'goLooking':
        if (id === leaderId) {
          leaderLooking.push(`${where()}: leader ${id}: ${effect.reason}`);
          if (recorder !== undefined) leaderShutdown(id);
        } else {
          if (!expectedLooking) learnerLooking.push(`${where()}: server ${id}: ${effect.reason}`);
          // Going back to LOOKING flushes the log (the SyncRequestProcessor's shutdown); the server rejoins later.
          crash(id, true);
        }
        return;
      default:
        effect satisfies never;
    }
  }

  /** With `record`: LeaderShutdown flushes the leader's queue and closes every learner's connection (they go LOOKING, flushing). */
  function leaderShutdown(leader: number): void {
    const server = servers[leader]!;
    server.disk = { ...server.disk, log: [...server.disk.log, ...server.pending] };
    server.pending = [];
    const wasExpected = expectedLooking;
    expectedLooking = true;
    servers.forEach((server, k) => {
      const p = server.peer;
      if (k !== leader && p !== undefined && (p.role === 'FOLLOWING' || p.role === 'OBSERVING') && p.connected && p.leader === leader) apply(k, p, { type: 'LeaderLost' });
    });
    expectedLooking = wasExpected;
  }

  function crash(id: number, flush: boolean): void {
    const server = servers[id]!;
    if (!flush) server.looking = undefined;
    if (flush) server.disk = { ...server.disk, log: [...server.disk.log, ...server.pending] };
    server.pending = [];
    server.peer = undefined;
    clearChannelsOf(id);
    const leader = servers[leaderId]?.peer;
    if (id !== leaderId && leader !== undefined) apply(leaderId, leader, { type: 'LearnerLost', sid: id });
  }

  function fsync(id: number): void {
    const server = servers[id]!;
    if (server.pending.length === 0 || server.peer === undefined) return;
    // The group commit makes a prefix of the queue durable.
    const count = recorder !== undefined ? server.pending.length : 1 + Math.floor(random() * server.pending.length);
    const durable = server.pending.slice(0, count);
    server.pending = server.pending.slice(count);
    server.disk = { ...server.disk, log: [...server.disk.log, ...durable] };
    apply(id, server.peer, { type: 'LogSynced', zxid: lastZxid(durable) });
  }

  function restart(id: number): void {
    const server = servers[id]!;
    server.looking = undefined;
    server.deliveredCount = Math.min(server.disk.snapshotCount, server.disk.log.length);
    if (recorder !== undefined) server.appliedZxid = zxidAt(server.disk.log, server.deliveredCount);
    server.pending = [];
    server.peer = id === leaderId ? startLeading(id, config, server.disk) : startFollowing(id, config, server.disk, leaderId);
  }

  /** The oracle: a random quorum of voters elects its member with the best (currentEpoch, last zxid). */
  function elect(): { leader: number; quorum: number[] } {
    const ids = [0, 1, 2];
    const excluded = pick(ids);
    const quorum = ids.filter((i) => i !== excluded || random() < 0.5);
    const vote = (i: number) => ({ epoch: servers[i]!.disk.currentEpoch, zxid: lastZxid(servers[i]!.disk.log) });
    const leader = quorum.reduce((best, i) => {
      const a = vote(i);
      const b = vote(best);
      return a.epoch > b.epoch || (a.epoch === b.epoch && a.zxid > b.zxid) ? i : best;
    });
    return { leader, quorum };
  }

  function randomStep(faults: boolean): boolean {
    const actions: (() => void)[] = [];
    for (const [key, queue] of channels) {
      if (queue.length === 0) continue;
      const [from, to] = key.split('>').map(Number) as [number, number];
      actions.push(() => {
        const message = queue.shift()!;
        const peer = servers[to]!.peer;
        if (peer !== undefined) apply(to, peer, { type: 'Receive', from, message });
        // Recording: the runner blocks on the fsync NEWLEADER waits for (Learner.syncWithLeader's syncFlush), as
        // spec/zab's FollowerProcessNEWLEADER does in one action.
        const after = servers[to]!.peer;
        if (recorder !== undefined && message.type === 'NEWLEADER' && (after?.role === 'FOLLOWING' || after?.role === 'OBSERVING') && after.newLeaderAckAfter !== undefined) fsync(to);
      });
    }
    servers.forEach((server, id) => {
      if (server.pending.length > 0 && server.peer !== undefined) actions.push(() => fsync(id));
      const peer = server.peer;
      if (peer !== undefined && (peer.role === 'FOLLOWING' || peer.role === 'OBSERVING') && !peer.connected) {
        actions.push(() => apply(id, peer, { type: 'ConnectToLeader' }));
      }
      if (server.peer === undefined && id !== leaderId) {
        actions.push(() => {
          restartedInEra.add(id);
          if (recorder !== undefined) {
            // A LOOKING server comes back from disk: to spec/zab that is a crash and a restart.
            if (server.looking !== undefined) {
              recorder.note(`NodeCrash(s${id})`);
              server.looking = undefined;
              recorder.commit();
            }
            recorder.note(`NodeStart(s${id})`);
          }
          restart(id);
        });
      }
    });
    const leader = servers[leaderId]!.peer;
    if (faults && leader?.role === 'LEADING' && leader.phase === 'BROADCAST' && random() < 0.3) {
      actions.push(() => apply(leaderId, leader, { type: 'ClientRequest', data: new Uint8Array([nextValue++ & 0xff, era]) }));
    }
    // Crash one learner at a time, so the leader keeps its quorum.
    const down = servers.filter((s, id) => s.peer === undefined && id < VOTERS).length;
    if (faults && down === 0 && random() < 0.02) {
      const victims = servers.map((_, id) => id).filter((id) => id !== leaderId);
      actions.push(() => {
        crashes++;
        const victim = pick(victims);
        recorder?.note(`NodeCrash(s${victim})`);
        crash(victim, false);
      });
    }
    // A learner's connection breaks without a crash: it goes back to LOOKING (its log flushed) and rejoins.
    if (faults && down === 0 && random() < 0.01) {
      const learners = servers.map((_, id) => id).filter((id) => id !== leaderId && servers[id]!.peer !== undefined);
      if (learners.length > 0) {
        actions.push(() => {
          const id = pick(learners);
          connectionBreaks++;
          expectedLooking = true;
          apply(id, servers[id]!.peer!, { type: 'LeaderLost' });
          expectedLooking = false;
        });
      }
    }
    if (actions.length === 0) return false;
    pick(actions)();
    recorder?.commit();
    return true;
  }

  /** With `record`: the era boundary as spec/zab's steps: a crash and a restart per server, then the oracle's election. */
  function recordedEraStart(leaderCrashOnly: boolean): void {
    const rec = recorder!;
    if (era > 1) {
      const order = leaderCrashOnly ? [leaderId, ...servers.map((_, id) => id).filter((id) => id !== leaderId)] : servers.map((_, id) => id);
      for (const id of order) {
        const server = servers[id]!;
        if (server.peer === undefined && server.looking === undefined) continue;
        rec.note(`NodeCrash(s${id})`);
        crash(id, false);
        if (id === leaderId) leaderShutdown(id);
        rec.commit();
      }
    }
    channels.clear();
    restartedInEra.clear();
    // (In era 1 every server is up and LOOKING already: the recording's initial state.)
    if (era > 1) {
      servers.forEach((server, id) => {
        rec.note(`NodeStart(s${id})`);
        server.pending = [];
        server.peer = undefined;
        server.looking = fromDisk(server.disk);
        server.appliedZxid = zxidAt(server.disk.log, server.looking.lastCommitted);
        rec.commit();
      });
    }
    const { leader, quorum } = elect();
    leaderId = leader;
    rec.note(`ElectLeader(s${leader}, {${quorum.map((m) => `s${m}`).join(', ')}})`);
    for (let id = 0; id < serverCount; id++) restart(id);
    for (const m of quorum) if (m !== leader) apply(m, servers[m]!.peer!, { type: 'ConnectToLeader' });
    rec.commit();
  }

  // A leader that gives up (a learner outside the oracle's quorum is more recent) makes the world elect again;
  // the final era is retried up to eraRetriesMax times so that the run ends with a drained, established leader.
  const eraRetriesMax = 8;
  if (recorder !== undefined) {
    // spec/zab's initial state: every server up, LOOKING, with an empty disk.
    servers.forEach((server) => {
      server.looking = fromDisk(server.disk);
      server.appliedZxid = 0n;
    });
    recorder.commit();
  }
  for (era = 1; era <= options.eras + eraRetriesMax; era++) {
    // Era boundary: either everyone crashes (memory and fsync queues lost), or only the leader does and
    // the learners see LeaderLost and go back to LOOKING, flushing their queues; all restart from disk.
    const leaderCrashOnly = random() < 0.5;
    if (recorder !== undefined) recordedEraStart(leaderCrashOnly);
    else {
      for (let id = 0; id < serverCount; id++) {
        const server = servers[id]!;
        if (leaderCrashOnly && id !== leaderId && server.peer !== undefined) server.disk = { ...server.disk, log: [...server.disk.log, ...server.pending] };
        server.pending = [];
        server.peer = undefined;
      }
      channels.clear();
      restartedInEra.clear();
      leaderId = elect().leader;
      for (let id = 0; id < serverCount; id++) restart(id);
    }
    const last = era >= options.eras;
    for (stepIndex = 0; stepIndex < options.stepsPerEra; stepIndex++) {
      if (servers[leaderId]!.peer?.role !== 'LEADING') break;
      randomStep(true);
    }
    if (!last) continue;
    // Drain: no more requests or crashes; every server comes back and everything in flight lands.
    // (Recording: a leader that gave up ends the drain, as spec/zab's FollowLeader needs a leader.)
    for (let drained = 0; drained < 20_000 && !(recorder !== undefined && servers[leaderId]!.peer?.role !== 'LEADING') && randomStep(false); drained++) stepIndex++;
    const leader = servers[leaderId]!.peer;
    if (leader?.role === 'LOOKING' && era < options.eras + eraRetriesMax) continue;
    if (leader?.role !== 'LEADING' || leader.phase !== 'BROADCAST') {
      violate(`after the drain the leader ${leaderId} is ${leader?.role ?? 'down'}`);
      break;
    }
    if (leader.lastCommitted !== leader.history.length) violate(`after the drain the leader committed ${leader.lastCommitted} of ${leader.history.length}`);
    servers.forEach((server, id) => {
      const peer = server.peer;
      if (peer === undefined || peer.role === 'LOOKING') return violate(`after the drain server ${id} is not running`);
      if (peer.role !== 'LEADING' && peer.phase !== 'BROADCAST') return violate(`after the drain server ${id} is in ${peer.phase}`);
      // PrefixConsistency: everything committed is in every synced server's log, in the same order.
      for (let i = 0; i < committed.length; i++) {
        const mine = peer.history[i];
        if (mine === undefined || !sameTxn(mine, committed[i]!)) return violate(`server ${id}'s log differs from the committed sequence at index ${i}`);
      }
      if (server.deliveredCount !== committed.length) violate(`server ${id} delivered ${server.deliveredCount} of ${committed.length} committed`);
    });
    break;
  }
  const result = { violations, committed: committed.length, syncModes, restartSyncModes, crashes, connectionBreaks, learnerLooking, leaderLooking };
  if (recorder === undefined) return result;
  const big = 1_000_000;
  const bounds = { servers: VOTERS, observers: serverCount - VOTERS, maxEpoch: big, maxTransactions: big, maxCrashes: big, maxPartitions: 0, maxTimeouts: big, maxMessageLosses: 0, maxMessagesInFlight: big, fle: false, initialLogs: 0 };
  return { ...result, recording: recorder.trace(bounds, `impl/quorum/peer simulation, seed ${options.seed}, ${options.eras} eras of ${options.stepsPerEra} steps${options.observer ? ', with an observer' : ''}`) };
}
