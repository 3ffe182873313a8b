// A summary metric as ZooKeeper keeps one (ServerMetrics' getSummary: the
// DefaultMetricsProvider's AvgMinMaxCounter, and for an ADVANCED summary its
// AvgMinMaxPercentileCounter): count, sum, min and max since the start (or
// the last reset), and for percentiles the most recent values. mntr prints
// avg/min/max/cnt/sum (and p50/p95/p99/p999 for an advanced one), /metrics
// the same summary's quantiles 0.5 (and 0.9, 0.99), its _count and _sum:
// one object, read by both.
//
// Recording is on the request path: one rounding, four updates and one store
// into a preallocated ring, no allocation. The percentiles are computed when
// read, over the last `sampleCapacity` values. ZooKeeper's percentile counter
// keeps a uniform sample of 4096 values (Dropwizard's UniformReservoir, via
// ResettableUniformReservoir) and the Prometheus provider a 10-minute window
// with tolerated error; the most recent 1024 values are a deterministic
// stand-in for both (no random sampling, so no seed to print).

export type DetailLevel = 'basic' | 'advanced';

/** How many recent values the percentiles are computed over. */
export const sampleCapacity = 1024;

export class DurationSummary {
  count = 0;
  sum = 0;
  min = 0;
  max = 0;
  private readonly samples = new Float64Array(sampleCapacity);
  private next = 0;

  constructor(readonly level: DetailLevel = 'basic') {}

  /** Adds one value, rounded to a whole number as ZooKeeper's summaries hold longs (ms, bytes, counts). */
  add(value: number): void {
    const v = Math.round(value);
    if (this.count === 0 || v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.sum += v;
    this.count++;
    this.samples[this.next] = v;
    this.next = this.next + 1 === sampleCapacity ? 0 : this.next + 1;
  }

  /** The mean, 0 when empty. */
  get avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * The q-quantile (0 < q < 1) of the recent values, interpolated as
   * Dropwizard's UniformSnapshot.getValue does (ZooKeeper's p50_, p95_, ...
   * lines); 0 when empty.
   */
  quantile(q: number): number {
    return quantileOfSorted(this.recent(), q);
  }

  /** Several quantiles from one sort. */
  quantiles(qs: readonly number[]): number[] {
    const values = this.recent();
    return qs.map((q) => quantileOfSorted(values, q));
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = 0;
    this.max = 0;
    this.next = 0;
  }

  /** The recent values, sorted. */
  private recent(): Float64Array {
    const n = Math.min(this.count, sampleCapacity);
    return this.samples.slice(0, n).sort();
  }
}

function quantileOfSorted(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  const pos = q * (values.length + 1);
  const index = Math.floor(pos);
  if (index < 1) return values[0]!;
  if (index >= values.length) return values[values.length - 1]!;
  const lower = values[index - 1]!;
  const upper = values[index]!;
  return lower + (pos - index) * (upper - lower);
}

/** A summary with nothing recorded yet (the database's fsync and snapshot timings). */
export function durationSummary(level: DetailLevel = 'basic'): DurationSummary {
  return new DurationSummary(level);
}

/** Adds one duration in ms (rounded to whole milliseconds, as ZooKeeper's counters hold them). */
export function recordDuration(summary: DurationSummary, elapsedMs: number): void {
  summary.add(elapsedMs);
}
