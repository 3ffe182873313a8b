// What /metrics makes of the monitor list, without a server: ZooKeeper's
// PrometheusMetricsProvider families (gauge, counter, summary with one or
// three quantiles by detail level, NaN quantiles before the first value), and
// the text prom-client writes for them. The server's endpoint end to end:
// impl/standalone/observability.test.ts.

import { describe, expect, it } from 'vitest';
import { DurationSummary } from './duration-summary.ts';
import { metricFamilies, startPrometheusEndpoint, type ProviderValue } from './prometheus.ts';

describe('the Prometheus families of the monitor list', () => {
  it('keep gauges and counters by name, expand summaries by detail level, and drop info values', () => {
    const read = new DurationSummary('advanced');
    for (const ms of [1, 2, 3, 4, 100]) read.add(ms);
    const values: ProviderValue[] = [
      { kind: 'info', name: 'version' },
      { kind: 'gauge', name: 'znode_count', value: 7 },
      { kind: 'counter', name: 'response_bytes', value: 120 },
      { kind: 'summary', name: 'readlatency', summary: read },
      { kind: 'summary', name: 'fsynctime', summary: new DurationSummary('basic') },
    ];
    const families = metricFamilies(values);
    expect(families.map((f) => [f.name, f.type, f.help])).toEqual([
      ['znode_count', 'gauge', 'znode_count'],
      ['response_bytes', 'counter', 'response_bytes'],
      ['readlatency', 'summary', 'readlatency'],
      ['fsynctime', 'summary', 'fsynctime'],
    ]);
    // Dropwizard's interpolation over 5 sorted values: 0.5 -> the 3rd, 0.9 and 0.99 -> the last.
    expect(families[2]!.values).toEqual([
      { value: 3, labels: { quantile: 0.5 } },
      { value: 100, labels: { quantile: 0.9 } },
      { value: 100, labels: { quantile: 0.99 } },
      { metricName: 'readlatency_count', value: 5 },
      { metricName: 'readlatency_sum', value: 110 },
    ]);
    expect(families[3]!.values).toEqual([{ value: Number.NaN, labels: { quantile: 0.5 } }, { metricName: 'fsynctime_count', value: 0 }, { metricName: 'fsynctime_sum', value: 0 }]);
  });

  it('are served as Prometheus text at /metrics only', async () => {
    const endpoint = await startPrometheusEndpoint({ host: '127.0.0.1', port: 0, exportJvmInfo: false }, () => [{ kind: 'counter', name: 'watch_bytes', value: 42 }]);
    try {
      const text = await (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();
      expect(text).toBe('# HELP watch_bytes watch_bytes\n# TYPE watch_bytes counter\nwatch_bytes 42\n');
      expect((await fetch(`http://127.0.0.1:${endpoint.port}/`)).status).toBe(404);
    } finally {
      await endpoint.close();
    }
  });
});
