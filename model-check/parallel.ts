// Breadth-first search on several worker threads (TLC's -workers), for
// registered specs: a model is code, so each worker rebuilds it from the
// spec's module, name, bounds and mutant. The workers share one fingerprint
// set (shared-fingerprint-set.ts, lock-free inserts) and each keeps the
// states it discovers (parallel-worker.ts), so states cross threads only when
// the main thread evens out the frontiers at a level boundary.
//
// Levels are synchronous, so depths, distinct and generated counts equal the
// single-threaded search's, and every counterexample is still a shortest one
// (which of several shortest ones is reported may vary from run to run).
// When the shared table reaches its load limit, every worker pauses at a
// state boundary, the main thread rehashes into a table twice as large, and
// the workers resume. States cross threads by structured clone, so they must
// be plain data (as spec/ states are). A statesMax or time budget stops the
// workers at their next state, so distinctStates may pass statesMax by a few
// states per worker. Counterexamples are rebuilt on the main thread from the
// workers' parent and action-ordinal arrays by replay, as in bfs.ts.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assert } from '../lib/assert.ts';
import { type CheckReport, ModelError, type SometimesReport, type Trace, type TraceStep, type ViolationReport } from './report-types.ts';
import type { Bounds, Model, SpecDefinition } from './model.ts';
import { SharedFingerprintSet } from './shared-fingerprint-set.ts';

/** Where a worker finds the spec: a module (file URL) exporting it, or a `specs` array holding it. */
export interface SpecSource {
  readonly module: string;
  readonly name: string;
}

export interface ParallelOptions {
  readonly workers: number;
  readonly statesMax?: number;
  readonly stopAtFirstViolation?: boolean;
  readonly timeMaxMs?: number;
  readonly progress?: boolean;
  /** The shared table's initial size (tests use a small one to exercise growth). */
  readonly capacityLog2?: number;
}

/** A property verdict found by a worker: a violated `always` or a reached `sometimes`. */
export interface Found {
  readonly kind: 'always' | 'sometimes';
  readonly property: string;
  readonly ref: number;
  readonly depth: number;
}

export type ToWorker =
  | { readonly type: 'seed' }
  | { readonly type: 'level' }
  | { readonly type: 'resume' }
  | { readonly type: 'table'; readonly table: SharedArrayBuffer }
  | { readonly type: 'give'; readonly count: number }
  | { readonly type: 'take'; readonly states: unknown[]; readonly refs: number[] }
  | { readonly type: 'finish' };

export type ToMain =
  | { readonly type: 'ok' }
  | { readonly type: 'ran'; readonly status: 'done' | 'paused' | 'stopped'; readonly generated: number; readonly nextSize: number; readonly found: Found[] }
  | { readonly type: 'given'; readonly states: unknown[]; readonly refs: number[] }
  | { readonly type: 'arrays'; readonly parent: Int32Array; readonly ordinal: Int32Array }
  | { readonly type: 'error'; readonly reason: string; readonly ref: number; readonly action: string | undefined };

function isSpecDefinition(value: unknown): value is SpecDefinition {
  return typeof value === 'object' && value !== null && typeof (value as SpecDefinition).build === 'function' && typeof (value as SpecDefinition).name === 'string';
}

/** Imports `module` and finds the spec called `name` among its exports (or in an exported array). */
export async function findSpecIn(module: string, name: string): Promise<SpecDefinition> {
  const exports = (await import(module)) as Record<string, unknown>;
  for (const value of Object.values(exports)) {
    if (isSpecDefinition(value) && value.name === name) return value;
    if (Array.isArray(value)) {
      const found = value.find((item) => isSpecDefinition(item) && item.name === name);
      if (found !== undefined) return found as SpecDefinition;
    }
  }
  throw new Error(`no spec named '${name}' exported by ${module}`);
}

// Workers do not inherit tsx's module hooks, so each one registers tsx before importing the worker module.
function spawnWorker(): Worker {
  const tsxDirectory = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDirectory, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./parallel-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); }).catch((error) => { console.error(error); process.exit(70); });`;
  return new Worker(bootstrap, { eval: true, execArgv: [] });
}

/** One worker with at most one request in flight; a crash or exit rejects it. */
class WorkerChannel {
  private resolve: ((reply: ToMain) => void) | undefined;
  private reject: ((error: Error) => void) | undefined;
  private failure: Error | undefined;

  constructor(readonly worker: Worker) {
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

  request(message: ToWorker | { type: 'init'; init: unknown }): Promise<ToMain> {
    assert(this.resolve === undefined, 'one request per worker at a time');
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.worker.postMessage(message);
    });
  }
}

const BALANCE_STATES_MIN = 64;

export async function checkParallel(source: SpecSource, bounds: Bounds, mutant: string | undefined, options: ParallelOptions): Promise<CheckReport> {
  const workers = options.workers;
  assert(Number.isInteger(workers) && workers >= 1 && workers <= 64, () => `workers ${workers} must be 1..64`);
  const startMs = performance.now();
  const spec = await findSpecIn(source.module, source.name);
  const model = spec.build(bounds, mutant) as Model<unknown, unknown>;
  let table = SharedFingerprintSet.create(options.capacityLog2 ?? 16);
  const control = new SharedArrayBuffer(4);
  const stop = new Int32Array(control);
  const channels = Array.from({ length: workers }, () => new WorkerChannel(spawnWorker()));
  const timer = options.timeMaxMs === undefined ? undefined : setTimeout(() => Atomics.store(stop, 0, 1), options.timeMaxMs);
  let progressShown = false;
  const progressTimer = options.progress
    ? setInterval(() => {
        const elapsedS = (performance.now() - startMs) / 1000;
        process.stderr.write(`\r${elapsedS.toFixed(0)}s  distinct ${table.size}  depth ${depth}  ${Math.round(table.size / elapsedS)} states/s  (${workers} workers)   `);
        progressShown = true;
      }, 1000)
    : undefined;

  const generated = new Array<number>(workers).fill(0);
  const nextSizes = new Array<number>(workers).fill(0);
  const found: Found[] = [];
  let depth = 0;
  let maxDepth = 0;
  let stopped = false;
  let error: { reason: string; ref: number; action: string | undefined } | undefined;
  const parents: Int32Array[] = [];
  const ordinals: Int32Array[] = [];

  const record = (w: number, reply: ToMain): ToMain => {
    if (reply.type === 'error') {
      error ??= reply;
      return reply;
    }
    if (reply.type !== 'ran') return reply;
    generated[w] = reply.generated;
    nextSizes[w] = reply.nextSize;
    found.push(...reply.found);
    if (reply.status === 'stopped') stopped = true;
    // The worker that found a violation raised the stop flag, but it may have finished its level anyway.
    if ((options.stopAtFirstViolation ?? true) && reply.found.some((f) => f.kind === 'always')) stopped = true;
    return reply;
  };

  try {
    await Promise.all(
      channels.map((channel, workerId) =>
        channel.request({
          type: 'init',
          init: { module: source.module, name: source.name, bounds, mutant, workerId, workers, table: table.buffer, control, statesMax: options.statesMax ?? Number.POSITIVE_INFINITY, stopAtFirstViolation: options.stopAtFirstViolation ?? true },
        }),
      ),
    );
    record(0, await channels[0]!.request({ type: 'seed' }));

    while (error === undefined && !stopped && nextSizes.some((n) => n > 0)) {
      await balance(channels, nextSizes);
      depth++;
      let statuses = await Promise.all(channels.map(async (channel, w) => record(w, await channel.request({ type: 'level' }))));
      while (error === undefined && statuses.some((s) => s.type === 'ran' && s.status === 'paused')) {
        // Every worker has stopped adding (paused, done or stopped): grow the shared table.
        table = table.grown();
        await Promise.all(channels.map((channel) => channel.request({ type: 'table', table: table.buffer })));
        statuses = await Promise.all(
          channels.map(async (channel, w) => {
            const status = statuses[w]!;
            return status.type === 'ran' && status.status === 'paused' ? record(w, await channel.request({ type: 'resume' })) : status;
          }),
        );
      }
      if (nextSizes.some((n) => n > 0)) maxDepth = depth;
    }
    for (const channel of channels) {
      const reply = await channel.request({ type: 'finish' });
      assert(reply.type === 'arrays', () => `expected arrays from a worker, got ${reply.type}`);
      parents.push(reply.parent);
      ordinals.push(reply.ordinal);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (progressTimer !== undefined) clearInterval(progressTimer);
    if (progressShown) process.stderr.write('\n');
    await Promise.all(channels.map((channel) => channel.worker.terminate()));
  }

  const inits = model.init();
  const trace = (ref: number): Trace => {
    const path: number[] = [];
    let at = ref;
    for (;;) {
      const w = at % workers;
      const local = Math.floor(at / workers);
      const parent = parents[w]![local]!;
      path.push(ordinals[w]![local]!);
      if (parent === -1) break;
      at = parent;
    }
    let state: unknown = inits[path.pop()!]!;
    const initial = model.view(state);
    const steps: TraceStep[] = [];
    while (path.length > 0) {
      const action = model.actions(state)[path.pop()!];
      assert(action !== undefined, 'replay: action no longer enabled; is the model deterministic?');
      const next = model.next(state, action);
      assert(next !== undefined, 'replay: action declined; is the model deterministic?');
      steps.push({ action: model.formatAction(action), actionData: action, state: model.view(next) });
      state = next;
    }
    return { initial, steps };
  };

  if (error !== undefined) {
    const at = error.ref < 0 ? { initial: undefined, steps: [] } : trace(error.ref);
    const what = error.action === undefined ? 'computing its enabled actions' : `trying ${error.action}`;
    throw new ModelError(`the model threw at depth ${at.steps.length} while ${what}: ${error.reason}`, at, { cause: error.reason });
  }

  // Levels are synchronous, so the shallowest verdict per property is a shortest path.
  const shallowest = (kind: Found['kind'], property: string) =>
    found.filter((f) => f.kind === kind && f.property === property).sort((a, b) => a.depth - b.depth)[0];
  const violations: ViolationReport[] = [];
  const sometimes: SometimesReport[] = [];
  for (const property of model.properties) {
    const verdict = shallowest(property.kind, property.name);
    if (property.kind === 'always') {
      if (verdict !== undefined) violations.push({ property: property.name, description: property.description, depth: verdict.depth, trace: trace(verdict.ref) });
    } else if (verdict === undefined) {
      sometimes.push({ property: property.name, description: property.description, reached: false });
    } else {
      sometimes.push({ property: property.name, description: property.description, reached: true, depth: verdict.depth, trace: trace(verdict.ref) });
    }
  }
  // Keep violations in the order they were found (shallowest first), as the sequential search does.
  violations.sort((a, b) => a.depth - b.depth);
  const durationMs = performance.now() - startMs;
  const distinctStates = table.size;
  return {
    strategy: 'bfs',
    complete: !stopped,
    distinctStates,
    generatedStates: generated.reduce((a, b) => a + b, 0),
    maxDepth: Math.max(maxDepth, ...found.map((f) => f.depth)),
    durationMs: Math.round(durationMs),
    statesPerSecond: durationMs > 0 ? Math.round((distinctStates * 1000) / durationMs) : 0,
    violations,
    sometimes,
    fingerprintBytes: table.bytes,
  };
}

/** Moves states from the fullest next frontiers to the emptiest until they are within a factor of each other. */
async function balance(channels: readonly WorkerChannel[], sizes: number[]): Promise<void> {
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
    if (count < BALANCE_STATES_MIN || sizes[heavy]! - sizes[light]! < 0.2 * mean) return;
    const given = await channels[heavy]!.request({ type: 'give', count });
    assert(given.type === 'given', () => `expected states from a worker, got ${given.type}`);
    await channels[light]!.request({ type: 'take', states: given.states, refs: given.refs });
    sizes[heavy] = sizes[heavy]! - given.states.length;
    sizes[light] = sizes[light]! + given.states.length;
  }
}
