// The HTTP endpoints of a running server, started and stopped together by
// both modes (standalone/standalone.ts, ensemble/quorum-peer.ts): the
// AdminServer when admin.enableServer is on (the default), and the Prometheus
// endpoint when metricsProvider.className names ZooKeeper's Prometheus
// provider. Both read the same snapshot and the same ServerMetrics the
// four-letter words read.
//
// As ZooKeeper: an AdminServer that cannot bind is a warn line and the server
// goes on; a metrics provider that cannot start stops the server.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { err, ok, type Result } from '../../lib/result.ts';
import { startPrometheusEndpoint, type PrometheusEndpoint } from '../observability/prometheus.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { filesWithPrefix, snapshotPrefix, versionDirName } from '../storage/file-names.ts';
import type { AdminCommand, AdminServerSources } from './admin-commands.ts';
import { adminTlsOptions } from '../security/admin-https.ts';
import { startAdminServer, type AdminServer, type AdminTls } from './admin-server.ts';
import { monitorValues } from './monitor.ts';

export type Endpoints = {
  readonly adminServer: AdminServer | undefined;
  readonly prometheus: PrometheusEndpoint | undefined;
  close(): Promise<void>;
};

/** ZooTrace's default text trace mask, as 3.8.0's get_trace_mask reports it. */
const defaultTraceMask = 306n;

/** Starts what zoo.cfg asks for; err when the metrics provider cannot start. */
export async function startEndpoints(
  config: ZooKeeperConfig,
  sources: Omit<AdminServerSources, 'initialConfiguration' | 'traceMask' | 'lastSnapshot'> & { readonly traceMask?: { value: bigint } },
  log: StructuredLogger,
  extraCommands: readonly AdminCommand[] = [],
): Promise<Result<Endpoints, string>> {
  let prometheus: PrometheusEndpoint | undefined;
  if (config.prometheus !== undefined) {
    const settings = config.prometheus;
    try {
      prometheus = await startPrometheusEndpoint(settings, () => monitorValues(sources.snapshot()));
    } catch (thrown) {
      const code = (thrown as { code?: unknown }).code;
      return err(`Cannot boot MetricsProvider: cannot listen on ${settings.host}:${settings.port} for /metrics: ${typeof code === 'string' ? code : String(thrown)}`);
    }
    log('info', 'metrics-started', { host: settings.host, port: prometheus.port, exportJvmInfo: settings.exportJvmInfo, message: `Starting /metrics HTTP endpoint at host: ${settings.host}, port: ${prometheus.port}` });
  }
  const tls = adminTls(config, sources);
  if (!tls.ok) {
    await prometheus?.close();
    return tls;
  }
  const adminServer =
    config.adminServer === undefined
      ? undefined
      : await startAdminServer(
          config.adminServer,
          { ...sources, initialConfiguration: config.initialConfiguration, traceMask: sources.traceMask ?? { value: defaultTraceMask }, lastSnapshot: () => lastSnapshotInfo(config) },
          log,
          extraCommands,
          tls.value,
        );
  return ok({
    adminServer,
    prometheus,
    close: async () => {
      await adminServer?.close();
      await prometheus?.close();
    },
  });
}

/** The AdminServer's HTTPS when admin.forceHttps or admin.portUnification asks for it; err names the store key to fix. */
function adminTls(config: ZooKeeperConfig, sources: Pick<AdminServerSources, 'snapshot'>): Result<AdminTls | undefined, string> {
  const admin = config.adminServer;
  if (admin === undefined || (!admin.forceHttps && !admin.portUnification)) return ok(undefined);
  const options = adminTlsOptions(config.quorumTls.x509);
  if (!options.ok) return err(`${options.error.key}: ${options.error.message}`);
  // The process's one ServerMetrics, taken from the snapshot when first needed.
  let counters: { insecure_admin_count: number } | undefined;
  return ok({
    options: options.value,
    onPlaintextConnection: () => {
      counters ??= sources.snapshot().metrics?.counters;
      if (counters !== undefined) counters.insecure_admin_count++;
    },
  });
}

/** The newest snapshot file: its zxid and when it was written, in seconds (SnapshotInfo), as last_snapshot reports it. */
export function lastSnapshotInfo(config: ZooKeeperConfig): { zxid: bigint; timestampSec: number } | undefined {
  const dir = resolve(config.dataDir, versionDirName);
  try {
    const newest = filesWithPrefix(readdirSync(dir), snapshotPrefix).at(-1);
    if (newest === undefined) return undefined;
    return { zxid: newest.zxid, timestampSec: Math.floor(statSync(join(dir, newest.name)).mtimeMs / 1000) };
  } catch {
    return undefined;
  }
}
