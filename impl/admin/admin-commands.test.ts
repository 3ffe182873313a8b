// The AdminServer's commands without a server: the response envelope
// (CommandResponse.toMap: data, then "command", then "error"), aliases, the
// not-serving answer, set_trace_mask's argument checks, session ids written
// exactly, and a caller's extra command (the extension point a log-level
// command uses). The shapes against ZooKeeper itself:
// impl/standalone/admin-server-zookeeper.test.ts.

import { describe, expect, it } from 'vitest';
import { commandTable, runCommand, toJson, type AdminCommand, type AdminServerSources } from './admin-commands.ts';
import type { ServerSnapshotForAdmin } from './server-snapshot.ts';
import { ServerMetrics } from '../observability/server-metrics.ts';

const sessionId = 0x1_0000_0000_0001_2345n; // above 2^53: a double would round it

function snapshot(isServing = true): ServerSnapshotForAdmin {
  return {
    isServing,
    version: '3.8.4-zkspec, built on 2026-01-01 00:00 UTC',
    mode: 'standalone',
    lastProcessedZxid: 0x5n,
    latency: { minMs: 1, avgMs: 2.5, maxMs: 4 },
    packetsReceived: 10,
    packetsSent: 9,
    outstandingRequests: 0,
    nodeCount: 6,
    connections: [],
    dataWatches: [{ sessionId, path: '/a' }],
    watchCount: 1,
    sessions: [{ sessionId, expiresAtMs: 1000 }],
    ephemerals: [{ sessionId, paths: ['/e'] }],
    approximateDataSizeBytes: 50,
    uptimeMs: 1234,
    authFailedCount: 0,
    metrics: new ServerMetrics(),
    config: {
      clientPort: 2181,
      dataDir: '/d/version-2',
      dataDirSizeBytes: 1,
      dataLogDir: '/d/version-2',
      dataLogSizeBytes: 1,
      tickTimeMs: 2000,
      maxClientCnxns: 60,
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      serverId: 0,
    },
    environment: [['zookeeper.version', '3.8.4-zkspec'], ['host.name', 'h']],
  };
}

function sources(isServing = true): AdminServerSources {
  return { snapshot: () => snapshot(isServing), initialConfiguration: 'dataDir=/d\n', traceMask: { value: 306n } };
}

const run = (name: string, args: Record<string, string> = {}, server = sources(), extra: readonly AdminCommand[] = []) => runCommand(commandTable(extra), name, server, new Map(Object.entries(args)));

describe('AdminServer commands', () => {
  it('answer data first, then command (the primary name, also for an alias) and error', () => {
    expect(Object.keys(run('dirs'))).toEqual(['datadir_size', 'logdir_size', 'command', 'error']);
    expect(run('wchs')).toEqual({ num_connections: 1, num_paths: 1, num_total_watches: 1, command: 'watch_summary', error: null });
    expect(run('ruok')).toEqual({ command: 'ruok', error: null });
    expect(run('nope')).toEqual({ command: 'nope', error: 'Unknown command: nope' });
    // A standalone server has no leader: the command's own error comes first, as ZooKeeper's put("error", ...).
    expect(Object.entries(run('leader'))).toEqual([['error', 'server is not initialized'], ['command', 'leader']]);
  });

  it('answer "not currently serving" for commands that need a server, and the rest anyway', () => {
    expect(run('stat', {}, sources(false))).toEqual({ command: 'stats', error: 'This ZooKeeper instance is not currently serving requests' });
    expect(run('envi', {}, sources(false))).toMatchObject({ 'zookeeper.version': '3.8.4-zkspec', command: 'environment', error: null });
    expect(run('mntr', {}, sources(false))).toMatchObject({ server_state: 'standalone', znode_count: 6, cnt_readlatency: 0, p99_readlatency: 0 });
  });

  it('write session ids and zxids exactly in JSON', () => {
    const json = toJson(run('dump'));
    expect(json).toContain(`"${sessionId}": [\n      "/e"\n    ]`);
    expect(json).toContain(`"1000": [\n      ${sessionId}\n    ]`);
    expect(toJson(run('wchp'))).toContain(`"/a": [\n      ${sessionId}\n    ]`);
    expect(toJson(run('srvr'))).toContain('"last_processed_zxid": 5,');
  });

  it('set_trace_mask: a long, or ZooKeeper\'s errors; get_trace_mask reads it back', () => {
    const server = sources();
    expect(run('stmk', {}, server)).toEqual({ error: 'setTraceMask requires long traceMask argument', command: 'set_trace_mask' });
    expect(run('stmk', { traceMask: 'x' }, server)['error']).toBe('setTraceMask requires long traceMask argument, got x');
    expect(run('stmk', { traceMask: '9223372036854775808' }, server)['error']).toMatch(/got 9223372036854775808$/);
    expect(run('stmk', { traceMask: '0' }, server)).toEqual({ tracemask: 0n, command: 'set_trace_mask', error: null });
    expect(run('gtmk', {}, server)).toEqual({ tracemask: 0n, command: 'get_trace_mask', error: null });
  });

  it('hash: the digest log as ZxidDigest objects; not serving, the usual error', () => {
    const server = { ...sources(), digestLog: () => [{ zxid: 0x80n, digest: 42n }] };
    expect(run('hash', {}, server)).toEqual({ digests: [{ zxid: 0x80n, digestVersion: 2, digest: 42n }], command: 'hash', error: null });
    expect(toJson(run('hash', {}, server))).toContain('"zxid": 128,');
    expect(run('hash', {}, { ...sources(false), digestLog: server.digestLog })['error']).toBe('This ZooKeeper instance is not currently serving requests');
  });

  it('take the caller\'s commands, aliases included', () => {
    let level = 'info';
    const logLevel: AdminCommand = {
      names: ['log_level', 'loglevel'],
      serverRequired: false,
      run: (_server, args) => {
        const wanted = args.get('level');
        if (wanted !== undefined) level = wanted;
        return { level };
      },
    };
    expect(run('loglevel', { level: 'debug' }, sources(false), [logLevel])).toEqual({ level: 'debug', command: 'log_level', error: null });
    expect(level).toBe('debug');
    expect(run('log_level')).toEqual({ command: 'log_level', error: 'Unknown command: log_level' });
  });
});
