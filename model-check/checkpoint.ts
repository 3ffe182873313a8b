// Checkpoints of a long breadth-first search (TLC's -checkpoint and
// -recover): a directory holding `manifest.json`, which names the current
// checkpoint, and one subdirectory per checkpoint with its part files (the
// frontier, the seen set's fingerprints, the parent table) and `meta.json`
// (the counters, the verdicts so far, and what run it belongs to).
//
// A checkpoint is written so that a crash at any moment leaves the previous
// one usable: the parts go into `cp-N.tmp/`, each file is fsynced, the
// directory is renamed to `cp-N` and the parent fsynced, and only then is
// `manifest.json` replaced (written to a temporary name, fsynced, renamed)
// and the older checkpoint deleted. A recovery reads what the manifest
// names, so it never sees a half-written checkpoint.
//
// The file layout is generic (the engine, disk-bfs.ts, knows what the parts
// hold); what is checked here is that a recovery belongs to the same run: the
// identity stored (the spec, its bounds and mutant, as the caller describes
// the run) must equal the recovering run's.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffViews, formatChange } from './counterexample.ts';

const MANIFEST = 'manifest.json';
const FORMAT = 'zkspec-checkpoint-1';

export interface CheckpointMeta<C> {
  readonly format: typeof FORMAT;
  /** What run this is (spec, bounds, mutant...): a recovery must describe itself identically. */
  readonly identity: unknown;
  readonly createdAt: string;
  /** The engine's own counters and bookkeeping (JSON). */
  readonly content: C;
}

/**
 * Writes a checkpoint into `directory` (created if missing): each part by its
 * writer in the order given, then the meta (its content computed after the
 * parts, which may count what they wrote), then the switch.
 */
export function writeCheckpoint<C>(directory: string, identity: unknown, content: () => C, parts: Readonly<Record<string, (fd: number) => void>>): string {
  mkdirSync(directory, { recursive: true });
  const previous = currentName(directory);
  const sequence = previous === undefined ? 1 : Number(previous.slice(3)) + 1;
  const name = `cp-${sequence}`;
  const staging = join(directory, `${name}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  for (const [part, write] of Object.entries(parts)) {
    const fd = openSync(join(staging, part), 'w');
    try {
      write(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const meta: CheckpointMeta<C> = { format: FORMAT, identity, createdAt: new Date().toISOString(), content: content() };
  writeDurably(join(staging, 'meta.json'), JSON.stringify(meta));
  fsyncDirectory(staging);
  renameSync(staging, join(directory, name));
  fsyncDirectory(directory);
  writeDurably(join(directory, `${MANIFEST}.tmp`), JSON.stringify({ format: FORMAT, current: name }));
  renameSync(join(directory, `${MANIFEST}.tmp`), join(directory, MANIFEST));
  fsyncDirectory(directory);
  // Older checkpoints and staging left by a crash: only the current one is kept.
  for (const entry of readdirSync(directory)) {
    if (entry !== name && entry.startsWith('cp-')) rmSync(join(directory, entry), { recursive: true, force: true });
  }
  return join(directory, name);
}

export interface Checkpoint<C> {
  readonly meta: CheckpointMeta<C>;
  /** The path of a part file. */
  part(name: string): string;
}

/** Reads the checkpoint `directory`'s manifest names; throws CheckpointError when there is none or it is unreadable. */
export function readCheckpoint<C>(directory: string): Checkpoint<C> {
  const name = currentName(directory);
  if (name === undefined) throw new CheckpointError(`no checkpoint in ${directory} (no ${MANIFEST})`);
  const meta = JSON.parse(readFileSync(join(directory, name, 'meta.json'), 'utf8')) as CheckpointMeta<C>;
  if (meta.format !== FORMAT) throw new CheckpointError(`${directory} holds a checkpoint of format ${String(meta.format)}, not ${FORMAT}`);
  return { meta, part: (part) => join(directory, name, part) };
}

/** Why the checkpoint in `directory` cannot be recovered by a run described by `identity`, or undefined when it can. */
export function checkpointMismatch(directory: string, identity: unknown): string | undefined {
  let stored: unknown;
  try {
    stored = readCheckpoint(directory).meta.identity;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const want = JSON.stringify(identity);
  const have = JSON.stringify(stored);
  if (want === have) return undefined;
  const differences = diffViews(stored, JSON.parse(want)).map(formatChange).join('; ');
  return `the checkpoint in ${directory} is of another run (${differences}): it holds ${have}, this run is ${want}`;
}

/** A checkpoint that is missing, unreadable or of another run. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

function currentName(directory: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(directory, MANIFEST), 'utf8');
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(text) as { current?: unknown };
  if (typeof manifest.current !== 'string' || !/^cp-\d+$/.test(manifest.current)) {
    throw new CheckpointError(`${join(directory, MANIFEST)} names no checkpoint`);
  }
  return manifest.current;
}

function writeDurably(path: string, text: string): void {
  writeFileSync(path, text);
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
