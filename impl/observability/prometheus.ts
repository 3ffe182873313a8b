// The Prometheus endpoint (ZooKeeper 3.8's PrometheusMetricsProvider, with
// prom-client): `GET /metrics` on metricsProvider.httpHost:httpPort in the
// Prometheus text format, each metric under ZooKeeper's name with its name as
// help text, as the provider registers them (`build(name, name)`):
// - a gauge as a gauge (znode_count, num_alive_connections, ...);
// - a counter as a counter, without a `_total` suffix (ZooKeeper 3.8 uses
//   simpleclient 0.9, which adds none);
// - a summary as a summary: quantile 0.5, and for an ADVANCED one (readlatency,
//   updatelatency) 0.9 and 0.99 too, then `_count` and `_sum`. With nothing
//   recorded the quantiles are NaN, as simpleclient's.
// The values are read at each scrape from the same list mntr prints
// (impl/admin/monitor.ts): the request path never touches prom-client.
//
// metricsProvider.exportJvmInfo (on by default) adds ZooKeeper's JVM metrics
// there (simpleclient_hotspot); this server adds Node's process metrics
// instead (prom-client's collectDefaultMetrics: process_cpu_seconds_total,
// process_resident_memory_bytes, nodejs_eventloop_lag_seconds, nodejs_heap_*).
//
// As in ZooKeeper, a port that cannot be bound stops the server ("Cannot boot
// MetricsProvider"): `start` rejects.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { DetailLevel } from './duration-summary.ts';

/** One value of the server's monitor list, as this provider reads it (impl/admin/monitor.ts's MonitorValue fits). */
export type ProviderValue =
  | { readonly kind: 'info'; readonly name: string }
  | { readonly kind: 'gauge' | 'counter'; readonly name: string; readonly value: number }
  | { readonly kind: 'summary'; readonly name: string; readonly summary: SummaryReading }
  /** A GaugeSet or CounterSet: one family, a sample per key under the label `key` (PrometheusLabelledGauge, PrometheusLabelledCounter). */
  | { readonly kind: 'gaugeSet'; readonly name: string; readonly values: readonly (readonly [string, number])[] }
  | { readonly kind: 'counterSet'; readonly name: string; readonly values: readonly (readonly [string, number])[] };

/** A summary as read here: a DurationSummary, or only its count and sum (fixtures). */
export type SummaryReading = { readonly count: number; readonly sum: number; readonly level?: DetailLevel; quantiles?(qs: readonly number[]): number[] };

export type PrometheusSettings = { readonly host: string; readonly port: number; readonly exportJvmInfo: boolean };

export type PrometheusEndpoint = { readonly host: string; readonly port: number; close(): Promise<void> };

/** PrometheusSummary's quantiles by detail level. */
const quantilesOf: Record<DetailLevel, readonly number[]> = { basic: [0.5], advanced: [0.5, 0.9, 0.99] };

type MetricFamily = {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'summary';
  values: { value: number; labels?: Record<string, string | number>; metricName?: string }[];
  aggregator: 'sum';
};

/** A prom-client metric whose one reading was taken for this scrape. */
function fixedMetric(family: MetricFamily) {
  return { name: family.name, help: family.help, type: family.type, aggregator: family.aggregator, get: () => family };
}

/** The Prometheus families of one reading of the monitor list; info values are not metrics. */
export function metricFamilies(values: readonly ProviderValue[]): MetricFamily[] {
  const families: MetricFamily[] = [];
  for (const v of values) {
    if (v.kind === 'info') continue;
    if (v.kind === 'gaugeSet' || v.kind === 'counterSet') {
      const type = v.kind === 'gaugeSet' ? 'gauge' : 'counter';
      families.push({ name: v.name, help: v.name, type, values: v.values.map(([key, value]) => ({ value, labels: { key } })), aggregator: 'sum' });
      continue;
    }
    if (v.kind !== 'summary') {
      families.push({ name: v.name, help: v.name, type: v.kind, values: [{ value: v.value }], aggregator: 'sum' });
      continue;
    }
    const s = v.summary;
    const qs = quantilesOf[s.level ?? 'basic'];
    const measured = s.count > 0 && s.quantiles !== undefined ? s.quantiles(qs) : qs.map(() => Number.NaN);
    families.push({
      name: v.name,
      help: v.name,
      type: 'summary',
      values: [...qs.map((quantile, i) => ({ value: measured[i]!, labels: { quantile } })), { metricName: `${v.name}_count`, value: s.count }, { metricName: `${v.name}_sum`, value: s.sum }],
      aggregator: 'sum',
    });
  }
  return families;
}

/** Serves /metrics until closed; rejects when the port cannot be bound. */
export async function startPrometheusEndpoint(settings: PrometheusSettings, read: () => readonly ProviderValue[]): Promise<PrometheusEndpoint> {
  const processRegistry = new Registry();
  if (settings.exportJvmInfo) collectDefaultMetrics({ register: processRegistry });

  async function scrape(): Promise<string> {
    const registry = new Registry();
    for (const family of metricFamilies(read())) registry.registerMetric(fixedMetric(family) as never);
    const ours = await registry.metrics();
    return settings.exportJvmInfo ? `${ours}\n${await processRegistry.metrics()}` : ours;
  }

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
      return;
    }
    scrape().then(
      (body) => response.writeHead(200, { 'Content-Type': processRegistry.contentType }).end(body),
      (error: unknown) => response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    host: settings.host,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
