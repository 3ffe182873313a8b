// The member files a real ensemble writes with ZKSPEC_PEER_TRACE_DIR: each
// member appends JSON lines to member-<myid>.jsonl (impl/ensemble/peer-trace.ts),
// one per event its peer core stepped, with the core's projection after it,
// plus `start` (a process start), `elected` (the election's outcome) and `end`
// (a run is over). This file reads and checks them; normalize.ts puts each
// member's lines in spec/zab's terms, merge.ts merges them into one recording,
// ensemble.ts validates it.

import { peerTraceLineSchema, type PeerProjection, type PeerTraceEvent, type PeerTraceLine } from '../../impl/ensemble/peer-trace.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** A zxid as a line writes it (hex), or 0 where the line has none. */
export const big = (hex: string | undefined): bigint => (hex === undefined ? 0n : BigInt(hex));
