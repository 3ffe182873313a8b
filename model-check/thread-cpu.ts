// The CPU time of the calling thread, for the parallel search's counters
// (parallel-stats.ts): process.cpuUsage() counts every thread of the process
// (the workers, the coordinator and V8's collector threads together), and
// Node 20 has no per-thread figure, so this reads Linux's
// /proc/thread-self/stat. Elsewhere it answers undefined and the counters
// leave the CPU out.

import { readFileSync } from 'node:fs';

// USER_HZ: /proc reports times in ticks of 1/100 s on every Linux architecture.
const TICKS_PER_SECOND = 100;

/** User plus system CPU milliseconds of this thread so far (10 ms resolution), or undefined off Linux. */
export function threadCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // The command name in parentheses may hold spaces; the fields after it start with the state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / TICKS_PER_SECOND : undefined;
}
