// A real ensemble's own account of its Zab steps, as a recording the validator
// (conformance/validate.ts) judges against spec/zab (issue #7). Each member of
// an ensemble started with ZKSPEC_PEER_TRACE_DIR appends JSON lines to
// member-<myid>.jsonl (impl/ensemble/peer-trace.ts): one per event its peer
// core stepped, with the core's projection after it, plus `start` (a process
// start), `elected` (the election's outcome) and `end` (a run is over). This
// file merges those files by time (all members of a loopback ensemble share
// the machine's clock, and a send is recorded before its receive) into one ITF
// trace in the ZAB adapter's projection, one recorded state per spec step.
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
// - The disk. `loggedZxid` is the core's syncedZxid (the LogSynced it has
//   seen). A LOOKING member shows it equal to its last zxid: spec/zab flushes
//   a server's queued writes when it leaves FOLLOWING or LEADING. spec/zab's
//   DiskSync makes the whole queue durable, while the storage reports each
//   fsync's zxids: joinSyncBursts, normalizeGroupCommits and coalesceNewLeader
//   put the reports in spec terms where that changes nothing another member
//   saw, and say how often.
// - A SIGKILL loses the member's lines since its last flush. peer-trace.ts
//   flushes before any byte leaves the process, to a quorum connection or to
//   the disk, so what is lost is steps nobody saw; among them the reports of
//   fsyncs whose writes had reached the kernel, which the restart finds on
//   disk: syncsLostWithKill adds those reports back (`syncsLostAtKill`).
//   Recordings made before that flush lost up to 50 ms: a message the member
//   sent then is received by others with no record of the sending. The merge
//   reports that evidence (`lostLines`); the killed member shows staler than
//   it was until its crash, which hidden steps cannot repair, so such a
//   recording is rejected after its last line.
//
// Zxids are ZooKeeper's 64-bit epoch << 32 | counter, as the adapter writes
// them. Values: spec/zab's transactions carry the client request number; the
// projection has none, so the recording needs no mapping of values.

import { MESSAGE_ACTIONS } from '../../spec/zab/format.ts';
import { peerTraceLineSchema, type PeerProjection, type PeerTraceEvent, type PeerTraceLine } from '../../impl/ensemble/peer-trace.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zabAdapter } from '../adapters/zab.ts';
import { itfInteger, makeTrace, parseTrace, serializeTrace, type NodeProjection, type Trace } from '../trace.ts';
import { validateTrace, type ValidateOptions, type Verdict } from '../validate.ts';
import { hex } from '../../lib/hex.ts';

/** One line of member-<myid>.jsonl: the format is impl/ensemble/peer-trace.ts's schema, read and validated here with it. */
export type MemberLine = PeerTraceLine;
export type MemberEvent = PeerTraceEvent;
export type MemberPeer = PeerProjection;

export type Members = ReadonlyMap<number, readonly MemberLine[]>;

export type ReadResult = { readonly ok: true; readonly members: Members } | { readonly ok: false; readonly error: string };


/** Reads every member-<myid>.jsonl of `dir`; a torn last line (a SIGKILL mid-append) is dropped. */
export function readMemberFiles(dir: string): ReadResult {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^member-\d+\.jsonl$/.test(n));
  } catch (error) {
    return { ok: false, error: `cannot read ${dir}: ${(error as Error).message}` };
  }
  if (names.length === 0) return { ok: false, error: `no member-<myid>.jsonl files in ${dir}` };
  const members = new Map<number, MemberLine[]>();
  for (const name of names) {
    const sid = Number(/\d+/.exec(name)![0]);
    const text = readFileSync(join(dir, name), 'utf8');
    const rows = text.split('\n');
    const lines: MemberLine[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(row);
      } catch {
        // Only the last line can be torn by a kill; anywhere else the file is damaged.
        if (rows.slice(i + 1).every((r) => r.trim() === '')) break;
        return { ok: false, error: `${name}:${i + 1}: not JSON` };
      }
      const line = peerTraceLineSchema.safeParse(json);
      if (!line.success || line.data.sid !== sid) {
        const why = line.success ? `sid ${line.data.sid}` : line.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
        return { ok: false, error: `${name}:${i + 1}: not a peer trace line of member ${sid} (${why})` };
      }
      const parsed = line.data;
      if (parsed.kind === 'step' && (parsed.event === undefined || parsed.peer === undefined)) return { ok: false, error: `${name}:${i + 1}: a step without event or peer` };
      // The disk is part of the projection: a recording made before peer-trace.ts wrote syncedZxid cannot be judged on it.
      if (parsed.kind === 'step' && parsed.peer!.syncedZxid === undefined) return { ok: false, error: `${name}:${i + 1}: no syncedZxid (recorded before impl/ensemble/peer-trace.ts wrote it)` };
      lines.push(parsed);
    }
    if (lines[0]?.kind !== 'start') return { ok: false, error: `${name}: does not begin with a start line` };
    members.set(sid, lines);
  }
  return { ok: true, members };
}

/**
 * Lines a LogSynced may be moved before: they only add to memory or deliver,
 * and wait for no disk; or, at a leader, an ACK of a zxid it had already
 * committed (`before` is the line before it): that vote counts for nothing
 * whether the leader's own disk has more or not, so it changes nothing on
 * either side of the sync (a follower's late ACKs arrive behind the leader's
 * proposals under load).
 */
function commutesWithSync(line: MemberLine, before: MemberLine | undefined): boolean {
  if (line.kind !== 'step') return false;
  const e = line.event!;
  if (e.type === 'ClientRequest') return true;
  if (e.type !== 'Receive') return false;
  if (e.message.type === 'PROPOSAL' || e.message.type === 'INFORM' || (e.message.type === 'COMMIT' && line.peer!.role !== 'LEADING')) return true;
  const zxid = (e.message as { zxid?: string }).zxid;
  return (
    e.message.type === 'ACK' &&
    line.peer!.role === 'LEADING' &&
    zxid !== undefined &&
    before?.kind === 'step' &&
    before.run === line.run &&
    before.peer!.lastCommittedZxid === line.peer!.lastCommittedZxid &&
    BigInt(zxid) <= BigInt(line.peer!.lastCommittedZxid)
  );
}

/**
 * Group commit, put in spec/zab's terms. The storage reports a LogSynced for
 * the zxid its fsync covered, while memory may already hold later proposals
 * that arrived during the fsync; spec/zab's DiskSync makes everything queued
 * durable at once. Appending to memory and syncing the disk commute (neither
 * reads what the other writes, and nothing is sent in between), so a
 * LogSynced of z is moved back to just after the line that appended z, past
 * the appends (and learner COMMITs) that came after it; their projections get
 * the earlier durable zxid. Anything else in between (an ACK at the leader)
 * stops the move, and the validator judges the partial sync as it is.
 * Returns the lines in their new order and the number of syncs moved.
 */
export function normalizeGroupCommits(
  lines: readonly MemberLine[],
  seenElsewhereBy: (zxid: bigint, tUs: number) => boolean = () => true,
): { lines: MemberLine[]; moved: number; deferred: number; delayed: number } {
  const out = [...lines];
  let moved = 0;
  let deferred = 0;
  let delayed = 0;
  for (let k = 0; k < out.length; k++) {
    const line = out[k]!;
    const event = line.event;
    if (line.kind !== 'step' || event?.type !== 'LogSynced') continue;
    const zHex = event.zxid;
    const z = BigInt(zHex);
    if (BigInt(line.peer!.lastZxid) <= z) continue;
    let j = k - 1;
    while (j >= 0 && out[j]!.run === line.run && commutesWithSync(out[j]!, out[j - 1]) && BigInt(out[j]!.peer!.lastZxid) > z) j--;
    const before = out[j];
    if (j !== k - 1 && before !== undefined && before.kind === 'step' && before.run === line.run && BigInt(before.peer!.lastZxid) === z) {
      const leading = line.peer!.role === 'LEADING';
      const committed = leading ? line.peer!.lastCommittedZxid : before.peer!.lastCommittedZxid;
      const first = out[j + 1]!;
      const synced: MemberLine = { ...line, tUs: first.tUs - 0.5, peer: { ...before.peer!, syncedZxid: zHex, lastCommittedZxid: committed } };
      const passed = out.slice(j + 1, k).map((l): MemberLine => {
        const c = BigInt(l.peer!.lastCommittedZxid) > BigInt(committed) ? l.peer!.lastCommittedZxid : committed;
        return { ...l, peer: { ...l.peer!, syncedZxid: zHex, lastCommittedZxid: c } };
      });
      out.splice(j + 1, k - j, synced, ...passed);
      moved++;
      continue;
    }
    // The other way round: the appends beyond z are put after the sync, when nobody else saw them before it
    // (no PROPOSAL of theirs received, no ACK of theirs) and nothing in between depends on them (an ACK
    // received for them, a commit of them).
    let a = k - 1;
    while (a >= 0 && out[a]!.kind === 'step' && out[a]!.run === line.run && BigInt(out[a]!.peer!.lastZxid) > z) a--;
    const base = out[a];
    if (base === undefined || base.kind !== 'step' || base.run !== line.run || BigInt(base.peer!.lastZxid) !== z) {
      if (delayLeaderSync(out, k)) {
        delayed++;
        k--;
      }
      continue;
    }
    const between = out.slice(a + 1, k);
    const appends = between.filter((l) => isAppend(l));
    const others = between.filter((l) => !isAppend(l));
    const appended = (l: MemberLine) => BigInt(l.peer!.lastZxid);
    const safe =
      appends.length > 0 &&
      appends.every((l) => !seenElsewhereBy(appended(l), line.tUs)) &&
      others.every((l) => BigInt(l.peer!.lastCommittedZxid) <= z && !(l.event!.type === 'Receive' && BigInt(((l.event as { message: { zxid?: string } }).message.zxid ?? '0x0')) > z));
    if (!safe) {
      if (delayLeaderSync(out, k)) {
        delayed++;
        k--;
      }
      continue;
    }
    const kept = others.map((l): MemberLine => ({ ...l, peer: { ...l.peer!, lastZxid: base.peer!.lastZxid } }));
    const synced: MemberLine = { ...line, peer: { ...line.peer!, lastZxid: base.peer!.lastZxid } };
    const later = appends.map((l, i): MemberLine => ({ ...l, tUs: line.tUs + (i + 1) / (appends.length + 1), peer: { ...l.peer!, syncedZxid: zHex, lastCommittedZxid: line.peer!.lastCommittedZxid } }));
    out.splice(a + 1, k - a, ...kept, synced, ...later);
    deferred++;
  }
  return { lines: out, moved, deferred, delayed };
}

/**
 * The last way to put a leader's partial fsync report in spec terms: when the
 * ACKs of its followers committed what the report covers before it (the
 * leader's own vote was not needed, and the report commits nothing), the
 * report is dropped and its zxids become durable at the leader's next one;
 * the lines in between show the older durable zxid. That only makes the
 * leader's disk look staler, never its commits earlier: the validator still
 * counts the votes itself, so a commit that needed the leader's own vote is
 * rejected. Not for a learner, whose ACK leaves at its fsync; not when no
 * later report follows in the same run (a crash in between would lose what
 * the real disk kept). Returns whether out[k] was dropped.
 */
function delayLeaderSync(out: MemberLine[], k: number): boolean {
  const line = out[k]!;
  const before = out[k - 1];
  if (line.peer!.role !== 'LEADING' || before === undefined || before.kind !== 'step' || before.run !== line.run) return false;
  if (line.peer!.lastCommittedZxid !== before.peer!.lastCommittedZxid) return false;
  let m = k + 1;
  while (m < out.length && out[m]!.kind === 'step' && out[m]!.run === line.run && out[m]!.event!.type !== 'LogSynced') m++;
  const next = out[m];
  if (next === undefined || next.kind !== 'step' || next.run !== line.run) return false;
  const stale = before.peer!.syncedZxid;
  const between = out.slice(k + 1, m).map((l): MemberLine => ({ ...l, peer: { ...l.peer!, syncedZxid: stale } }));
  out.splice(k, m - k, ...between);
  return true;
}

/** A line that only appends to memory: a client request at the leader, a PROPOSAL at a learner. */
function isAppend(line: MemberLine): boolean {
  const e = line.event;
  return line.kind === 'step' && (e?.type === 'ClientRequest' || (e?.type === 'Receive' && (e.message.type === 'PROPOSAL' || e.message.type === 'INFORM')));
}

/**
 * A burst of LogSynced lines (one per zxid of one fsync, reported together)
 * is one DiskSync: adjacent LogSynced lines of one member and run, the later
 * ones already in memory at the first, become one line at the first's time
 * with the last one's projection. Syncing earlier is always possible. A
 * burst ends where currentEpoch moved (the epoch file is written between
 * fsyncs, never inside one), so that an epoch written before the proposals
 * are durable stays visible.
 */
export function joinSyncBursts(lines: readonly MemberLine[]): { lines: MemberLine[]; joined: number } {
  const out: MemberLine[] = [];
  let joined = 0;
  // currentEpoch at the start of the burst being joined: an epoch written between two of its syncs is not one fsync's report.
  let burstEpoch = -1;
  for (const line of lines) {
    const previous = out[out.length - 1];
    const e = line.event;
    if (
      previous !== undefined &&
      previous.kind === 'step' &&
      previous.event!.type === 'LogSynced' &&
      line.kind === 'step' &&
      e?.type === 'LogSynced' &&
      previous.run === line.run &&
      previous.peer!.currentEpoch === burstEpoch &&
      BigInt(previous.peer!.lastZxid) >= BigInt(e.zxid)
    ) {
      out[out.length - 1] = { ...line, tUs: previous.tUs };
      joined++;
      continue;
    }
    if (line.kind === 'step' && e?.type === 'LogSynced') burstEpoch = line.peer!.currentEpoch;
    out.push(line);
  }
  return { lines: out, joined };
}

/** The zxid a `start` line found on disk (its lastLoggedZxid), or undefined if the line does not say. */
export function startLoggedZxid(line: MemberLine): bigint | undefined {
  const m = /lastLoggedZxid (0x[0-9a-f]+)/.exec(line.detail ?? '');
  return m === null ? undefined : BigInt(m[1]!);
}

/**
 * The fsync reports a SIGKILL took with it. peer-trace.ts writes a member's
 * lines before anything leaves the process, on a quorum connection or to its
 * disk; what a kill can lose is the lines after that: steps in memory, and
 * the LogSynced of an fsync whose writes had already reached the kernel (a
 * write(2) that returned outlives a SIGKILL, fsynced or not). The restart's
 * `start` line then shows more on disk (lastLoggedZxid) than the last
 * recorded syncedZxid. That is spec/zab's DiskSync before NodeCrash: the
 * queued writes up to that zxid became durable, and nobody saw it (a
 * learner's ACK or a leader's commit would have left the process, and its
 * lines with it). So a LogSynced of the zxid found on disk is added after the
 * member's last line before the restart, with the last line's projection
 * and that zxid durable; normalizeGroupCommits then puts it in spec terms
 * like any other report (appends beyond it that nobody saw go after it, and
 * are lost with the crash, as the real ones were: they are not on disk).
 * Only when the zxid found on disk is one the member's last line holds in
 * memory (recorded appends); a disk beyond that is left alone, and the
 * validator rejects the restart. Returns the lines and the reports added.
 */
export function syncsLostWithKill(lines: readonly MemberLine[]): { lines: MemberLine[]; added: number } {
  const out: MemberLine[] = [];
  let added = 0;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    const before = out[out.length - 1];
    if (k > 0 && line.kind === 'start' && before?.kind === 'step') {
      const onDisk = startLoggedZxid(line);
      const p = before.peer!;
      if (onDisk !== undefined && onDisk > big(p.syncedZxid) && onDisk <= big(p.lastZxid) && p.role !== 'LOOKING') {
        const zHex = hex(onDisk);
        // Just after the last line (the crash is placed after it too: mergeMembers puts it no earlier than the last line).
        out.push({ ...before, tUs: before.tUs + 0.25, event: { type: 'LogSynced', zxid: zHex }, peer: { ...p, syncedZxid: zHex }, detail: 'added: the fsync report a SIGKILL lost' });
        added++;
      }
    }
    out.push(line);
  }
  return { lines: out, added };
}

/**
 * NEWLEADER, put in spec/zab's terms. spec/zab's follower handles NEWLEADER
 * in one step, as ZooKeeper 3.9 does (the ZOOKEEPER-3911/-4643/-4646 fixes):
 * it logs the proposals of the synchronisation, waits for their fsync, then
 * writes currentEpoch and acks. The ensemble's core does the same in order
 * but over several lines: NEWLEADER (proposals queued), a LogSynced per
 * group commit, the last of which lets it write currentEpoch and ack. When
 * nothing but those syncs happens at the learner in between, and
 * currentEpoch moves only at the last one, the NEWLEADER line is moved to the
 * last sync's time with its projection, and the syncs are dropped. Moving it
 * later keeps every other member's lines where they were, so an ACK of
 * NEWLEADER the leader received before the learner's fsync (ZOOKEEPER-4646)
 * now comes before the NEWLEADER it answers, and the validator rejects it; a
 * currentEpoch written before the proposals are durable (ZOOKEEPER-4643)
 * shows in a sync line and stops the merge, and the validator judges those
 * lines as they are.
 */
export function coalesceNewLeader(lines: readonly MemberLine[]): { lines: MemberLine[]; coalesced: number } {
  const out = [...lines];
  let coalesced = 0;
  for (let k = 0; k < out.length; k++) {
    const line = out[k]!;
    if (line.kind !== 'step' || line.event!.type !== 'Receive' || line.event!.message.type !== 'NEWLEADER') continue;
    const target = BigInt(line.peer!.lastZxid);
    if (line.peer!.syncedZxid === undefined || BigInt(line.peer!.syncedZxid) >= target) continue;
    // The NEWLEADER step itself must not have moved currentEpoch: with the proposals not yet durable that is ZOOKEEPER-4643.
    const previous = out[k - 1];
    if (previous?.kind === 'step' && previous.run === line.run && previous.peer!.currentEpoch !== line.peer!.currentEpoch) continue;
    let j = k + 1;
    let ok = false;
    for (; j < out.length; j++) {
      const l = out[j]!;
      const e = l.event;
      if (l.kind !== 'step' || l.run !== line.run || e?.type !== 'LogSynced') break;
      const synced = BigInt(l.peer!.syncedZxid ?? e.zxid);
      if (synced >= target) {
        ok = true;
        break;
      }
      if (l.peer!.currentEpoch !== line.peer!.currentEpoch) break;
    }
    if (!ok) continue;
    const last = out[j]!;
    out.splice(k, j - k + 1, { ...line, tUs: last.tUs, peer: last.peer! });
    coalesced++;
  }
  return { lines: out, coalesced };
}

/** What the merge did beyond copying lines, for the verdict. */
export interface MergeNotes {
  readonly lines: number;
  readonly crashes: number;
  readonly elections: number;
  readonly timeouts: number;
  readonly transactions: number;
  /** LogSynced lines put in spec terms: bursts joined, moved back past appends, or appends put after them. */
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

const big = (hex: string | undefined): bigint => (hex === undefined ? 0n : BigInt(hex));

type Item = { readonly line: MemberLine; readonly order: number } | { readonly crash: number; readonly tUs: number; readonly order: number };

/**
 * Each member's lines in spec/zab's terms, before they are merged: NEWLEADER
 * coalesced with the fsyncs it waits for, bursts of LogSynced joined, partial
 * group commits moved (above). What a story that alters a recording must look
 * at to know when a member's fsync counts in the merged trace.
 */
export function normalizeMembers(recorded: Members): { members: Map<number, readonly MemberLine[]>; syncsMoved: number; newLeadersCoalesced: number; syncsLostAtKill: number } {
  let syncsMoved = 0;
  let syncsLostAtKill = 0;
  let newLeadersCoalesced = 0;
  // When another member first received something about a zxid from each member (a PROPOSAL or COMMIT from
  // its leader, an ACK from its learner): before then, the member's append of it can be put later.
  const firstSeen = new Map<string, number>();
  for (const lines of recorded.values()) {
    for (const l of lines) {
      if (l.kind !== 'step' || l.event!.type !== 'Receive') continue;
      const zxid = (l.event!.message as { zxid?: string }).zxid;
      if (zxid === undefined) continue;
      const key = `${l.event!.from}:${BigInt(zxid)}`;
      if (!firstSeen.has(key) || firstSeen.get(key)! > l.tUs) firstSeen.set(key, l.tUs);
    }
  }
  const members = new Map<number, readonly MemberLine[]>();
  for (const [sid, lines] of recorded) {
    const killed = syncsLostWithKill(lines);
    syncsLostAtKill += killed.added;
    const newLeader = coalesceNewLeader(killed.lines);
    const bursts = joinSyncBursts(newLeader.lines);
    const normalized = normalizeGroupCommits(bursts.lines, (zxid, tUs) => (firstSeen.get(`${sid}:${zxid}`) ?? Infinity) <= tUs);
    // The moves above give times between recorded ones; a member's lines must stay in its own order whatever
    // the rounding, so each line's time is at least the one before it.
    let t = -Infinity;
    members.set(
      sid,
      normalized.lines.map((l) => {
        t = Math.max(t, l.tUs);
        return l.tUs === t ? l : { ...l, tUs: t };
      }),
    );
    syncsMoved += normalized.moved + normalized.deferred + normalized.delayed + bursts.joined;
    newLeadersCoalesced += newLeader.coalesced;
  }
  return { members, syncsMoved, newLeadersCoalesced, syncsLostAtKill };
}

/**
 * Merges the members' lines into one recording. Member ids (zoo.cfg's) are
 * numbered 0.. in ascending order as spec/zab's servers (s0 is the smallest id).
 */
export function mergeMembers(recorded: Members, description = 'a recorded ensemble run'): Merged {
  const { members, syncsMoved, newLeadersCoalesced, syncsLostAtKill } = normalizeMembers(recorded);
  const sids = [...members.keys()].sort((a, b) => a - b);
  const node = new Map(sids.map((sid, index) => [sid, index]));
  const n = sids.length;
  const quorum = Math.floor(n / 2) + 1;
  const items: Item[] = [];
  let order = 0;
  for (const sid of sids) for (const line of members.get(sid)!) items.push({ line, order: order++ });

  // Crashes: a start after the first. Placed where the others first noticed the member gone.
  let crashes = 0;
  const lostLines: string[] = [];
  for (const sid of sids) {
    const lines = members.get(sid)!;
    for (let k = 1; k < lines.length; k++) {
      if (lines[k]!.kind !== 'start') continue;
      crashes++;
      const lastT = lines[k - 1]!.tUs;
      const restartT = lines[k]!.tUs;
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
      items.push({ crash: sid, tUs: at, order: -1 });
      // Evidence of lines lost with the kill: a message about a zxid beyond what the member's last line shows
      // (a PROPOSAL beyond its last zxid, a COMMIT beyond its last commit, an ACK beyond its last fsync).
      const lastStep = lines.slice(0, k).reverse().find((l) => l.kind === 'step');
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
      if (received > 0) lostLines.push(`member ${sid} (s${sids.indexOf(sid)}), killed after its line at ${lastT} us: ${received} messages from it about zxids beyond that line`);
    }
  }
  const timeOf = (item: Item) => ('line' in item ? item.line.tUs : item.tUs);
  items.sort((a, b) => timeOf(a) - timeOf(b) || a.order - b.order);

  // The first process start of every member is the initial state (spec/zab starts every server at once).
  const tracks = new Map<number, Track>();
  const startOf = (_sid: number, lines: readonly MemberLine[], from: number): Track => {
    const detail = lines[from]!.detail ?? '';
    const num = (name: string) => /0x[0-9a-f]+|\d+/.exec(new RegExp(`${name} (0x[0-9a-f]+|\\d+)`).exec(detail)?.[1] ?? '0')![0];
    const acceptedEpoch = Number(num('acceptedEpoch'));
    const currentEpoch = Number(num('currentEpoch'));
    const lastZxid = BigInt(num('lastLoggedZxid'));
    // The snapshot's zxid: what the process's first run starts its core with (the core starts from the disk).
    let snapshot = 0n;
    for (let k = from + 1; k < lines.length && lines[k]!.kind !== 'start'; k++) {
      if (lines[k]!.kind === 'step') {
        snapshot = big(lines[k]!.peer!.lastCommittedZxid);
        break;
      }
    }
    const track: Track = {
      acceptedEpoch,
      currentEpoch,
      lastZxid,
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
  };
  const looking = (t: Track): Visible => ({
    ...LOOKING_FIELDS,
    acceptedEpoch: t.acceptedEpoch,
    currentEpoch: t.currentEpoch,
    lastZxid: itfInteger(t.lastZxid),
    lastCommittedZxid: itfInteger(t.carriedCommitted),
    loggedZxid: itfInteger(t.lastZxid),
    leader: -1,
  });
  const startIndex = new Map<number, number>();
  for (const sid of sids) {
    tracks.set(sid, startOf(sid, members.get(sid)!, 0));
    startIndex.set(sid, 0);
  }
  const lineIndex = new Map<MemberLine, number>();
  for (const sid of sids) members.get(sid)!.forEach((l, k) => lineIndex.set(l, k));

  const states: { 'mbt::actionTaken': string; 'mbt::nondetPicks': Record<string, never>; nodes: NodeProjection[] }[] = [];
  const snapshotNodes = () => sids.map((sid) => tracks.get(sid)!.visible);
  states.push({ 'mbt::actionTaken': 'init', 'mbt::nondetPicks': {}, nodes: snapshotNodes() });
  let lastText = JSON.stringify(states[0]!.nodes);
  const emit = (label: string, always: boolean) => {
    const nodes = snapshotNodes();
    const text = JSON.stringify(nodes);
    if (text === lastText && !always) return;
    lastText = text;
    states.push({ 'mbt::actionTaken': label, 'mbt::nondetPicks': {}, nodes });
  };
  const s = (sid: number) => `s${node.get(sid)}`;
  const stray: string[] = [];
  let elections = 0;
  let timeouts = 0;
  const zxids = new Set<bigint>();

  /** The visible projection of a core's line, with the data tree carried over. */
  const fromPeer = (t: Track, sid: number, p: MemberPeer): Visible => {
    t.acceptedEpoch = p.acceptedEpoch;
    t.currentEpoch = p.currentEpoch;
    t.lastZxid = big(p.lastZxid);
    if (t.lastZxid > 0n) zxids.add(t.lastZxid);
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
      leader: node.get(leaderSid) ?? -1,
    };
  };

  /** Ends the run of every learner shown connected to `leaderSid` (its crash or shutdown). */
  const dropFollowersOf = (leaderSid: number) => {
    const index = node.get(leaderSid)!;
    for (const sid of sids) {
      const t = tracks.get(sid)!;
      if (sid === leaderSid || t.down) continue;
      if ((t.visible['state'] === 'FOLLOWING' || t.visible['state'] === 'OBSERVING') && t.visible['leader'] === index) {
        t.endedRun = t.run;
        t.visible = looking(t);
      }
      if (t.runLeader === leaderSid && t.runRole !== 'LEADING') t.pendingConnect = undefined;
    }
  };

  /** Shows a pending leader and its connected followers once they are a quorum (ElectLeader). */
  const tryElect = (leaderSid: number): boolean => {
    const leader = tracks.get(leaderSid)!;
    if (!leader.leaderPending) return false;
    const followers = sids.filter((sid) => {
      const t = tracks.get(sid)!;
      return sid !== leaderSid && !t.down && t.runLeader === leaderSid && t.pendingConnect !== undefined;
    });
    if (followers.length + 1 < quorum) return false;
    leader.leaderPending = false;
    leader.visible = { ...looking(leader), state: 'LEADING', zabState: 'DISCOVERY', loggedZxid: itfInteger(leader.lastZxid), leader: node.get(leaderSid)! };
    for (const sid of followers) {
      const t = tracks.get(sid)!;
      t.visible = t.pendingConnect!;
      t.pendingConnect = undefined;
    }
    elections++;
    emit(`ElectLeader(${s(leaderSid)}, {${[leaderSid, ...followers].sort((a, b) => a - b).map(s).join(', ')}})`, true);
    return true;
  };

  for (const item of items) {
    if ('crash' in item) {
      const t = tracks.get(item.crash)!;
      const wasLeader = t.visible['state'] === 'LEADING';
      t.down = true;
      t.visible = { state: 'DOWN' };
      t.leaderPending = false;
      t.pendingConnect = undefined;
      if (wasLeader || t.runRole === 'LEADING') dropFollowersOf(item.crash);
      emit(`NodeCrash(${s(item.crash)})`, true);
      continue;
    }
    const line = item.line;
    const sid = line.sid;
    let t = tracks.get(sid)!;
    switch (line.kind) {
      case 'start': {
        const k = lineIndex.get(line)!;
        if (k === 0) continue;
        t = startOf(sid, members.get(sid)!, k);
        tracks.set(sid, t);
        emit(`NodeStart(${s(sid)})`, true);
        continue;
      }
      case 'elected': {
        const m = /^(\w+) leader (\d+)/.exec(line.detail ?? '');
        t.run = line.run;
        t.endedRun = undefined;
        t.pendingConnect = undefined;
        t.runRole = (m?.[1] as Track['runRole']) ?? undefined;
        t.runLeader = Number(m?.[2] ?? -1);
        if (t.runRole === 'LEADING') {
          t.leaderPending = true;
          tryElect(sid);
        }
        continue;
      }
      case 'end': {
        if (t.endedRun === line.run) continue;
        t.endedRun = line.run;
        const wasLeader = t.visible['state'] === 'LEADING';
        t.leaderPending = false;
        t.pendingConnect = undefined;
        if (t.visible['state'] === 'LOOKING') continue;
        t.visible = looking(t);
        if (wasLeader) dropFollowersOf(sid);
        timeouts++;
        emit(`Timeout(${s(sid)})`, false);
        continue;
      }
      case 'step':
        break;
    }
    const event = line.event!;
    const peer = line.peer!;
    if (t.endedRun === line.run) {
      // The merge ended this run when the member's leader died or left: its flush and its own notice change nothing more.
      if (event.type === 'LogSynced' || event.type === 'LeaderLost' || event.type === 'LearnerLost') continue;
      stray.push(`${s(sid)} (member ${sid}) stepped ${event.type}${event.type === 'Receive' ? ` ${event.message.type}` : ''} at ${line.tUs} us in run ${line.run}, after its run was ended`);
    }
    switch (event.type) {
      case 'ConnectToLeader': {
        const v = fromPeer(t, sid, peer);
        if (t.visible['state'] === 'FOLLOWING' || t.visible['state'] === 'OBSERVING') continue; // a retried connection
        const leader = tracks.get(t.runLeader);
        if (leader !== undefined && !leader.down && leader.visible['state'] === 'LEADING') {
          t.visible = v;
          elections++;
          emit(`FollowLeader(${s(sid)}, ${s(t.runLeader)})`, true);
        } else {
          t.pendingConnect = v;
          if (leader !== undefined) tryElect(t.runLeader);
        }
        continue;
      }
      case 'LeaderLost': {
        t.visible = fromPeer(t, sid, peer);
        t.endedRun = line.run;
        if (t.pendingConnect !== undefined) {
          t.pendingConnect = undefined;
          continue;
        }
        timeouts++;
        emit(`Timeout(${s(sid)})`, false);
        continue;
      }
      case 'LearnerLost': {
        const before = t.visible['state'];
        t.visible = fromPeer(t, sid, peer);
        if (before === 'LEADING' && t.visible['state'] === 'LOOKING') {
          t.endedRun = line.run;
          dropFollowersOf(sid);
          timeouts++;
          emit(`Timeout(${s(sid)})`, false);
        }
        // Otherwise it changes nothing visible: spec/zab removed the learner when it timed out.
        continue;
      }
      case 'Receive': {
        if (t.leaderPending) tryElect(sid);
        t.visible = fromPeer(t, sid, peer);
        emit(`${(MESSAGE_ACTIONS as Readonly<Record<string, string>>)[event.message.type] ?? event.message.type}(${s(sid)}, ${s(event.from)}) [${event.message.type}]`, true);
        continue;
      }
      case 'LogSynced':
        t.visible = fromPeer(t, sid, peer);
        emit(`DiskSync(${s(sid)})`, false);
        continue;
      case 'ClientRequest':
        t.visible = fromPeer(t, sid, peer);
        emit(`LeaderProcessRequest(${s(sid)})`, true);
        continue;
    }
  }

  let maxEpoch = 0;
  for (const state of states) for (const v of state.nodes) if (typeof v['acceptedEpoch'] === 'number') maxEpoch = Math.max(maxEpoch, v['acceptedEpoch']);
  const bounds = {
    servers: n,
    observers: 0,
    maxEpoch: Math.max(maxEpoch, 1),
    maxTransactions: zxids.size,
    maxCrashes: crashes,
    maxPartitions: 0,
    maxTimeouts: timeouts,
    maxMessageLosses: 0,
    // Channels hold as many messages as a synchronisation sends (a DIFF of every txn); this is no limit of the protocol.
    maxMessagesInFlight: 100_000,
    fle: false,
    initialLogs: 0,
  };
  const trace = makeTrace({ source: 'impl', spec: 'zab', preset: null, bounds, mutant: null, seed: null, description }, states);
  return { trace, notes: { lines: [...recorded.values()].reduce((sum, l) => sum + l.length, 0), crashes, elections, timeouts, transactions: zxids.size, syncsMoved, newLeadersCoalesced, syncsLostAtKill, lostLines, stray } };
}

export interface RecordingVerdict {
  readonly verdict: Verdict;
  readonly notes: MergeNotes;
  readonly steps: number;
  readonly elapsedMs: number;
}

/** Reads, merges and validates the member files of one ensemble run. */
export function validateRecordingDir(dir: string, options: ValidateOptions = {}): { ok: true; result: RecordingVerdict; trace: Trace } | { ok: false; error: string } {
  const read = readMemberFiles(dir);
  if (!read.ok) return read;
  return { ok: true, ...validateMembers(read.members, options, `the ensemble run recorded in ${dir}`) };
}

export function validateMembers(members: Members, options: ValidateOptions = {}, description?: string): { result: RecordingVerdict; trace: Trace } {
  const started = performance.now();
  const merged = mergeMembers(members, description);
  // Round-trip through the trace schema: what is judged is what a file would hold.
  const parsed = parseTrace(serializeTrace(merged.trace));
  const verdict: Verdict = parsed.ok ? validateTrace(zabAdapter, parsed.trace, { hiddenStepsMax: 0, ...options }) : { verdict: 'invalid', error: parsed.error };
  return { result: { verdict, notes: merged.notes, steps: merged.trace.states.length - 1, elapsedMs: performance.now() - started }, trace: merged.trace };
}
