// Each member's lines put in spec/zab's terms before merge.ts merges them.
// spec/zab takes some of a member's steps as one atomic action that the
// ensemble's core reports in several lines; where that changes nothing another
// member saw, the lines are rewritten into the spec's shape, and counted for
// the merge's notes:
//
// - The disk. `loggedZxid` is the core's syncedZxid (the LogSynced it has
//   seen). The storage reports what each fsync covered, under load a prefix
//   of what the member holds in memory (its group commit's batch): spec/zab's
//   DiskSync of a prefix (the partialSync bound, which the merged recording's
//   bounds turn on), so a report is judged where it was made. joinSyncBursts
//   and coalesceNewLeader put the rest in spec terms where that changes
//   nothing another member saw, and say how often.
// - A SIGKILL loses the member's lines since its last flush. peer-trace.ts
//   flushes before any byte leaves the process, to a quorum connection or to
//   the disk, so what is lost is steps nobody saw; among them the reports of
//   fsyncs whose writes had reached the kernel, which the restart finds on
//   disk: syncsLostWithKill adds those reports back (`syncsLostAtKill`).
//   Recordings made before that flush lost more: merge.ts reports that
//   evidence (`lostLines`).

import { hex } from '../../lib/hex.ts';
import { big, type MemberLine, type Members } from './member-files.ts';

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
function startLoggedZxid(line: MemberLine): bigint | undefined {
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
 * and that zxid durable: a DiskSync of a prefix, the appends beyond it lost
 * with the crash, as the real ones were (they are not on disk).
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
        // A leader's own ACK of what became durable is processed with the sync in spec/zab (DiskSync releases it in
        // place): the commits it completes with the followers' ACKs received in this run happen there, unseen.
        const committed = p.role === 'LEADING' ? committedWithOwnAck(out, before.run, big(p.lastCommittedZxid), onDisk) : big(p.lastCommittedZxid);
        const peer = { ...p, syncedZxid: zHex, lastCommittedZxid: hex(committed) };
        // Just after the last line (the crash is placed after it too: mergeMembers puts it no earlier than the last line).
        out.push({ ...before, tUs: before.tUs + 0.25, event: { type: 'LogSynced', zxid: zHex }, peer, detail: 'added: the fsync report a SIGKILL lost' });
        added++;
      }
    }
    out.push(line);
  }
  return { lines: out, added };
}

/**
 * The last zxid a leader commits when its own ACK of everything up to `onDisk` joins the followers'
 * ACKs it received in `run` (three voters: its own and one follower's make a quorum): the zxids it
 * proposed in `run` after `committed`, in order, while each is on disk and has a follower's ACK.
 */
function committedWithOwnAck(lines: readonly MemberLine[], run: number, committed: bigint, onDisk: bigint): bigint {
  const acked = new Set<bigint>();
  const proposed: bigint[] = [];
  for (const l of lines) {
    const e = l.event;
    if (l.kind !== 'step' || l.run !== run) continue;
    if (e?.type === 'ClientRequest') proposed.push(big(l.peer!.lastZxid));
    if (e?.type === 'Receive' && e.message.type === 'ACK') {
      const zxid = (e.message as { zxid?: string }).zxid;
      if (zxid !== undefined) acked.add(BigInt(zxid));
    }
  }
  let last = committed;
  for (const zxid of proposed) {
    if (zxid <= last) continue;
    if (zxid > onDisk || !acked.has(zxid)) break;
    last = zxid;
  }
  return last;
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

/**
 * Each member's lines in spec/zab's terms, before they are merged: NEWLEADER
 * coalesced with the fsyncs it waits for, bursts of LogSynced joined (above). What a story that alters a recording must look
 * at to know when a member's fsync counts in the merged trace.
 */
export function normalizeMembers(recorded: Members): { members: Map<number, readonly MemberLine[]>; syncsMoved: number; newLeadersCoalesced: number; syncsLostAtKill: number } {
  let syncsMoved = 0;
  let syncsLostAtKill = 0;
  let newLeadersCoalesced = 0;
  const members = new Map<number, readonly MemberLine[]>();
  for (const [sid, lines] of recorded) {
    const killed = syncsLostWithKill(lines);
    syncsLostAtKill += killed.added;
    const newLeader = coalesceNewLeader(killed.lines);
    const bursts = joinSyncBursts(newLeader.lines);
    // The moves above give times between recorded ones; a member's lines must stay in its own order whatever
    // the rounding, so each line's time is at least the one before it.
    let t = -Infinity;
    members.set(
      sid,
      bursts.lines.map((l) => {
        t = Math.max(t, l.tUs);
        return l.tUs === t ? l : { ...l, tUs: t };
      }),
    );
    syncsMoved += bursts.joined;
    newLeadersCoalesced += newLeader.coalesced;
  }
  return { members, syncsMoved, newLeadersCoalesced, syncsLostAtKill };
}
