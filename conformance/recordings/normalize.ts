// Each member's lines put in spec/zab's terms before merge.ts merges them.
// spec/zab takes some of a member's steps as one atomic action that the
// ensemble's core reports in several lines; where that changes nothing another
// member saw, the lines are rewritten into the spec's shape, and counted for
// the merge's notes:
//
// - The disk. `loggedZxid` is the core's syncedZxid (the LogSynced it has
//   seen). spec/zab's DiskSync makes the whole queue durable, while the
//   storage reports each fsync's zxids: joinSyncBursts, normalizeGroupCommits
//   and coalesceNewLeader put the reports in spec terms where that changes
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
