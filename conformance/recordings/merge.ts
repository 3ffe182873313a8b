// The members' lines (each already in spec/zab's terms, normalize.ts) merged
// by time into one ITF trace in the ZAB adapter's projection, one recorded
// state per spec step: all members of a loopback ensemble share the machine's
// clock, and a send is recorded before its receive.
//
// The spec takes some things as one atomic action that a real ensemble does
// in several steps on several members, each at its own time; the merge puts
// them back together, and says so in its notes:
//
// - Elections. spec/zab's oracle stands for Fast Leader Election: ElectLeader
//   (leader, quorum) makes the leader LEADING and a quorum of followers
//   FOLLOWING and connected in one step, FollowLeader one more follower. A
//   member elected leader therefore stays LOOKING in the recording until
//   enough of its followers have connected (ConnectToLeader lines) to make a
//   quorum; a follower that connects later is FollowLeader. A connection
//   attempt before the leader was elected (refused, retried) counts once the
//   leader is.
// - Crashes. A `start` line after a member's first is a SIGKILL and restart;
//   the kill itself left no line. It is placed where the others noticed it:
//   before the first line of a follower losing it as leader (LeaderLost) or of
//   a leader losing it as learner (LearnerLost), else before the restart. As
//   in spec/zab's NodeCrash, its followers go LOOKING in the same step; a line
//   of theirs from the dead leader's run after that point (a flush, their own
//   LeaderLost) changes nothing more; any other is reported (`stray`).
// - Lost connections. A follower's LeaderLost is spec/zab's Timeout of that
//   follower (the leader forgets it in the same step: its own LearnerLost line
//   changes nothing visible). A leader whose run ends takes its followers to
//   LOOKING with it (LeaderShutdown).
// - The data tree between runs. The ensemble rebuilds a member's data tree
//   from its snapshot at every run (impl/ensemble/learner-run.ts), so a new
//   run's core starts with an older last committed zxid; ZooKeeper, and
//   spec/zab, keep the database across elections (ZooKeeperServer.shutdown
//   with fullyShutDown false). Within one process the recording carries the
//   last committed zxid over until the new run's core has caught up with it.
// - The disk. A LOOKING member shows `loggedZxid` equal to its last zxid:
//   spec/zab flushes a server's queued writes when it leaves FOLLOWING or
//   LEADING.
// - Lines lost with a SIGKILL. Recordings made before peer-trace.ts flushed
//   ahead of every byte leaving the process lost up to 50 ms: a message the
//   member sent then is received by others with no record of the sending. The
//   merge reports that evidence (`lostLines`); the killed member shows staler
//   than it was until its crash, which hidden steps cannot repair, so such a
//   recording is rejected after its last line.
//
// Zxids are ZooKeeper's 64-bit epoch << 32 | counter, as the adapter writes
// them. Values: spec/zab's transactions carry the client request number; the
// projection has none, so the recording needs no mapping of values.

import { MESSAGE_ACTIONS } from '../../spec/zab/format.ts';
import { itfInteger, makeTrace, type NodeProjection, type Trace } from '../trace.ts';
import { big, type MemberLine, type MemberPeer, type Members } from './member-files.ts';
import { normalizeMembers } from './normalize.ts';

/** What the merge did beyond copying lines, for the verdict. */
export interface MergeNotes {
  readonly lines: number;
  readonly crashes: number;
  readonly elections: number;
  readonly timeouts: number;
  readonly transactions: number;
  /** LogSynced lines put in spec terms: bursts joined (a partial report is a DiskSync of a prefix, judged as made). */
  readonly syncsMoved: number;
  /** NEWLEADER lines joined with the fsyncs they wait for (coalesceNewLeader). */
  readonly newLeadersCoalesced: number;
  /** Fsync reports a SIGKILL lost, added where the restart found their zxids on disk (syncsLostWithKill). */
  readonly syncsLostAtKill: number;
  /**
   * Per crash, the messages others received from the killed member after its last recorded line: its
   * last lines were lost with the SIGKILL (peer-trace.ts buffers 50 ms), so the recording shows it
   * staler than it was, and a rejection after its last line may be that and not the protocol.
   */
  readonly lostLines: readonly string[];
  /** Lines of a member after the merge had already ended its run (a dead leader's follower): each one named. */
  readonly stray: readonly string[];
}

export interface Merged {
  readonly trace: Trace;
  readonly notes: MergeNotes;
}

type Visible = NodeProjection;

interface Track {
  /** The process incarnation's disk and memory, as far as the lines tell. */
  acceptedEpoch: number;
  currentEpoch: number;
  lastZxid: bigint;
  /** The data tree's last zxid as spec/zab sees it (carried across runs of one process). */
  carriedCommitted: bigint;
  visible: Visible;
  down: boolean;
  /** The run the member is in (its `elected` line), and as what. */
  run: number;
  runRole: 'LEADING' | 'FOLLOWING' | 'OBSERVING' | undefined;
  runLeader: number;
  /** LEADING but not yet shown (waiting for a quorum of followers). */
  leaderPending: boolean;
  /** A learner's projection at its ConnectToLeader while its leader is not shown yet. */
  pendingConnect: Visible | undefined;
  /** The merge ended this run already (its leader died or left): later lines of it change nothing. */
  endedRun: number | undefined;
}

const LOOKING_FIELDS = { state: 'LOOKING', zabState: 'ELECTION' } as const;

/** A member's SIGKILL, placed at the time the others noticed it (placeCrashes). */
type Crash = { readonly crash: number; readonly tUs: number; readonly order: number };

type Item = { readonly line: MemberLine; readonly order: number } | Crash;

type MergedState = { 'mbt::actionTaken': string; 'mbt::nondetPicks': Record<string, never>; nodes: NodeProjection[] };

/**
 * Merges the members' lines into one recording. Member ids (zoo.cfg's) are
 * numbered 0.. in ascending order as spec/zab's servers (s0 is the smallest id).
 */
export function mergeMembers(recorded: Members, description = 'a recorded ensemble run'): Merged {
  const { members, syncsMoved, newLeadersCoalesced, syncsLostAtKill } = normalizeMembers(recorded);
  const sids = [...members.keys()].sort((a, b) => a - b);
  const { crashes, lostLines } = placeCrashes(members, sids);
  const merge = new Merge(members, sids);
  for (const item of inTimeOrder(members, sids, crashes)) merge.take(item);
  const trace = makeTrace({ source: 'impl', spec: 'zab', preset: null, bounds: merge.bounds(crashes.length), mutant: null, seed: null, description }, merge.states);
  const notes: MergeNotes = {
    lines: [...recorded.values()].reduce((sum, l) => sum + l.length, 0),
    crashes: crashes.length,
    elections: merge.elections,
    timeouts: merge.timeouts,
    transactions: merge.zxids.size,
    syncsMoved,
    newLeadersCoalesced,
    syncsLostAtKill,
    lostLines,
    stray: merge.stray,
  };
  return { trace, notes };
}

/** Every line of every member and every crash, by time; at equal times a crash first, then the members' lines in member order. */
function inTimeOrder(members: Members, sids: readonly number[], crashes: readonly Crash[]): Item[] {
  const items: Item[] = [];
  let order = 0;
  for (const sid of sids) for (const line of members.get(sid)!) items.push({ line, order: order++ });
  items.push(...crashes);
  const timeOf = (item: Item) => ('line' in item ? item.line.tUs : item.tUs);
  items.sort((a, b) => timeOf(a) - timeOf(b) || a.order - b.order);
  return items;
}

/**
 * Crashes: a start after the first. Placed where the others first noticed the
 * member gone; with, per crash, the evidence of lines lost with the kill.
 * Kills nobody noticed before the restarts (every member killed at once) are
 * placed together just after the last of their members' last lines, in an
 * order spec/zab can take (placeUnnoticedTogether).
 */
function placeCrashes(members: Members, sids: readonly number[]): { crashes: Crash[]; lostLines: string[] } {
  const crashes: Crash[] = [];
  const lostLines: string[] = [];
  const unnoticed: Unnoticed[] = [];
  for (const sid of sids) {
    const lines = members.get(sid)!;
    for (let k = 1; k < lines.length; k++) {
      if (lines[k]!.kind !== 'start') continue;
      const lastT = lines[k - 1]!.tUs;
      const restartT = lines[k]!.tUs;
      const at = noticedGoneAt(members, sids, sid, lastT, restartT);
      const crash = { crash: sid, tUs: at, order: -1 };
      crashes.push(crash);
      const last = lines[k - 1]!.peer;
      if (at === restartT) unnoticed.push({ crash, lastT, restartT, leading: last?.role === 'LEADING', durable: last === undefined || last.syncedZxid === last.lastZxid });
    }
  }
  const placed = placeUnnoticedTogether(unnoticed);
  for (let c = 0; c < crashes.length; c++) {
    const crash = placed.get(crashes[c]!) ?? crashes[c]!;
    crashes[c] = crash;
    const lines = members.get(crash.crash)!;
    const k = lines.findIndex((l, i) => i > 0 && l.kind === 'start' && l.tUs >= crash.tUs);
    const lost = linesLostWithKill(members, sids, crash.crash, lines.slice(0, k < 0 ? lines.length : k), crash.tUs);
    if (lost !== undefined) lostLines.push(lost);
  }
  return { crashes, lostLines };
}

/** A kill nobody noticed: its member's last line's time, its restart's, and what its last line showed. */
type Unnoticed = { readonly crash: Crash; readonly lastT: number; readonly restartT: number; readonly leading: boolean; readonly durable: boolean };

/**
 * Unnoticed kills whose windows overlap (each between its member's last line and its restart) are one
 * simultaneous kill: all of them at a moment after every one of their last lines and before any of
 * their restarts, in the order spec/zab can take. A leader's crash takes its followers to LOOKING,
 * which flushes their queues; a leader left without a quorum goes LOOKING too. So the followers whose
 * last line shows writes not yet durable crash first, then the leader, then the rest (whose flush
 * changes nothing); two of the first kind under one leader the spec cannot explain, and the
 * validator rejects the restart.
 */
function placeUnnoticedTogether(unnoticed: readonly Unnoticed[]): Map<Crash, Crash> {
  const placed = new Map<Crash, Crash>();
  const byLast = [...unnoticed].sort((a, b) => a.lastT - b.lastT);
  for (let g = 0; g < byLast.length; ) {
    let end = g + 1;
    let firstRestart = byLast[g]!.restartT;
    while (end < byLast.length && byLast[end]!.lastT < firstRestart) firstRestart = Math.min(firstRestart, byLast[end++]!.restartT);
    if (end - g > 1) {
      const at = byLast[end - 1]!.lastT + 0.5;
      const rank = (u: Unnoticed) => (u.leading ? -2 : u.durable ? -1 : -3);
      for (let k = g; k < end; k++) placed.set(byLast[k]!.crash, { crash: byLast[k]!.crash.crash, tUs: at, order: rank(byLast[k]!) });
    }
    g = end;
  }
  return placed;
}

/** The first time after `lastT` another member lost `sid` (a follower's LeaderLost, a leader's LearnerLost), else the restart's time. */
function noticedGoneAt(members: Members, sids: readonly number[], sid: number, lastT: number, restartT: number): number {
  let at = restartT;
  for (const other of sids) {
    if (other === sid) continue;
    let leaderOfRun = -1;
    for (const l of members.get(other)!) {
      if (l.kind === 'elected') leaderOfRun = Number(/leader (\d+)/.exec(l.detail ?? '')?.[1] ?? -1);
      if (l.tUs <= lastT || l.tUs >= at || l.kind !== 'step') continue;
      const e = l.event!;
      if ((e.type === 'LeaderLost' && leaderOfRun === sid) || (e.type === 'LearnerLost' && e.sid === sid)) at = l.tUs;
    }
  }
  return at;
}

/**
 * Evidence of lines lost with the kill of `sid` (`before` is its lines up to
 * the restart, the crash placed `at`): a message about a zxid beyond what the
 * member's last line shows (a PROPOSAL beyond its last zxid, a COMMIT beyond
 * its last commit, an ACK beyond its last fsync), received by another member
 * between that line and the crash.
 */
function linesLostWithKill(members: Members, sids: readonly number[], sid: number, before: readonly MemberLine[], at: number): string | undefined {
  const lastT = before[before.length - 1]!.tUs;
  const lastStep = before.slice().reverse().find((l) => l.kind === 'step');
  let received = 0;
  for (const other of sids) {
    if (other === sid || lastStep === undefined) continue;
    for (const l of members.get(other)!) {
      if (l.kind !== 'step' || l.event!.type !== 'Receive' || l.event!.from !== sid || l.tUs <= lastT || l.tUs > at) continue;
      const m = l.event!.message as { type: string; zxid?: string };
      if (m.zxid === undefined) continue;
      const y = BigInt(m.zxid);
      const p = lastStep.peer!;
      if ((m.type === 'PROPOSAL' && y > big(p.lastZxid)) || (m.type === 'COMMIT' && y > big(p.lastCommittedZxid)) || (m.type === 'ACK' && y > big(p.syncedZxid))) received++;
    }
  }
  return received > 0 ? `member ${sid} (s${sids.indexOf(sid)}), killed after its line at ${lastT} us: ${received} messages from it about zxids beyond that line` : undefined;
}

/** A member's track at the process start `lines[from]`: its disk as the start line reports it, LOOKING. */
function trackAtStart(lines: readonly MemberLine[], from: number): Track {
  const detail = lines[from]!.detail ?? '';
  const num = (name: string) => /0x[0-9a-f]+|\d+/.exec(new RegExp(`${name} (0x[0-9a-f]+|\\d+)`).exec(detail)?.[1] ?? '0')![0];
  // The snapshot's zxid: what the process's first run starts its core with (the core starts from the disk).
  let snapshot = 0n;
  for (let k = from + 1; k < lines.length && lines[k]!.kind !== 'start'; k++) {
    if (lines[k]!.kind === 'step') {
      snapshot = big(lines[k]!.peer!.lastCommittedZxid);
      break;
    }
  }
  const track: Track = {
    acceptedEpoch: Number(num('acceptedEpoch')),
    currentEpoch: Number(num('currentEpoch')),
    lastZxid: BigInt(num('lastLoggedZxid')),
    carriedCommitted: snapshot,
    visible: {},
    down: false,
    run: 0,
    runRole: undefined,
    runLeader: -1,
    leaderPending: false,
    pendingConnect: undefined,
    endedRun: undefined,
  };
  track.visible = looking(track);
  return track;
}

/** A LOOKING member's projection: its disk flushed (spec/zab flushes on leaving a role), its data tree carried over. */
function looking(t: Track): Visible {
  return {
    ...LOOKING_FIELDS,
    acceptedEpoch: t.acceptedEpoch,
    currentEpoch: t.currentEpoch,
    lastZxid: itfInteger(t.lastZxid),
    lastCommittedZxid: itfInteger(t.carriedCommitted),
    loggedZxid: itfInteger(t.lastZxid),
    leader: -1,
  };
}

/** The recording being merged: each member's track, and the states emitted so far, one per spec step. */
class Merge {
  readonly states: MergedState[] = [];
  /** Lines stepped in a run the merge had already ended (MergeNotes.stray). */
  readonly stray: string[] = [];
  elections = 0;
  timeouts = 0;
  /** Every zxid a member's log held: the recording's transactions. */
  readonly zxids = new Set<bigint>();
  /** spec/zab's server index of each member id. */
  private readonly node: ReadonlyMap<number, number>;
  private readonly quorum: number;
  private readonly tracks = new Map<number, Track>();
  private readonly lineIndex = new Map<MemberLine, number>();
  private lastText: string;

  constructor(
    private readonly members: Members,
    private readonly sids: readonly number[],
  ) {
    this.node = new Map(sids.map((sid, index) => [sid, index]));
    this.quorum = Math.floor(sids.length / 2) + 1;
    // The first process start of every member is the initial state (spec/zab starts every server at once).
    for (const sid of sids) this.tracks.set(sid, trackAtStart(members.get(sid)!, 0));
    for (const sid of sids) members.get(sid)!.forEach((l, k) => this.lineIndex.set(l, k));
    this.states.push({ 'mbt::actionTaken': 'init', 'mbt::nondetPicks': {}, nodes: this.snapshotNodes() });
    this.lastText = JSON.stringify(this.states[0]!.nodes);
  }

  /** spec/zab's bounds that admit the recording: as many crashes, timeouts and transactions as it took. */
  bounds(crashes: number) {
    let maxEpoch = 0;
    for (const state of this.states) for (const v of state.nodes) if (typeof v['acceptedEpoch'] === 'number') maxEpoch = Math.max(maxEpoch, v['acceptedEpoch']);
    return {
      servers: this.sids.length,
      observers: 0,
      maxEpoch: Math.max(maxEpoch, 1),
      maxTransactions: this.zxids.size,
      maxCrashes: crashes,
      maxPartitions: 0,
      maxTimeouts: this.timeouts,
      maxMessageLosses: 0,
      // Channels hold as many messages as a synchronisation sends (a DIFF of every txn); this is no limit of the protocol.
      maxMessagesInFlight: 100_000,
      fle: false,
      initialLogs: 0,
      // The storage reports what each fsync covered, which under load is a prefix of what the member queued
      // (SyncRequestProcessor's batch): spec/zab's DiskSync of a prefix.
      partialSync: true,
    };
  }

  /** The next line of some member, or a placed crash, in time order. */
  take(item: Item): void {
    if ('crash' in item) {
      this.nodeCrash(item.crash);
      return;
    }
    const line = item.line;
    const t = this.tracks.get(line.sid)!;
    switch (line.kind) {
      case 'start':
        this.nodeStart(line);
        return;
      case 'elected':
        this.elected(line, t);
        return;
      case 'end':
        this.runEnded(line, t);
        return;
      case 'step':
        this.step(line, t);
        return;
    }
  }

  private snapshotNodes(): NodeProjection[] {
    return this.sids.map((sid) => this.tracks.get(sid)!.visible);
  }

  /** A state labelled `label`, unless nothing visible changed and the step may be hidden (`always` false). */
  private emit(label: string, always: boolean): void {
    const nodes = this.snapshotNodes();
    const text = JSON.stringify(nodes);
    if (text === this.lastText && !always) return;
    this.lastText = text;
    this.states.push({ 'mbt::actionTaken': label, 'mbt::nondetPicks': {}, nodes });
  }

  /** spec/zab's name of a member: s0 for the smallest id. */
  private server(sid: number): string {
    return `s${this.node.get(sid)}`;
  }

  /** NodeCrash: the member is DOWN, and a leader's followers go LOOKING in the same step. */
  private nodeCrash(sid: number): void {
    const t = this.tracks.get(sid)!;
    const wasLeader = t.visible['state'] === 'LEADING';
    t.down = true;
    t.visible = { state: 'DOWN' };
    t.leaderPending = false;
    t.pendingConnect = undefined;
    if (wasLeader || t.runRole === 'LEADING') this.dropFollowersOf(sid);
    this.emit(`NodeCrash(${this.server(sid)})`, true);
  }

  /** NodeStart: a `start` line after the member's first, a new process on the same disk. */
  private nodeStart(line: MemberLine): void {
    const k = this.lineIndex.get(line)!;
    if (k === 0) return;
    this.tracks.set(line.sid, trackAtStart(this.members.get(line.sid)!, k));
    this.emit(`NodeStart(${this.server(line.sid)})`, true);
  }

  /** The election's outcome: the run's role and leader; a leader is shown once a quorum has connected (tryElect). */
  private elected(line: MemberLine, t: Track): void {
    const m = /^(\w+) leader (\d+)/.exec(line.detail ?? '');
    t.run = line.run;
    t.endedRun = undefined;
    t.pendingConnect = undefined;
    t.runRole = (m?.[1] as Track['runRole']) ?? undefined;
    t.runLeader = Number(m?.[2] ?? -1);
    if (t.runRole === 'LEADING') {
      t.leaderPending = true;
      this.tryElect(line.sid);
    }
  }

  /** A run's `end` not already taken by the merge: Timeout, taking a leader's followers with it. */
  private runEnded(line: MemberLine, t: Track): void {
    if (t.endedRun === line.run) return;
    t.endedRun = line.run;
    const wasLeader = t.visible['state'] === 'LEADING';
    t.leaderPending = false;
    t.pendingConnect = undefined;
    if (t.visible['state'] === 'LOOKING') return;
    t.visible = looking(t);
    if (wasLeader) this.dropFollowersOf(line.sid);
    this.timeouts++;
    this.emit(`Timeout(${this.server(line.sid)})`, false);
  }

  /** A step of the member's core, as the spec action it is. */
  private step(line: MemberLine, t: Track): void {
    const sid = line.sid;
    const event = line.event!;
    const peer = line.peer!;
    if (t.endedRun === line.run) {
      // The merge ended this run when the member's leader died or left: its flush and its own notice change nothing more.
      if (event.type === 'LogSynced' || event.type === 'LeaderLost' || event.type === 'LearnerLost') return;
      this.stray.push(`${this.server(sid)} (member ${sid}) stepped ${event.type}${event.type === 'Receive' ? ` ${event.message.type}` : ''} at ${line.tUs} us in run ${line.run}, after its run was ended`);
    }
    switch (event.type) {
      case 'ConnectToLeader':
        this.connectToLeader(sid, t, peer);
        return;
      case 'LeaderLost':
        this.leaderLost(line, t);
        return;
      case 'LearnerLost':
        this.learnerLost(line, t);
        return;
      case 'Receive':
        if (t.leaderPending) this.tryElect(sid);
        t.visible = this.fromPeer(t, sid, peer);
        this.emit(`${(MESSAGE_ACTIONS as Readonly<Record<string, string>>)[event.message.type] ?? event.message.type}(${this.server(sid)}, ${this.server(event.from)}) [${event.message.type}]`, true);
        return;
      case 'LogSynced':
        t.visible = this.fromPeer(t, sid, peer);
        this.emit(`DiskSync(${this.server(sid)})`, false);
        return;
      case 'ClientRequest':
        t.visible = this.fromPeer(t, sid, peer);
        this.emit(`LeaderProcessRequest(${this.server(sid)})`, true);
        return;
    }
  }

  /** FollowLeader when the member's leader is shown; else the connection waits for the leader's ElectLeader. */
  private connectToLeader(sid: number, t: Track, peer: MemberPeer): void {
    const v = this.fromPeer(t, sid, peer);
    if (t.visible['state'] === 'FOLLOWING' || t.visible['state'] === 'OBSERVING') return; // a retried connection
    const leader = this.tracks.get(t.runLeader);
    if (leader !== undefined && !leader.down && leader.visible['state'] === 'LEADING') {
      t.visible = v;
      this.elections++;
      this.emit(`FollowLeader(${this.server(sid)}, ${this.server(t.runLeader)})`, true);
    } else {
      t.pendingConnect = v;
      if (leader !== undefined) this.tryElect(t.runLeader);
    }
  }

  /** A follower's Timeout (unless it never showed as connected). */
  private leaderLost(line: MemberLine, t: Track): void {
    t.visible = this.fromPeer(t, line.sid, line.peer!);
    t.endedRun = line.run;
    if (t.pendingConnect !== undefined) {
      t.pendingConnect = undefined;
      return;
    }
    this.timeouts++;
    this.emit(`Timeout(${this.server(line.sid)})`, false);
  }

  /** A leader's Timeout when losing the learner lost it its quorum; else nothing visible. */
  private learnerLost(line: MemberLine, t: Track): void {
    const before = t.visible['state'];
    t.visible = this.fromPeer(t, line.sid, line.peer!);
    if (before === 'LEADING' && t.visible['state'] === 'LOOKING') {
      t.endedRun = line.run;
      this.dropFollowersOf(line.sid);
      this.timeouts++;
      this.emit(`Timeout(${this.server(line.sid)})`, false);
    }
    // Otherwise it changes nothing visible: spec/zab removed the learner when it timed out.
  }

  /** The visible projection of a core's line, with the data tree carried over. */
  private fromPeer(t: Track, sid: number, p: MemberPeer): Visible {
    t.acceptedEpoch = p.acceptedEpoch;
    t.currentEpoch = p.currentEpoch;
    t.lastZxid = big(p.lastZxid);
    if (t.lastZxid > 0n) this.zxids.add(t.lastZxid);
    let committed = big(p.lastCommittedZxid);
    if (committed >= t.carriedCommitted) t.carriedCommitted = committed;
    else committed = t.carriedCommitted;
    if (p.role === 'LOOKING') return looking(t);
    const leaderSid = p.role === 'LEADING' ? sid : (p.leader ?? t.runLeader);
    return {
      state: p.role,
      zabState: p.phase ?? 'DISCOVERY',
      acceptedEpoch: p.acceptedEpoch,
      currentEpoch: p.currentEpoch,
      lastZxid: itfInteger(t.lastZxid),
      lastCommittedZxid: itfInteger(committed),
      loggedZxid: itfInteger(p.syncedZxid === undefined ? t.lastZxid : big(p.syncedZxid)),
      leader: this.node.get(leaderSid) ?? -1,
    };
  }

  /** Ends the run of every learner shown connected to `leaderSid` (its crash or shutdown). */
  private dropFollowersOf(leaderSid: number): void {
    const index = this.node.get(leaderSid)!;
    for (const sid of this.sids) {
      const t = this.tracks.get(sid)!;
      if (sid === leaderSid || t.down) continue;
      if ((t.visible['state'] === 'FOLLOWING' || t.visible['state'] === 'OBSERVING') && t.visible['leader'] === index) {
        t.endedRun = t.run;
        t.visible = looking(t);
      }
      if (t.runLeader === leaderSid && t.runRole !== 'LEADING') t.pendingConnect = undefined;
    }
  }

  /** Shows a pending leader and its connected followers once they are a quorum (ElectLeader). */
  private tryElect(leaderSid: number): boolean {
    const leader = this.tracks.get(leaderSid)!;
    if (!leader.leaderPending) return false;
    const followers = this.sids.filter((sid) => {
      const t = this.tracks.get(sid)!;
      return sid !== leaderSid && !t.down && t.runLeader === leaderSid && t.pendingConnect !== undefined;
    });
    if (followers.length + 1 < this.quorum) return false;
    leader.leaderPending = false;
    leader.visible = { ...looking(leader), state: 'LEADING', zabState: 'DISCOVERY', loggedZxid: itfInteger(leader.lastZxid), leader: this.node.get(leaderSid)! };
    for (const sid of followers) {
      const t = this.tracks.get(sid)!;
      t.visible = t.pendingConnect!;
      t.pendingConnect = undefined;
    }
    this.elections++;
    this.emit(`ElectLeader(${this.server(leaderSid)}, {${[leaderSid, ...followers].sort((a, b) => a - b).map((s) => this.server(s)).join(', ')}})`, true);
    return true;
  }
}
