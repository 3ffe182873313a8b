// What the main thread and the worker threads of the parallel breadth-first
// search (parallel.ts, parallel-worker.ts) say to each other, and how a worker
// rebuilds the model: a model is code, not data, so it cannot be posted; each
// worker imports the module that exports the model's SpecDefinition and builds
// it with the same bounds and mutant. The checker stays generic: the module is
// any file URL (the command line's registry, a test's toys), found by name.

import type { Bounds, SpecDefinition } from './model.ts';
import type { WorkerStats } from './parallel-stats.ts';
import type { Verdict } from './properties.ts';

/** Where a worker finds the model: `module` (a file URL) exports the spec `name`, or an array that holds it (cli/specs.ts's `specs`). */
export interface ModelSource {
  readonly module: string;
  readonly name: string;
  readonly bounds: Bounds;
  readonly mutant: string | undefined;
}

/** What a worker needs to start: the model's source, its place among the workers, the shared memory and the limits. */
export interface WorkerInit {
  readonly rebuild: ModelSource;
  readonly workerId: number;
  readonly workers: number;
  readonly table: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly statesMax: number;
  readonly stopAtFirstViolation: boolean;
  readonly checkDeadlock: boolean;
}

/** Word 0 of the control buffer: set when every worker must stop at its next state. */
export const STOP = 0;
/**
 * Word WAKE + w: set by the main thread before it posts to worker w, so a
 * worker expanding ahead while it waits (parallel-lookahead.ts) returns to
 * its message loop; the worker clears it when a message arrives.
 */
export const WAKE = 1;

/** The control buffer's size for `workers` workers: STOP, then one WAKE word each. */
export function controlBytes(workers: number): number {
  return 4 * (WAKE + workers);
}

export type ToWorker =
  | { readonly type: 'init'; readonly init: WorkerInit }
  | { readonly type: 'seed' }
  | { readonly type: 'level' }
  | { readonly type: 'resume' }
  | { readonly type: 'table'; readonly table: SharedArrayBuffer }
  | { readonly type: 'give'; readonly count: number }
  | { readonly type: 'take'; readonly batch: Uint8Array }
  | { readonly type: 'finish' };

export type RunStatus = 'done' | 'paused' | 'stopped';

/**
 * A worker's verdicts carry the state's reference instead of its path: the
 * main thread replays it. States given from one worker to another travel as
 * one serialised batch (`given`, then `take`), transferred, not copied,
 * through the main thread, which never deserialises them.
 */
export type ToMain =
  | { readonly type: 'ok' }
  | { readonly type: 'ran'; readonly status: RunStatus; readonly generated: number; readonly expanded: number; readonly nextSize: number; readonly verdicts: Verdict<number>[] }
  | { readonly type: 'given'; readonly count: number; readonly batch: Uint8Array }
  | { readonly type: 'arrays'; readonly parent: Int32Array; readonly ordinal: Int32Array; readonly stats: WorkerStats }
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
