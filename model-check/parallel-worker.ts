// One worker thread of the parallel breadth-first search (parallel.ts). It
// builds its own copy of the model from the spec's module (models are code,
// not data, so they cannot be posted; parallel-protocol.ts), keeps its share
// of the frontier, inserts into the fingerprint set shared by all workers,
// and checks properties on the states it finds with its own PropertyBook,
// whose paths are state references for the main thread to replay.
//
// The search is level-synchronous: the main thread starts a level, each
// worker expands its frontier and answers `done`, `paused` (the shared table
// needs to grow; it resumes where it stopped) or `stopped`. New states stay in
// the worker that found them; the main thread moves some between workers at
// level boundaries to even out the load. A state's reference is
// `localIndex * workers + workerId`: parents and action ordinals are kept in
// a local ParentTable (paths.ts) and handed to the main thread at the end,
// which rebuilds counterexamples by replay exactly as bfs.ts does.
//
// The expand loop repeats bfs.ts's on purpose: one shared loop calling back
// the engine per successor within the boundary (tried for issue #18) checked
// Paxos's bench preset at 40,141 distinct states per CPU-second against
// 43,544 for the inline loop (medians of 7 interleaved runs of 150,000
// states under tsx; Raft's 56,106 against 56,561), so each engine keeps its own.

import { deserialize, serialize } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { assert } from '../lib/assert.ts';
import { Fingerprinter } from './fingerprint.ts';
import type { Model } from './model.ts';
import { Lookahead } from './parallel-lookahead.ts';
import { findSpecIn, type RunStatus, STOP, type ToMain, type ToWorker, WAKE, type WorkerInit } from './parallel-protocol.ts';
import { ParentTable } from './paths.ts';
import { PropertyBook, type TraceSource } from './properties.ts';
import type { WorkerStats } from './parallel-stats.ts';
import { SharedFingerprintSet } from './shared-fingerprint-set.ts';
import { threadCpuMs } from './thread-cpu.ts';

// At most this many successors are kept aside while expanding ahead (parallel-lookahead.ts): raft's
// states are about a kilobyte, so the buffer stays near 64 MB however uneven a level ends; the kept
// states outlive a scavenge or two, so a larger buffer costs collector time for little: on a quiet
// machine a level ends within a few per cent of its states (parallel-stats.ts's imbalance).
const LOOKAHEAD_KEPT_MAX = 1 << 16;

class Worker<S, A> implements TraceSource<number> {
  private table: SharedFingerprintSet;
  private readonly control: Int32Array;
  private readonly fingerprinter: Fingerprinter<S>;
  private readonly properties: PropertyBook<S, number>;
  private readonly checkDeadlock: boolean;

  private frontier: (S | undefined)[] = [];
  private frontierRefs: number[] = [];
  private cursor = 0;
  private next: S[] = [];
  private nextRefs: number[] = [];
  private depth = 0;
  private generated = 0;
  private expanded = 0;
  // The counters the main thread reports (parallel-stats.ts); cpuMs is set when the last request is answered.
  readonly stats: WorkerStats = { cpuMs: undefined, busyMs: 0, waitMs: 0, growMs: 0, balanceMs: 0, expanded: 0, aheadMs: 0, aheadStates: 0 };
  private readonly cpuAtStart = threadCpuMs();
  private readonly lookahead = new Lookahead<S>();
  private readonly wake: number;
  // Claims in the shared table not yet added to its count, and how many may wait.
  private unpublished = 0;
  private publishEvery: number;
  /** Its share of the level is expanded (and the search not stopped): it may work ahead until the next level. */
  levelDone = false;
  private readonly paths = new ParentTable(1 << 12);
  private localCount = 0;
  // What is being expanded, for the report when the model throws.
  private expandingRef = -1;
  private trying: A | undefined = undefined;

  constructor(
    private readonly model: Model<S, A>,
    private readonly workerId: number,
    private readonly workers: number,
    table: SharedArrayBuffer,
    control: SharedArrayBuffer,
    private readonly statesMax: number,
    stopAtFirstViolation: boolean,
    checkDeadlock: boolean,
  ) {
    this.checkDeadlock = checkDeadlock && model.deadlock !== 'stuttering-ok';
    this.table = new SharedFingerprintSet(table);
    this.publishEvery = this.publishEveryFor(this.table);
    this.control = new Int32Array(control);
    this.wake = WAKE + workerId;
    this.fingerprinter = new Fingerprinter(model as Model<S, unknown>);
    this.properties = new PropertyBook<S, number>(model.properties, stopAtFirstViolation);
  }

  /** A message has arrived: the main thread's wake-up is consumed. */
  woken(): void {
    Atomics.store(this.control, this.wake, 0);
  }

  /** A worker cannot replay paths; its verdicts carry the state's reference instead. */
  trace(ref: number): number {
    return ref;
  }

  /** Answers one request and counts the time it took under its heading. */
  handle(message: ToWorker): ToMain {
    const start = performance.now();
    const reply = this.answer(message);
    const ms = performance.now() - start;
    const stats = this.stats;
    if (message.type === 'table') stats.growMs += ms;
    else if (message.type === 'give' || message.type === 'take') stats.balanceMs += ms;
    else if (message.type !== 'finish') stats.busyMs += ms;
    return reply;
  }

  private answer(message: ToWorker): ToMain {
    switch (message.type) {
      case 'seed':
        return this.seed();
      case 'level':
        this.levelDone = false;
        this.frontier = this.next;
        this.frontierRefs = this.nextRefs;
        this.next = [];
        this.nextRefs = [];
        this.cursor = 0;
        this.depth++;
        return this.expand();
      case 'resume':
        return this.expand();
      case 'table': {
        // Every worker rehashes its share of the old table's slots into the new one; all finish before any resumes.
        const grown = new SharedFingerprintSet(message.table);
        const capacity = this.table.capacity;
        const from = Math.floor((this.workerId * capacity) / this.workers);
        const to = Math.floor(((this.workerId + 1) * capacity) / this.workers);
        this.table.rehashShare(grown, from, to);
        this.table = grown;
        this.publishEvery = this.publishEveryFor(grown);
        return { type: 'ok' };
      }
      case 'give': {
        // States already expanded ahead stay: their successors are kept here.
        const from = Math.max(this.lookahead.expanded, this.next.length - message.count);
        const states = this.next.splice(from);
        const refs = this.nextRefs.splice(from);
        return { type: 'given', count: states.length, batch: serialize({ states, refs }) };
      }
      case 'take': {
        const { states, refs } = deserialize(message.batch) as { states: S[]; refs: number[] };
        for (let i = 0; i < states.length; i++) {
          this.next.push(states[i]!);
          this.nextRefs.push(refs[i]!);
        }
        return { type: 'ok' };
      }
      case 'finish': {
        const cpu = threadCpuMs();
        this.stats.cpuMs = cpu === undefined || this.cpuAtStart === undefined ? undefined : cpu - this.cpuAtStart;
        this.stats.expanded = this.expanded;
        const { parent, ordinal } = this.paths;
        return { type: 'arrays', parent: parent.slice(0, this.localCount), ordinal: ordinal.slice(0, this.localCount), stats: this.stats };
      }
      case 'init':
        assert(false, 'a worker is initialised once');
    }
  }

  private seed(): ToMain {
    const model = this.model;
    const inits = model.init();
    for (let i = 0; i < inits.length; i++) {
      const state = inits[i]!;
      this.generated++;
      if (!model.withinBoundary(state)) continue;
      this.admit(state, -1, i, 0);
    }
    return this.ran('done');
  }

  private expand(): ToMain {
    const model = this.model;
    const frontier = this.frontier;
    const table = this.table;
    try {
      while (this.cursor < frontier.length) {
        if (Atomics.load(this.control, STOP) !== 0) return this.ran('stopped');
        if (table.size + this.unpublished >= table.growAt) return this.ran('paused');
        const state = frontier[this.cursor]!;
        const ref = this.frontierRefs[this.cursor]!;
        frontier[this.cursor] = undefined;
        this.cursor++;
        this.expanded++;
        if (this.cursor <= this.lookahead.expanded) {
          this.replay(this.cursor - 1, ref);
          continue;
        }
        this.expandingRef = ref;
        this.trying = undefined;
        const actions = model.actions(state);
        let enabled = false;
        for (let a = 0; a < actions.length; a++) {
          const action = actions[a]!;
          this.trying = action;
          const successor = model.next(state, action);
          if (successor === undefined) continue;
          enabled = true;
          this.generated++;
          if (!model.withinBoundary(successor)) continue;
          this.admit(successor, ref, a, this.depth);
        }
        // The frontier's states are one level above the successors they yield (as bfs.ts, outside the boundary counts).
        if (!enabled && this.checkDeadlock && this.properties.deadlocked(this.depth - 1, this, ref)) Atomics.store(this.control, STOP, 1);
      }
      this.expandingRef = -1;
      this.lookahead.clear();
      return this.ran('done');
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const action = this.trying === undefined ? undefined : this.model.formatAction(this.trying);
      return { type: 'error', reason, ref: this.expandingRef, action };
    }
  }

  /** Inserts the successors kept for the index-th state expanded ahead, now that their level has come. */
  private replay(index: number, ref: number): void {
    const ahead = this.lookahead;
    this.generated += ahead.generatedBy(index);
    const { states, hi, lo, ordinals } = ahead;
    for (let j = ahead.start(index); j < ahead.end(index); j++) this.insert(states[j]!, hi[j]!, lo[j]!, ref, ordinals[j]!, this.depth);
    if (!ahead.enabledAt(index) && this.checkDeadlock && this.properties.deadlocked(this.depth - 1, this, ref)) Atomics.store(this.control, STOP, 1);
  }

  /**
   * While the other workers finish the level, expands the head of the next
   * frontier and keeps the successors not yet in the table (parallel-lookahead.ts),
   * until a message is on its way (WAKE), the search stops or the buffer is full.
   */
  lookAhead(): void {
    const { model, control, lookahead: ahead, next, fingerprinter } = this;
    const start = performance.now();
    const before = ahead.expanded;
    try {
      while (ahead.expanded < next.length && ahead.kept < LOOKAHEAD_KEPT_MAX) {
        if (Atomics.load(control, this.wake) !== 0 || Atomics.load(control, STOP) !== 0) break;
        const state = next[ahead.expanded]!;
        const actions = model.actions(state);
        let enabled = false;
        let generated = 0;
        for (let a = 0; a < actions.length; a++) {
          const successor = model.next(state, actions[a]!);
          if (successor === undefined) continue;
          enabled = true;
          generated++;
          if (!model.withinBoundary(successor)) continue;
          fingerprinter.fingerprint(successor);
          if (this.table.has(fingerprinter.hi, fingerprinter.lo)) continue;
          ahead.keep(successor, fingerprinter.hi, fingerprinter.lo, a);
        }
        ahead.close(generated, enabled);
      }
    } catch {
      // The model threw: that state is expanded again in its level, which reports the error with its path.
      ahead.abandon();
    }
    this.stats.aheadMs += performance.now() - start;
    this.stats.aheadStates += ahead.expanded - before;
  }

  /** Adds a state found at `depth` if it is new: records its parent, checks its properties, queues it. */
  private admit(state: S, parentRef: number, ordinal: number, depth: number): void {
    const fingerprinter = this.fingerprinter;
    fingerprinter.fingerprint(state);
    this.insert(state, fingerprinter.hi, fingerprinter.lo, parentRef, ordinal, depth);
  }

  private insert(state: S, hi: number, lo: number, parentRef: number, ordinal: number, depth: number): void {
    if (!this.table.claim(hi, lo)) return;
    const published = ++this.unpublished >= this.publishEvery;
    if (published) this.publish();
    const local = this.localCount++;
    this.paths.record(local, parentRef, ordinal);
    const ref = local * this.workers + this.workerId;
    assert(ref <= 0x7fffffff, () => `state reference ${ref} overflows int32`);
    this.next.push(state);
    this.nextRefs.push(ref);
    if (this.properties.check(state, depth, this, ref)) Atomics.store(this.control, STOP, 1);
    // Under a states budget every claim is published at once, so the count is exact here.
    if (published && this.table.size >= this.statesMax) Atomics.store(this.control, STOP, 1);
  }

  /** Adds this worker's claims to the shared count (shared-fingerprint-set.ts's `publish`). */
  private publish(): void {
    this.table.publish(this.unpublished);
    this.unpublished = 0;
  }

  /** How many claims to hold back: one under a states budget, which is checked against the shared count. */
  private publishEveryFor(table: SharedFingerprintSet): number {
    return Number.isFinite(this.statesMax) ? 1 : table.publishEvery;
  }

  private ran(status: RunStatus): ToMain {
    // The main thread reads the count between requests (growth, the report): every claim is in it.
    this.publish();
    this.levelDone = status === 'done';
    // The verdicts found since the last report; the main thread keeps them all.
    const verdicts = this.properties.verdicts.splice(0);
    return { type: 'ran', status, generated: this.generated, expanded: this.expanded, nextSize: this.next.length, verdicts };
  }
}

/** The bytes' ArrayBuffer, copied first unless they own all of it (a transfer detaches the whole buffer). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer as ArrayBuffer;
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return buffer;
  return bytes.slice().buffer as ArrayBuffer;
}

const port = parentPort;
assert(port !== null, 'parallel-worker.ts runs as a worker thread');
let worker: Worker<unknown, unknown> | undefined;
// When the last reply left: the time until the next request is time spent waiting for the coordinator.
let repliedAt = -1;
port.on('message', async (message: ToWorker) => {
  if (message.type === 'init') {
    const init: WorkerInit = message.init;
    const spec = await findSpecIn(init.rebuild.module, init.rebuild.name);
    const model = spec.build(init.rebuild.bounds, init.rebuild.mutant);
    worker = new Worker(model, init.workerId, init.workers, init.table, init.control, init.statesMax, init.stopAtFirstViolation, init.checkDeadlock);
    port.postMessage({ type: 'ok' } satisfies ToMain);
    return;
  }
  assert(worker !== undefined, 'worker used before init');
  worker.woken();
  if (repliedAt >= 0) worker.stats.waitMs += performance.now() - repliedAt;
  const reply = worker.handle(message);
  if (reply.type === 'arrays') {
    port.postMessage(reply, [reply.parent.buffer as ArrayBuffer, reply.ordinal.buffer as ArrayBuffer]);
  } else if (reply.type === 'given') {
    port.postMessage(reply, [ownBuffer(reply.batch)]);
  } else {
    port.postMessage(reply);
  }
  // A worker done with its level works ahead until the main thread's next message.
  if (worker.levelDone) worker.lookAhead();
  repliedAt = performance.now();
});
