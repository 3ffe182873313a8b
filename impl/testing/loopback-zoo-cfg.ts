// The team's rule for every zoo.cfg a test, harness or benchmark writes:
// servers listen on loopback only. clientPortAddress defaults to every
// interface (as ZooKeeper's), the AdminServer to 0.0.0.0:8080 and the
// Prometheus endpoint to 0.0.0.0:7000, so each configuration must say
// 127.0.0.1 itself. writeLoopbackZooCfg checks the lines at the moment they
// are written and throws on one that would listen beyond loopback, so a bad
// configuration fails its own test (impl/config/loopback-only.test.ts checks
// that the sources that write one go through here).

import { writeFileSync } from 'node:fs';

const loopback = '127.0.0.1';

/** Why `lines` would open a port beyond loopback, one reason per port; [] when none would. Later lines win, as in java.util.Properties. */
export function nonLoopbackListeners(lines: readonly string[]): string[] {
  const keys = new Map<string, string>();
  for (const line of lines) {
    const match = /^\s*([^#!\s=:][^=:]*?)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (match !== null) keys.set(match[1]!, match[2]!);
  }
  const problems: string[] = [];
  const bound = (portKey: string, addressKey: string) => {
    if (keys.has(portKey) && keys.get(addressKey) !== loopback) problems.push(`${portKey} without ${addressKey}=${loopback} (got ${keys.get(addressKey) ?? 'none: every interface'})`);
  };
  bound('clientPort', 'clientPortAddress');
  bound('secureClientPort', 'secureClientPortAddress');
  if (keys.get('admin.enableServer') !== 'false' && keys.get('admin.serverAddress') !== loopback) {
    problems.push(`the AdminServer on ${keys.get('admin.serverAddress') ?? '0.0.0.0'} (set admin.enableServer=false or admin.serverAddress=${loopback})`);
  }
  if ((keys.get('metricsProvider.className') ?? '').includes('PrometheusMetricsProvider') && keys.get('metricsProvider.httpHost') !== loopback) {
    problems.push(`the Prometheus endpoint on ${keys.get('metricsProvider.httpHost') ?? '0.0.0.0'} (set metricsProvider.httpHost=${loopback})`);
  }
  return problems;
}

/** Writes `lines` as the zoo.cfg at `path`, after checking that every port it opens is on loopback. */
export function writeLoopbackZooCfg(path: string, lines: readonly string[]): void {
  const problems = nonLoopbackListeners(lines);
  if (problems.length > 0) throw new Error(`refusing to write ${path}: a test server listens on ${loopback} only, but this zoo.cfg has ${problems.join('; ')}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}
