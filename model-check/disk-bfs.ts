// Breadth-first search beyond memory, with checkpoints: TLC's BFS with its
// DiskStateQueue and DiskFPSet. The same search as bfs.ts (same order, same
// counts, shortest counterexamples), but its frontier is a DiskStateQueue
// (disk-state-queue.ts) that writes segments of states to a spill directory
// once the JS heap passes its share of the memory budget, its seen set may be
// a DiskFingerprintSet (disk-fingerprint-set.ts) whose table is bounded and
// whose older fingerprints are in a sorted file, and it can write a
// checkpoint (checkpoint.ts) every N seconds and continue from one.
//
// The expand loop is bfs.ts's, written again rather than shared: bfs.ts is
// the default path and stays an array and an index (a queue object in its
// loop would cost the in-memory search on every state). Here a checkpoint is
// taken between two expansions, where the state of the search is exactly:
// the frontier holds the states numbered nextIndex .. distinct - 1 in order,
// the seen set and parent table hold 0 .. distinct - 1, plus the counters.
// So a budget (statesMax, time) is only looked at between two expansions:
// the state being expanded is finished first, so a cut run may hold up to a
// branching factor more states than statesMax, and it leaves a checkpoint
// from which --recover continues to the same final counts.
//
// Memory per state with spilling: the seen set's table (bounded by half the
// budget), 8 bytes of parent table per state (paths.ts; kept in memory: 800
// MB at 10^8 states, 8 GB at 10^9), and a few segments of frontier states.

import { closeSync, openSync, readSync } from 'node:fs';
import { assert } from '../lib/assert.ts';
import { CheckpointError, checkpointMismatch, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { DiskFingerprintSet, writeAll } from './disk-fingerprint-set.ts';
import { DiskStateQueue } from './disk-state-queue.ts';
import type { Exploration } from './explore.ts';
import { FingerprintSet } from './fingerprint-set.ts';
import type { Model } from './model.ts';
import { ParentTable, replayPath } from './paths.ts';
import type { TraceSource, Verdict } from './properties.ts';
import { modelError, type Trace } from './report-types.ts';
import { codecOf, type StateCodec } from './state-codec.ts';

const TICK_MASK = (1 << 12) - 1;
const SEGMENT_STATES = 1 << 13;
const READ_CHUNK_BYTES = 1 << 26;

export interface DiskOptions {
  /** Where frontier segments and the sorted fingerprint file go; without it nothing spills (checkpoints only). */
  readonly spillDirectory?: string;
  /** The memory budget: half for the seen set's table, and the frontier spills once the JS heap passes the other half. */
  readonly memoryBytes: number;
  readonly checkpoint?: { readonly directory: string; readonly everyMs: number };
  /** A checkpoint directory to continue from. */
  readonly recover?: string;
  /** What the run is (spec, bounds, mutant): stored in each checkpoint; a recovery of another run is refused. */
  readonly identity: unknown;
  /** States per frontier segment (default 8,192; tests use a small one to exercise spilling). */
  readonly segmentStates?: number;
}

/** The counters a checkpoint holds (meta.json's content). */
interface Counters {
  readonly codec: StateCodec<unknown>['kind'];
  readonly nextIndex: number;
  readonly depth: number;
  readonly levelEnd: number;
  readonly generated: number;
  readonly maxDepth: number;
  readonly distinct: number;
  readonly frontierStates: number;
  readonly frontierBytes: number;
  readonly verdicts: readonly Verdict<Trace>[];
}

/** The seen set for `options`: disk-backed when there is a spill directory. */
export function seenSetFor(options: DiskOptions): FingerprintSet | DiskFingerprintSet {
  return options.spillDirectory === undefined ? new FingerprintSet() : new DiskFingerprintSet(options.spillDirectory, options.memoryBytes / 2);
}

export class DiskBreadthFirstSearch<S, A> implements TraceSource {
  private paths = new ParentTable(1 << 16);
  private readonly inits: readonly S[];
  private readonly codec: StateCodec<S>;
  private readonly queue: DiskStateQueue<S>;
  private nextIndex = 0;
  private depth = 0;
  private levelEnd = 0;
  private nextCheckpointMs: number;
  private expanding = -1;
  private trying: A | undefined = undefined;
  /** Checkpoints written by this run. */
  checkpoints = 0;

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
    private readonly options: DiskOptions,
  ) {
    this.inits = model.init();
    this.codec = codecOf(model as Model<S, unknown>);
    const heapBudget = exploration.heapAtStartBytes + options.memoryBytes / 2;
    this.queue = new DiskStateQueue(this.codec, {
      ...(options.spillDirectory === undefined ? {} : { directory: options.spillDirectory }),
      segmentStates: options.segmentStates ?? SEGMENT_STATES,
      shouldSpill: () => process.memoryUsage().heapUsed > heapBudget,
    });
    this.nextCheckpointMs = Date.now() + (options.checkpoint?.everyMs ?? Number.POSITIVE_INFINITY);
  }

  /** The most bytes spilled at once: frontier segments plus the sorted fingerprint file. */
  get diskPeakBytes(): number {
    const seen = this.exploration.seen;
    return this.queue.diskBytesPeak + (seen instanceof DiskFingerprintSet ? seen.diskBytes : 0);
  }

  /** Returns whether the search covered every reachable state within the boundary. */
  run(): boolean {
    try {
      return this.search();
    } catch (error) {
      if (this.expanding < 0 || error instanceof CheckpointError) throw error;
      const action = this.trying === undefined ? undefined : this.model.formatAction(this.trying);
      throw modelError(error, this.trace(this.expanding), action);
    } finally {
      this.exploration.pathBytes = this.paths.parent.byteLength + this.paths.ordinal.byteLength;
      this.queue.close();
      const seen = this.exploration.seen;
      if (seen instanceof DiskFingerprintSet) seen.close();
    }
  }

  private search(): boolean {
    if (this.options.recover === undefined) {
      if (this.addInitialStates()) return false;
    } else {
      this.restore(this.options.recover);
    }
    const model = this.model;
    const exploration = this.exploration;
    const queue = this.queue;
    while (queue.size > 0) {
      const index = this.nextIndex;
      if (index === this.levelEnd) {
        this.depth++;
        this.levelEnd = exploration.seen.size;
      }
      if ((index & TICK_MASK) === 0) {
        exploration.tick(this.depth, queue.size);
        if (Date.now() >= this.nextCheckpointMs) this.checkpoint();
      }
      if (exploration.isFull) {
        if (this.options.checkpoint !== undefined) this.checkpoint();
        return false;
      }
      const state = queue.dequeue();
      this.nextIndex++;
      this.expanding = index;
      this.trying = undefined;
      const actions = model.actions(state);
      // A successor outside the boundary still counts against a deadlock, as in TLC (and bfs.ts).
      let enabled = false;
      for (let a = 0; a < actions.length; a++) {
        const action = actions[a]!;
        this.trying = action;
        const successor = model.next(state, action);
        if (successor === undefined) continue;
        enabled = true;
        exploration.generated++;
        if (!model.withinBoundary(successor)) continue;
        const successorIndex = exploration.add(successor);
        if (successorIndex < 0) continue;
        this.paths.record(successorIndex, index, a);
        queue.enqueue(successor);
        if (exploration.checkProperties(successor, this.depth + 1, this, successorIndex)) return false;
      }
      if (!enabled && exploration.checkDeadlock && exploration.deadlocked(this.depth, this, index)) return false;
    }
    return true;
  }

  /** bfs.ts's start: returns true when the search must stop already. */
  private addInitialStates(): boolean {
    const { model, exploration, inits } = this;
    for (let i = 0; i < inits.length; i++) {
      const state = inits[i]!;
      exploration.generated++;
      if (!model.withinBoundary(state)) continue;
      const index = exploration.add(state);
      if (index < 0) continue;
      this.paths.record(index, -1, i);
      this.queue.enqueue(state);
      if (exploration.checkProperties(state, 0, this, index)) return true;
      if (exploration.isFull) return true;
    }
    this.levelEnd = exploration.seen.size;
    return false;
  }

  private checkpoint(): void {
    const target = this.options.checkpoint;
    if (target === undefined) return;
    const exploration = this.exploration;
    const distinct = exploration.seen.size;
    let frontierBytes = 0;
    const counters = (): Counters => ({
      codec: this.codec.kind,
      nextIndex: this.nextIndex,
      depth: this.depth,
      levelEnd: this.levelEnd,
      generated: exploration.generated,
      maxDepth: exploration.maxDepth,
      distinct,
      frontierStates: this.queue.size,
      frontierBytes,
      verdicts: exploration.properties.verdicts,
    });
    assert(this.nextIndex + this.queue.size === distinct, 'the frontier holds the states numbered nextIndex .. distinct - 1');
    const parts = {
      'frontier.seg': (fd: number) => {
        frontierBytes = this.queue.writeTo(fd);
      },
      'seen.bin': (fd: number) => writeSeen(exploration.seen as FingerprintSet | DiskFingerprintSet, fd),
      'parents.bin': (fd: number) => writeAll(fd, bytesOf(this.paths.parent, distinct)),
      'ordinals.bin': (fd: number) => writeAll(fd, bytesOf(this.paths.ordinal, distinct)),
    };
    // The frontier is written first, so its byte count is known when meta.json is written last.
    writeCheckpoint<Counters>(target.directory, this.options.identity, counters, parts);
    this.checkpoints++;
    this.nextCheckpointMs = Date.now() + target.everyMs;
  }

  private restore(directory: string): void {
    const mismatch = checkpointMismatch(directory, this.options.identity);
    if (mismatch !== undefined) throw new CheckpointError(`cannot recover: ${mismatch}`);
    const checkpoint = readCheckpoint<Counters>(directory);
    const counters = checkpoint.meta.content;
    if (counters.codec !== this.codec.kind) {
      throw new CheckpointError(`cannot recover: the checkpoint's states were written by the ${counters.codec} codec, this model uses ${this.codec.kind}`);
    }
    const exploration = this.exploration;
    readWords(checkpoint.part('seen.bin'), 2, (words, n) => {
      for (let i = 0; i < n; i++) exploration.seen.add(words[2 * i + 1]!, words[2 * i]!);
    });
    assert(exploration.seen.size === counters.distinct, () => `seen.bin holds ${exploration.seen.size} fingerprints, the checkpoint says ${counters.distinct}`);
    this.paths = new ParentTable(Math.max(1 << 16, counters.distinct));
    readInto(checkpoint.part('parents.bin'), this.paths.parent, counters.distinct);
    readInto(checkpoint.part('ordinals.bin'), this.paths.ordinal, counters.distinct);
    this.queue.adoptFile(checkpoint.part('frontier.seg'), counters.frontierStates, counters.frontierBytes);
    this.nextIndex = counters.nextIndex;
    this.depth = counters.depth;
    this.levelEnd = counters.levelEnd;
    exploration.generated = counters.generated;
    exploration.maxDepth = counters.maxDepth;
    const stored = counters.verdicts;
    const source: TraceSource = { trace: (i) => stored[i]!.trace };
    stored.forEach((verdict, i) => exploration.properties.adopt({ ...verdict, trace: i }, source));
  }

  trace(index: number): Trace {
    const { parent, ordinal } = this.paths;
    const ordinals: number[] = [];
    for (let at = index; at !== -1; at = parent[at]!) ordinals.push(ordinal[at]!);
    return replayPath(this.model, this.inits, ordinals);
  }
}

/** The seen set's fingerprints as 64-bit little-endian numbers (words lo, hi), in any order. */
function writeSeen(seen: FingerprintSet | DiskFingerprintSet, fd: number): void {
  if (seen instanceof DiskFingerprintSet) {
    seen.writeTo(fd);
    return;
  }
  const pairs = seen.pairs();
  for (let i = 0; i < pairs.length; i += 2) {
    const hi = pairs[i]!;
    pairs[i] = pairs[i + 1]!;
    pairs[i + 1] = hi;
  }
  writeAll(fd, new Uint8Array(pairs.buffer, pairs.byteOffset, pairs.byteLength));
}

/** The first `count` entries of an Int32Array as bytes (no copy). */
function bytesOf(array: Int32Array, count: number): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, count * 4);
}

/** Reads `path` in chunks of whole records of `wordsPerRecord` 32-bit words, calling `each(words, records)`. */
function readWords(path: string, wordsPerRecord: number, each: (words: Uint32Array, records: number) => void): void {
  const recordBytes = wordsPerRecord * 4;
  const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES - (READ_CHUNK_BYTES % recordBytes));
  const fd = openSync(path, 'r');
  try {
    for (let at = 0; ; ) {
      const read = readSync(fd, chunk, 0, chunk.length, at);
      if (read === 0) return;
      assert(read % recordBytes === 0, () => `${path} ends inside a record`);
      each(new Uint32Array(chunk.buffer, chunk.byteOffset, read / 4), read / recordBytes);
      at += read;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads the first `count` entries of `into` from `path`. */
function readInto(path: string, into: Int32Array, count: number): void {
  const bytes = new Uint8Array(into.buffer, into.byteOffset, count * 4);
  const fd = openSync(path, 'r');
  try {
    let at = 0;
    while (at < bytes.length) {
      const read = readSync(fd, bytes, at, Math.min(READ_CHUNK_BYTES, bytes.length - at), at);
      assert(read > 0, () => `${path} holds ${at} bytes, expected ${bytes.length}`);
      at += read;
    }
  } finally {
    closeSync(fd);
  }
}
