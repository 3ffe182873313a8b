// One worker thread of the parallel breadth-first search (parallel.ts). It
// builds its own copy of the model from the spec's module (models are code,
// not data, so they cannot be posted), keeps its share of the frontier, and
// inserts into the fingerprint set shared by all workers.
//
// The search is level-synchronous: the main thread starts a level, each
// worker expands its frontier and answers `done`, `paused` (the shared table
// needs to grow; it resumes where it stopped) or `stopped`. New states stay in
// the worker that found them; the main thread moves some between workers at
// level boundaries to even out the load. A state's reference is
// `localIndex * workers + workerId`: parents and action ordinals are kept in
// local typed arrays and handed to the main thread at the end, which rebuilds
// counterexamples by replay exactly as bfs.ts does.

import { parentPort } from 'node:worker_threads';
import { assert } from '../lib/assert.ts';
import { Fingerprinter } from './fingerprint.ts';
import type { Bounds, Model, Property } from './model.ts';
import type { Found, ToMain, ToWorker } from './parallel.ts';
import { findSpecIn } from './parallel.ts';
import { SharedFingerprintSet } from './shared-fingerprint-set.ts';

const STOP = 0;

class Worker<S, A> {
  private table: SharedFingerprintSet;
  private readonly control: Int32Array;
  private readonly fingerprinter: Fingerprinter<S>;
  private readonly always: Property<S>[];
  private readonly alwaysReported: boolean[];
  private readonly sometimes: Property<S>[];
  private readonly sometimesReached: boolean[];
  private found: Found[] = [];

  private frontier: (S | undefined)[] = [];
  private frontierRefs: number[] = [];
  private cursor = 0;
  private next: S[] = [];
  private nextRefs: number[] = [];
  private depth = 0;
  private generated = 0;
  private parent = new Int32Array(1 << 12);
  private ordinal = new Int32Array(1 << 12);
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
    private readonly stopAtFirstViolation: boolean,
  ) {
    this.table = new SharedFingerprintSet(table);
    this.control = new Int32Array(control);
    this.fingerprinter = new Fingerprinter(model as Model<S, unknown>);
    this.always = model.properties.filter((p) => p.kind === 'always');
    this.alwaysReported = this.always.map(() => false);
    this.sometimes = model.properties.filter((p) => p.kind === 'sometimes');
    this.sometimesReached = this.sometimes.map(() => false);
  }

  handle(message: ToWorker): ToMain {
    switch (message.type) {
      case 'seed':
        return this.seed();
      case 'level':
        this.frontier = this.next;
        this.frontierRefs = this.nextRefs;
        this.next = [];
        this.nextRefs = [];
        this.cursor = 0;
        this.depth++;
        return this.expand();
      case 'resume':
        return this.expand();
      case 'table':
        this.table = new SharedFingerprintSet(message.table);
        return { type: 'ok' };
      case 'give': {
        const from = Math.max(0, this.next.length - message.count);
        const states = this.next.splice(from);
        const refs = this.nextRefs.splice(from);
        return { type: 'given', states, refs };
      }
      case 'take':
        for (let i = 0; i < message.states.length; i++) {
          this.next.push(message.states[i] as S);
          this.nextRefs.push(message.refs[i]!);
        }
        return { type: 'ok' };
      case 'finish':
        return { type: 'arrays', parent: this.parent.slice(0, this.localCount), ordinal: this.ordinal.slice(0, this.localCount) };
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
        if (table.size >= table.growAt) return this.ran('paused');
        const state = frontier[this.cursor]!;
        const ref = this.frontierRefs[this.cursor]!;
        frontier[this.cursor] = undefined;
        this.cursor++;
        this.expandingRef = ref;
        this.trying = undefined;
        const actions = model.actions(state);
        for (let a = 0; a < actions.length; a++) {
          const action = actions[a]!;
          this.trying = action;
          const successor = model.next(state, action);
          if (successor === undefined) continue;
          this.generated++;
          if (!model.withinBoundary(successor)) continue;
          this.admit(successor, ref, a, this.depth);
        }
      }
      this.expandingRef = -1;
      return this.ran('done');
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const action = this.trying === undefined ? undefined : this.model.formatAction(this.trying);
      return { type: 'error', reason, ref: this.expandingRef, action };
    }
  }

  /** Adds a state found at `depth` if it is new: records its parent, checks its properties, queues it. */
  private admit(state: S, parentRef: number, ordinal: number, depth: number): void {
    const fingerprinter = this.fingerprinter;
    fingerprinter.fingerprint(state);
    if (!this.table.add(fingerprinter.hi, fingerprinter.lo)) return;
    const local = this.localCount++;
    if (local >= this.parent.length) {
      const parent = new Int32Array(this.parent.length * 2);
      parent.set(this.parent);
      this.parent = parent;
      const ordinals = new Int32Array(this.ordinal.length * 2);
      ordinals.set(this.ordinal);
      this.ordinal = ordinals;
    }
    this.parent[local] = parentRef;
    this.ordinal[local] = ordinal;
    const ref = local * this.workers + this.workerId;
    assert(ref <= 0x7fffffff, () => `state reference ${ref} overflows int32`);
    this.next.push(state);
    this.nextRefs.push(ref);
    this.checkProperties(state, ref, depth);
    if (this.table.size >= this.statesMax) Atomics.store(this.control, STOP, 1);
  }

  private checkProperties(state: S, ref: number, depth: number): void {
    for (let i = 0; i < this.always.length; i++) {
      if (this.alwaysReported[i] || this.always[i]!.holds(state)) continue;
      this.alwaysReported[i] = true;
      this.found.push({ kind: 'always', property: this.always[i]!.name, ref, depth });
      if (this.stopAtFirstViolation) Atomics.store(this.control, STOP, 1);
    }
    for (let i = 0; i < this.sometimes.length; i++) {
      if (this.sometimesReached[i] || !this.sometimes[i]!.holds(state)) continue;
      this.sometimesReached[i] = true;
      this.found.push({ kind: 'sometimes', property: this.sometimes[i]!.name, ref, depth });
    }
  }

  private ran(status: 'done' | 'paused' | 'stopped'): ToMain {
    const found = this.found;
    this.found = [];
    return { type: 'ran', status, generated: this.generated, nextSize: this.next.length, found };
  }
}

interface WorkerInit {
  readonly module: string;
  readonly name: string;
  readonly bounds: Bounds;
  readonly mutant: string | undefined;
  readonly workerId: number;
  readonly workers: number;
  readonly table: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly statesMax: number;
  readonly stopAtFirstViolation: boolean;
}

const port = parentPort;
assert(port !== null, 'parallel-worker.ts runs as a worker thread');
let worker: Worker<unknown, unknown> | undefined;
port.on('message', async (message: ToWorker | { type: 'init'; init: WorkerInit }) => {
  if (message.type === 'init') {
    const init = message.init;
    const spec = await findSpecIn(init.module, init.name);
    const model = spec.build(init.bounds, init.mutant);
    worker = new Worker(model, init.workerId, init.workers, init.table, init.control, init.statesMax, init.stopAtFirstViolation);
    port.postMessage({ type: 'ok' } satisfies ToMain);
    return;
  }
  assert(worker !== undefined, 'worker used before init');
  const reply = worker.handle(message);
  if (reply.type === 'arrays') {
    port.postMessage(reply, [reply.parent.buffer as ArrayBuffer, reply.ordinal.buffer as ArrayBuffer]);
  } else {
    port.postMessage(reply);
  }
});
