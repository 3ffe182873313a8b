// Breadth-first search on several worker threads (TLC's -workers), the
// `parallel-bfs` strategy of check(): a model is code, so each worker rebuilds
// it from a module, a spec name, bounds and mutant (parallel-protocol.ts). The
// workers share one fingerprint set (shared-fingerprint-set.ts, lock-free
// inserts) and each keeps the states it discovers (parallel-worker.ts), so
// states cross threads only when the main thread evens out the frontiers at a
// level boundary. Each worker checks properties on the states it finds with
// its own PropertyBook (properties.ts) and sends its first verdicts; the main
// thread adopts them into one book, shallowest first, as the sequential
// search would have recorded them.
//
// Levels are synchronous, so depths, distinct and generated counts equal the
// single-threaded search's, and every counterexample is still a shortest one
// (which of several shortest ones is reported may vary from run to run). A
// worker that ends its share of a level first does not sit at the barrier: it
// expands the head of its next frontier ahead and keeps the successors aside
// until the next level starts (parallel-lookahead.ts), which keeps the order.
// When the shared table reaches its load limit, every worker pauses at a
// state boundary, the workers rehash into a table four (later two) times as
// large (each a share of the old slots), and resume. States cross threads serialised by
// v8.serialize, so they must be plain data (as spec/ states are). A statesMax or time budget stops the
// workers at their next state, so distinctStates may pass statesMax by a few
// states per worker. Counterexamples are rebuilt on the main thread from the
// workers' parent and action-ordinal arrays by replay (paths.ts), as in bfs.ts.
//
// Moving a state between threads is dear: serialising a raft state and
// reading it back each took about 3.5 times as long as expanding it (20,000
// states, v8.serialize and structuredClone alike, measured under load on the
// 2-core machine). So states move only at level boundaries, when the
// workers' shares of the next level differ by half the mean or more, as one
// serialised batch the heavier worker writes and the lighter reads; the main
// thread passes the bytes on (a transfer, no copy) and does no work per state.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assert } from '../lib/assert.ts';
import { bundleUrl, inBundle } from '../lib/bundle.ts';
import type { Model } from './model.ts';
import type { ModelSource, ToMain, ToWorker } from './parallel-protocol.ts';
import { controlBytes, STOP, WAKE } from './parallel-protocol.ts';
import { replayPath } from './paths.ts';
import { type ProgressOptions, ProgressLine } from './progress.ts';
import { PropertyBook, type TraceSource, type Verdict } from './properties.ts';
import { modelError, type SearchOutcome, type Trace } from './report-types.ts';
import type { ParallelStats, WorkerStats } from './parallel-stats.ts';
import { SharedFingerprintSet } from './shared-fingerprint-set.ts';
import { threadCpuMs } from './thread-cpu.ts';

export interface ParallelOptions {
  readonly workers: number;
  readonly rebuild: ModelSource;
  readonly statesMax: number;
  readonly stopAtFirstViolation: boolean;
  /** The deadlock check; each worker also reads its model's deadlock: 'stuttering-ok'. */
  readonly checkDeadlock: boolean;
  readonly timeMaxMs: number;
  /** The progress line (progress.ts), or undefined for none. */
  readonly progress: ProgressOptions | undefined;
  /** The shared table's initial size (tests use a small one to exercise growth). */
  readonly capacityLog2: number;
}

// Each worker's young generation (V8's two semi-spaces and its new large
// object space: three semi-spaces). Every new distinct state stays alive until
// the next level expands it, so it survives scavenges; with V8's default for
// a worker (16 MB semi-spaces) raft's ci preset ran hundreds of scavenges per
// million states. 64 MB semi-spaces cut the CPU time of 1,000,000 raft states
// on 2 workers by 10-12% (25.6 and 21.5 CPU-s against 28.1 and 24.5;
// interleaved A/B, 2 pairs, on the shared 2-core machine at load 28-32).
const WORKER_YOUNG_GENERATION_MB = 3 * 64;

// From the bundles (lib/bundle.ts), a worker starts from dist/check-worker.js on node alone.
// Under tsx, workers do not inherit tsx's module hooks, so each one registers tsx before importing
// the worker's source.
function spawnWorker(): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
  if (inBundle) return new Worker(bundleUrl('check-worker.js'), { execArgv: [], resourceLimits });
  const tsxDirectory = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDirectory, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./parallel-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); }).catch((error) => { console.error(error); process.exit(70); });`;
  return new Worker(bootstrap, { eval: true, execArgv: [], resourceLimits });
}

/** One worker with at most one request in flight; a crash or exit rejects it. */
class WorkerChannel {
  private resolve: ((reply: ToMain) => void) | undefined;
  private reject: ((error: Error) => void) | undefined;
  private failure: Error | undefined;

  constructor(
    readonly worker: Worker,
    private readonly control: Int32Array,
    private readonly workerId: number,
  ) {
    worker.on('message', (reply: ToMain) => {
      const resolve = this.resolve;
      assert(resolve !== undefined, () => `unexpected message from a worker: ${reply.type}`);
      this.resolve = undefined;
      this.reject = undefined;
      resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      const reject = this.reject;
      this.resolve = undefined;
      this.reject = undefined;
      reject?.(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
  }

  request(message: ToWorker, transfer: ArrayBuffer[] = []): Promise<ToMain> {
    assert(this.resolve === undefined, 'one request per worker at a time');
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      // A worker expanding ahead (parallel-lookahead.ts) polls this word and returns to read the message.
      Atomics.store(this.control, WAKE + this.workerId, 1);
      this.worker.postMessage(message, transfer);
    });
  }
}

const BALANCE_STATES_MIN = 64;
// Shares of the next level that differ by less than this fraction of the mean stay where they are:
// the lighter worker expands ahead while the heavier finishes (parallel-lookahead.ts), which costs
// nothing, while moving a state costs about seven expansions (serialise plus deserialise).
const BALANCE_SPREAD_MIN = 0.5;

export async function parallelBreadthFirst<S, A>(model: Model<S, A>, options: ParallelOptions): Promise<SearchOutcome> {
  return new ParallelSearch(model, options).run();
}

type WorkerError = { readonly reason: string; readonly ref: number; readonly action: string | undefined };

/** The main thread's side: starts the workers, runs the levels, grows the table, and gathers the outcome. */
class ParallelSearch<S, A> {
  private readonly workers: number;
  private table: SharedFingerprintSet;
  private readonly control: SharedArrayBuffer;
  private readonly channels: WorkerChannel[];
  private readonly generated: number[];
  private readonly nextSizes: number[];
  // States each worker has expanded so far, for the level-end imbalance (parallel-stats.ts).
  private readonly expanded: number[];
  private readonly processCpuAtStart = process.cpuUsage();
  private readonly coordinatorCpuAtStart = threadCpuMs();
  private levels = 0;
  private growths = 0;
  private moved = 0;
  private waitedStates = 0;
  private stats: ParallelStats | undefined;
  private readonly verdicts: Verdict<number>[] = [];
  private depth = 0;
  private maxDepth = 0;
  private stopped = false;
  private error: WorkerError | undefined;

  constructor(
    private readonly model: Model<S, A>,
    private readonly options: ParallelOptions,
  ) {
    const workers = options.workers;
    assert(Number.isInteger(workers) && workers >= 1 && workers <= 64, () => `workers ${workers} must be 1..64`);
    this.workers = workers;
    this.table = SharedFingerprintSet.create(options.capacityLog2);
    this.generated = new Array<number>(workers).fill(0);
    this.nextSizes = new Array<number>(workers).fill(0);
    this.expanded = new Array<number>(workers).fill(0);
    this.control = new SharedArrayBuffer(controlBytes(workers));
    const words = new Int32Array(this.control);
    this.channels = Array.from({ length: workers }, (_, w) => new WorkerChannel(spawnWorker(), words, w));
  }

  async run(): Promise<SearchOutcome> {
    const stopTimers = this.startTimers();
    let paths: WorkerPaths<S, A>;
    try {
      await this.start();
      while (this.error === undefined && !this.stopped && this.nextSizes.some((n) => n > 0)) await this.level();
      paths = await this.collectPaths();
    } finally {
      stopTimers();
      await Promise.all(this.channels.map((channel) => channel.worker.terminate()));
    }
    const error = this.error;
    if (error !== undefined) {
      const at = error.ref < 0 ? { initial: undefined, steps: [] } : paths.trace(error.ref);
      throw modelError(error.reason, at, error.action);
    }
    return this.outcome(paths);
  }

  /** The time budget raises the stop flag; the progress line is printed every few seconds. Returns what stops both. */
  private startTimers(): () => void {
    const { timeMaxMs, progress } = this.options;
    const timer = Number.isFinite(timeMaxMs) ? setTimeout(() => Atomics.store(new Int32Array(this.control), STOP, 1), timeMaxMs) : undefined;
    const line = progress === undefined ? undefined : new ProgressLine(progress, Date.now());
    const progressTimer =
      progress === undefined
        ? undefined
        : setInterval(() => {
            line?.show(Date.now(), { distinct: this.table.size, generated: -1, queued: -1, depth: this.depth, workers: this.workers });
          }, progress.everyMs);
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      if (progressTimer !== undefined) clearInterval(progressTimer);
      line?.finish();
    };
  }

  /** Every worker rebuilds the model; worker 0 adds the initial states. */
  private async start(): Promise<void> {
    const { rebuild, statesMax, stopAtFirstViolation, checkDeadlock } = this.options;
    const { workers, control } = this;
    await Promise.all(
      this.channels.map((channel, workerId) =>
        channel.request({ type: 'init', init: { rebuild, workerId, workers, table: this.table.buffer, control, statesMax, stopAtFirstViolation, checkDeadlock } }),
      ),
    );
    this.record(0, await this.channels[0]!.request({ type: 'seed' }));
  }

  /** One level: even out the frontiers, expand them all, and grow the table each time the workers pause for it. */
  private async level(): Promise<void> {
    this.moved += await balance(this.channels, this.nextSizes);
    this.depth++;
    this.levels++;
    const before = [...this.expanded];
    let statuses = await Promise.all(this.channels.map(async (channel, w) => this.record(w, await channel.request({ type: 'level' }))));
    while (this.error === undefined && statuses.some((s) => s.type === 'ran' && s.status === 'paused')) {
      // Every worker has stopped adding (paused, done or stopped): they rehash into a larger table together.
      this.table = this.table.emptyGrown(this.table.growthStep);
      this.growths++;
      await Promise.all(this.channels.map((channel) => channel.request({ type: 'table', table: this.table.buffer })));
      const paused = statuses;
      statuses = await Promise.all(
        this.channels.map(async (channel, w) => {
          const status = paused[w]!;
          return status.type === 'ran' && status.status === 'paused' ? this.record(w, await channel.request({ type: 'resume' })) : status;
        }),
      );
    }
    if (this.nextSizes.some((n) => n > 0)) this.maxDepth = this.depth;
    // Every worker waited at the level's end for the one that expanded the most.
    const done = this.expanded.map((n, w) => n - before[w]!);
    const most = Math.max(...done);
    for (const n of done) this.waitedStates += most - n;
  }

  /** Takes in a worker's answer: its counts, its verdicts, whether it stopped or failed. */
  private record(w: number, reply: ToMain): ToMain {
    if (reply.type === 'error') {
      this.error ??= reply;
      return reply;
    }
    if (reply.type !== 'ran') return reply;
    this.generated[w] = reply.generated;
    this.expanded[w] = reply.expanded;
    this.nextSizes[w] = reply.nextSize;
    this.verdicts.push(...reply.verdicts);
    if (reply.status === 'stopped') this.stopped = true;
    // The worker that found a violation raised the stop flag, but it may have finished its level anyway.
    if (this.options.stopAtFirstViolation && reply.verdicts.some((v) => v.kind === 'always')) this.stopped = true;
    return reply;
  }

  private async collectPaths(): Promise<WorkerPaths<S, A>> {
    const parents: Int32Array[] = [];
    const ordinals: Int32Array[] = [];
    const stats: WorkerStats[] = [];
    for (const channel of this.channels) {
      const reply = await channel.request({ type: 'finish' });
      assert(reply.type === 'arrays', () => `expected arrays from a worker, got ${reply.type}`);
      parents.push(reply.parent);
      ordinals.push(reply.ordinal);
      stats.push(reply.stats);
    }
    this.stats = this.counters(stats);
    return new WorkerPaths(this.model, this.workers, parents, ordinals);
  }

  /** The counters at the end of the search (parallel-stats.ts). */
  private counters(workers: WorkerStats[]): ParallelStats {
    const cpu = process.cpuUsage(this.processCpuAtStart);
    const coordinatorCpu = threadCpuMs();
    const expanded = workers.reduce((sum, w) => sum + w.expanded, 0);
    return {
      workers,
      coordinatorCpuMs: coordinatorCpu === undefined || this.coordinatorCpuAtStart === undefined ? undefined : coordinatorCpu - this.coordinatorCpuAtStart,
      processCpuMs: (cpu.user + cpu.system) / 1000,
      levels: this.levels,
      growths: this.growths,
      moved: this.moved,
      imbalance: expanded === 0 ? 0 : this.waitedStates / expanded,
    };
  }

  private outcome(paths: WorkerPaths<S, A>): SearchOutcome {
    // Levels are synchronous, so adopting the verdicts shallowest first (ties in
    // the model's order of properties) records a shortest path per property and
    // lists violations as the sequential search does.
    const properties = this.model.properties;
    // Deadlock, not among the model's properties, sorts after them.
    const order = new Map(properties.map((p, i) => [p.name, i]));
    const rank = (name: string) => order.get(name) ?? properties.length;
    const verdicts = this.verdicts.sort((a, b) => a.depth - b.depth || rank(a.property) - rank(b.property));
    const book = new PropertyBook<S>(properties, this.options.stopAtFirstViolation);
    for (const verdict of verdicts) book.adopt(verdict, paths);
    return {
      complete: !this.stopped,
      distinctStates: this.table.size,
      generatedStates: this.generated.reduce((a, b) => a + b, 0),
      maxDepth: Math.max(this.maxDepth, ...verdicts.map((v) => v.depth)),
      violations: book.violations,
      sometimes: book.sometimesReports,
      fingerprintBytes: this.table.bytes,
      ...(this.stats === undefined ? {} : { parallel: this.stats }),
    };
  }
}

/**
 * The paths of the whole search, from every worker's parent table: a state's
 * reference is `localIndex * workers + workerId` (parallel-worker.ts).
 */
class WorkerPaths<S, A> implements TraceSource {
  private readonly inits: readonly S[];

  constructor(
    private readonly model: Model<S, A>,
    private readonly workers: number,
    private readonly parents: readonly Int32Array[],
    private readonly ordinals: readonly Int32Array[],
  ) {
    this.inits = model.init();
  }

  trace(ref: number): Trace {
    const path: number[] = [];
    for (let at = ref; at !== -1; ) {
      const w = at % this.workers;
      const local = Math.floor(at / this.workers);
      path.push(this.ordinals[w]![local]!);
      at = this.parents[w]![local]!;
    }
    return replayPath(this.model, this.inits, path);
  }
}

/** Moves states from the fullest next frontiers to the emptiest until they are within a factor of each other; returns how many moved. */
async function balance(channels: readonly WorkerChannel[], sizes: number[]): Promise<number> {
  let moved = 0;
  const total = sizes.reduce((a, b) => a + b, 0);
  const mean = total / sizes.length;
  for (let round = 0; round < sizes.length; round++) {
    let heavy = 0;
    let light = 0;
    for (let w = 1; w < sizes.length; w++) {
      if (sizes[w]! > sizes[heavy]!) heavy = w;
      if (sizes[w]! < sizes[light]!) light = w;
    }
    const count = Math.floor(Math.min(sizes[heavy]! - mean, mean - sizes[light]!));
    if (count < BALANCE_STATES_MIN || sizes[heavy]! - sizes[light]! < BALANCE_SPREAD_MIN * mean) return moved;
    const given = await channels[heavy]!.request({ type: 'give', count });
    assert(given.type === 'given', () => `expected states from a worker, got ${given.type}`);
    await channels[light]!.request({ type: 'take', batch: given.batch }, [given.batch.buffer as ArrayBuffer]);
    sizes[heavy] = sizes[heavy]! - given.count;
    sizes[light] = sizes[light]! + given.count;
    moved += given.count;
  }
  return moved;
}
