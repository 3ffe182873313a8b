// The parallel search's counters (parallel.ts, parallel-worker.ts): where the
// workers' time went, so a run on N cores shows why it is not N times faster.
// They decide the wall time on a quiet machine: the CPU each worker thread
// spent, the time it sat waiting for the coordinator (at the end of a level,
// while the table grew), the time it spent moving states to another worker,
// the coordinator's own CPU, and the whole process's CPU (the collector's
// threads included) to hold against one thread's. `imbalance` is counted in
// states, not seconds, so a loaded machine does not blur it: at the end of
// each level, the states the busiest worker expanded beyond each other
// worker's, over all states expanded.

/** One worker thread's counters over the search (milliseconds). */
export interface WorkerStats {
  /** The thread's CPU time (thread-cpu.ts), or undefined where it cannot be read. */
  cpuMs: number | undefined;
  /** Expanding states (wall time). */
  busyMs: number;
  /** Waiting for the coordinator's next request (wall time). */
  waitMs: number;
  /** Rehashing its share of the table into a larger one. */
  growMs: number;
  /** Serialising or deserialising states moved to or from another worker. */
  balanceMs: number;
  /** States it expanded. */
  expanded: number;
  /** Expanding states of the next level ahead while it waited for the others (parallel-lookahead.ts; wall time, not in busyMs). */
  aheadMs: number;
  /** States it expanded ahead (counted in `expanded` too). */
  aheadStates: number;
}

export interface ParallelStats {
  workers: WorkerStats[];
  /** The main thread's CPU during the search, or undefined where it cannot be read. */
  coordinatorCpuMs: number | undefined;
  /** process.cpuUsage() over the search: every thread, the collector's included. */
  processCpuMs: number;
  /** Levels of the breadth-first search, each ended by a barrier. */
  levels: number;
  /** Times the shared table grew (every worker paused for each). */
  growths: number;
  /** States moved between workers to even out the frontiers. */
  moved: number;
  /** At level ends, the states the busiest worker expanded beyond each other worker, over all expanded states. */
  imbalance: number;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const percent = (share: number) => `${(100 * share).toFixed(1)}%`;
const list = (values: readonly string[]) => values.join(' / ');

/** The report's `workers` lines: the totals, then one line of per-worker figures. */
export function formatParallelStats(stats: ParallelStats): string[] {
  const { workers } = stats;
  const cpu = workers.every((w) => w.cpuMs !== undefined) ? `, worker CPU ${list(workers.map((w) => seconds(w.cpuMs!)))} s` : '';
  const coordinator = stats.coordinatorCpuMs === undefined ? '' : `, coordinator CPU ${seconds(stats.coordinatorCpuMs)} s`;
  return [
    `${workers.length} threads: process CPU ${seconds(stats.processCpuMs)} s${cpu}${coordinator}`,
    `busy ${list(workers.map((w) => seconds(w.busyMs)))} s, ahead ${list(workers.map((w) => seconds(w.aheadMs)))} s ` +
      `(${list(workers.map((w) => w.aheadStates.toLocaleString('en-US')))} states), waiting ${list(workers.map((w) => seconds(w.waitMs)))} s, ` +
      `growing ${list(workers.map((w) => seconds(w.growMs)))} s, moving ${list(workers.map((w) => seconds(w.balanceMs)))} s`,
    `${stats.levels} levels, ${stats.growths} table growths, ${stats.moved.toLocaleString('en-US')} states moved, level-end imbalance ${percent(stats.imbalance)} of expansions`,
  ];
}
