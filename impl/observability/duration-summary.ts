// How long something took, summarised as mntr prints it: count, sum, min and
// max in whole milliseconds (ZooKeeper's summary metrics fsynctime
// and snapshottime in ServerMetrics; mntr derives avg as sum / count). One
// summary per measured thing, updated in place: recording is on the write
// path and allocates nothing.

export type DurationSummary = { count: number; sum: number; min: number; max: number };

export function durationSummary(): DurationSummary {
  return { count: 0, sum: 0, min: 0, max: 0 };
}

/** Adds one duration, rounded to whole milliseconds as ZooKeeper's counters hold them. */
export function recordDuration(summary: DurationSummary, elapsedMs: number): void {
  const ms = Math.round(elapsedMs);
  summary.min = summary.count === 0 ? ms : Math.min(summary.min, ms);
  summary.max = Math.max(summary.max, ms);
  summary.sum += ms;
  summary.count++;
}
