// The AdminServer's commands (org.apache.zookeeper.server.admin.Commands in
// ZooKeeper 3.8.0): each answers a JSON object with ZooKeeper's keys and value
// types, then "command" (its primary name) and "error" (null, or why not).
// They read the same ServerSnapshotForAdmin the four-letter words read, and
// mntr's values come from monitor.ts, so the two never disagree.
//
// A command is a value of type AdminCommand; the caller may pass more (the
// coordinator's `log_level`), which are registered after these, as
// Commands.registerCommand would:
//
//   const logLevel: AdminCommand = {
//     names: ['log_level'], serverRequired: false,
//     run: (_server, args) => ({ level: setLevel(args.get('level')) }),
//   };
//
// `observers` lists a leader's synced observers (LearnerHandler.getLearnerHandlerInfo);
// every other server answers none, as a 3.8 follower without observerMasterPort
// does. `observer_connection_stat_reset` zeroes a leader's counts for them.

import { groupBy } from './four-letter-words.ts';
import { javaHex } from './java-format.ts';
import { monitorJson, monitorValues, roundHalfUp4 } from './monitor.ts';
import type { AdminActions, ConnectionForAdmin, ServerSnapshotForAdmin } from './server-snapshot.ts';

/** What a command reads: the server's snapshot, its resets, and an ensemble member's quorum view. */
export type AdminServerSources = {
  readonly snapshot: () => ServerSnapshotForAdmin;
  readonly actions?: AdminActions;
  /** An ensemble member's quorum view; undefined for a standalone server. */
  readonly quorum?: () => QuorumForAdmin;
  /** The newest snapshot file (FileTxnSnapLog.getLastSnapshotInfo); undefined before the first. */
  readonly lastSnapshot?: () => { readonly zxid: bigint; readonly timestampSec: number } | undefined;
  /** The zoo.cfg text as read at start. */
  readonly initialConfiguration: string;
  /** ZooTrace's text trace mask: kept and reported by get_trace_mask/set_trace_mask (no trace log is written). */
  readonly traceMask: { value: bigint };
  /** DataTree.getDigestLog, which `hash` lists (impl/tree/digest.ts); empty with digest.enabled=false. */
  readonly digestLog?: () => readonly { readonly zxid: bigint; readonly digest: bigint }[];
};

/** What leader, voting_view and zabstate read of an ensemble member (QuorumPeer). */
export type QuorumForAdmin = {
  readonly myid: number;
  readonly isLeader: boolean;
  /** QuorumPeer.getLeaderId: -1 while looking. */
  readonly leaderId: number;
  /** QuorumPeer.getLeaderAddress: the leader's host, '' while looking. */
  readonly leaderHost: string;
  readonly zabState: 'election' | 'discovery' | 'synchronization' | 'broadcast';
  readonly quorumAddress: { readonly host: string; readonly port: number };
  readonly electionAddress: { readonly host: string; readonly port: number };
  /** clientPortAddress:clientPort. */
  readonly clientAddress: string;
  readonly voting: boolean;
  /** A leader's synced observers (Leader.getObservingLearnersInfo); undefined on any other server. */
  readonly observers?: readonly ObserverForAdmin[];
};

/** One observer's connection at the leader (LearnerHandler.getLearnerHandlerInfo). */
export type ObserverForAdmin = {
  /** Socket.getRemoteSocketAddress().toString(): "/host:port". */
  readonly remoteSocketAddress: string;
  readonly sid: number;
  /** When the connection was accepted, ms since the epoch (Jackson writes a Date as its timestamp). */
  readonly establishedAtMs: number;
  readonly queuedPackets: number;
  readonly queuedPacketsSize: number;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  /** REQUEST packets (forwarded client requests) received. */
  readonly requests: number;
  /** The zxid of the last packet sent that had one, -1 before any (or since a reset). */
  readonly lastZxid: bigint;
};

/** Extra keys a command adds; "command" and "error" are added by runCommand. */
export type CommandData = Record<string, unknown>;

export interface AdminCommand {
  /** The primary name first, then the aliases (CommandBase.getNames). */
  readonly names: readonly string[];
  /** False: answers even when the server is not serving (CommandBase.serverRequired). */
  readonly serverRequired: boolean;
  run(server: AdminServerSources, args: ReadonlyMap<string, string>): CommandData;
}

export const notServing = 'This ZooKeeper instance is not currently serving requests';

const command = (names: readonly string[], run: AdminCommand['run'], serverRequired = true): AdminCommand => ({ names, serverRequired, run });

/** Commands.runCommand: the response of `name`, or "Unknown command". Data keys first, then command and error, as CommandResponse.toMap. */
export function runCommand(commands: ReadonlyMap<string, AdminCommand>, name: string, server: AdminServerSources, args: ReadonlyMap<string, string>): CommandData {
  const found = commands.get(name);
  if (found === undefined) return { command: name, error: `Unknown command: ${name}` };
  const primary = found.names[0]!;
  if (found.serverRequired && !server.snapshot().isServing) return { command: primary, error: notServing };
  const data = found.run(server, args);
  return { ...data, command: primary, error: data['error'] ?? null };
}

/** Name (and alias) -> command, ZooKeeper's then the caller's. */
export function commandTable(extra: readonly AdminCommand[] = []): Map<string, AdminCommand> {
  const table = new Map<string, AdminCommand>();
  for (const c of [...zookeeperCommands, ...extra]) for (const name of c.names) table.set(name, c);
  return table;
}

/** QuorumServer.delimitedHostString and port, as QuorumServerView writes addresses. */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A MultipleAddresses of one address as Jackson writes its getters (zabstate's quorum_address, election_address). */
function multipleAddresses(address: { readonly host: string; readonly port: number }): CommandData {
  const one = hostPort(address.host, address.port);
  return {
    empty: false,
    all_addresses: [one],
    all_reachable_addresses: [one],
    one,
    reachable_address: one,
    wildcard_addresses: [`0.0.0.0:${address.port}`],
    all_ports: [address.port],
    all_host_strings: [address.host],
    all_reachable_addresses_or_all: [one],
    reachable_or_one: one,
  };
}

/** LearnerHandler.getLearnerHandlerInfo's map, in its order. */
function observerJson(o: ObserverForAdmin): CommandData {
  return {
    remote_socket_address: o.remoteSocketAddress,
    sid: o.sid,
    established: o.establishedAtMs,
    queued_packets: o.queuedPackets,
    queued_packets_size: o.queuedPacketsSize,
    packets_received: o.packetsReceived,
    packets_sent: o.packetsSent,
    requests: o.requests,
    last_zxid: o.lastZxid,
  };
}

/** ServerCnxn.getConnectionInfo(brief). */
function connectionInfo(c: ConnectionForAdmin, brief: boolean): CommandData {
  const info: CommandData = {
    remote_socket_address: `${c.remoteAddress}:${c.remotePort}`,
    interest_ops: c.interestOps,
    outstanding_requests: c.outstandingRequests,
    packets_received: c.packetsReceived,
    packets_sent: c.packetsSent,
  };
  if (brief || c.session === undefined) return info;
  const x = c.session;
  return {
    ...info,
    session_id: c.sessionId,
    last_operation: x.lastOperation,
    established: x.establishedAtMs,
    session_timeout: x.sessionTimeoutMs,
    last_cxid: x.lastCxid,
    last_zxid: x.lastZxid,
    last_response_time: x.lastResponseAtMs,
    last_latency: x.lastLatencyMs,
    min_latency: x.latencyMinMs,
    avg_latency: x.latencyAvgMs,
    max_latency: x.latencyMaxMs,
  };
}

/** BufferStats as JSON: -1 until the first value. */
function bufferStats(b: { last: number; min: number; max: number } | undefined): CommandData {
  return { last_buffer_size: b?.last ?? -1, min_buffer_size: b?.min ?? -1, max_buffer_size: b?.max ?? -1 };
}

/** SrvrCommand: ServerStats as Jackson writes it, and the node count. */
function srvr(s: ServerSnapshotForAdmin): CommandData {
  const clientResponse = bufferStats(s.clientResponseBytes);
  return {
    version: s.version,
    read_only: s.mode === 'read-only',
    server_stats: {
      packets_sent: s.packetsSent,
      packets_received: s.packetsReceived,
      fsync_threshold_exceed_count: 0,
      client_response_stats: clientResponse,
      data_dir_size: s.config.dataDirSizeBytes,
      log_dir_size: s.config.dataLogSizeBytes,
      provider_null: false,
      server_state: s.mode,
      last_processed_zxid: s.lastProcessedZxid,
      outstanding_requests: s.outstandingRequests,
      avg_latency: roundHalfUp4(s.latency.avgMs),
      max_latency: s.latency.maxMs,
      min_latency: s.latency.minMs,
      num_alive_client_connections: s.connections.length,
      auth_failed_count: s.authFailedCount,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
      uptime: s.uptimeMs,
    },
    client_response: clientResponse,
    ...(s.mode === 'leader' ? { proposal_stats: bufferStats(s.proposalSizes) } : {}),
    node_count: s.nodeCount,
  };
}

/** A map with bigint or number keys as a JSON object (keys as decimal strings). */
const objectOf = <K extends bigint | number | string, V>(map: ReadonlyMap<K, V>): Record<string, V> => Object.fromEntries([...map].map(([k, v]) => [String(k), v]));

const zookeeperCommands: readonly AdminCommand[] = [
  command(['connection_stat_reset', 'crst'], (server) => (server.actions?.resetConnectionStats?.(), {})),
  command(['configuration', 'conf', 'config'], (server) => {
    const c = server.snapshot().config;
    return {
      client_port: c.clientPort,
      data_dir: c.dataDir,
      data_log_dir: c.dataLogDir,
      tick_time: c.tickTimeMs,
      max_client_cnxns: c.maxClientCnxns,
      min_session_timeout: c.minSessionTimeoutMs,
      max_session_timeout: c.maxSessionTimeoutMs,
      server_id: c.serverId,
      client_port_listen_backlog: -1,
    };
  }),
  command(['connections', 'cons'], (server) => ({ connections: server.snapshot().connections.map((c) => connectionInfo(c, false)), secure_connections: [] })),
  command(['dirs'], (server) => {
    const c = server.snapshot().config;
    return { datadir_size: c.dataDirSizeBytes, logdir_size: c.dataLogSizeBytes };
  }),
  command(['dump'], (server) => {
    const s = server.snapshot();
    return {
      expiry_time_to_session_ids: objectOf(groupBy(s.sessions.map((x) => [x.expiresAtMs, x.sessionId] as const))),
      session_id_to_ephemeral_paths: objectOf(new Map(s.ephemerals.map((e) => [e.sessionId, [...e.paths]] as const))),
    };
  }),
  command(['environment', 'env', 'envi'], (server) => Object.fromEntries(server.snapshot().environment), false),
  command(['get_trace_mask', 'gtmk'], (server) => ({ tracemask: server.traceMask.value }), false),
  // DigestCommand: the digest log as Jackson writes ZxidDigest's getters (DigestCalculator's version is 2).
  command(['hash'], (server) => ({ digests: (server.digestLog?.() ?? []).map(({ zxid, digest }) => ({ zxid, digestVersion: 2, digest })) })),
  command(['initial_configuration', 'icfg'], (server) => ({ initial_configuration: server.initialConfiguration })),
  command(['is_read_only', 'isro'], (server) => ({ read_only: server.snapshot().mode === 'read-only' })),
  command(['last_snapshot', 'lsnp'], (server) => {
    const info = server.lastSnapshot?.();
    return { zxid: javaHex(info?.zxid ?? -1n), timestamp: info?.timestampSec ?? -1 };
  }),
  command(['leader', 'lead'], (server) => {
    const q = server.quorum?.();
    if (q === undefined) return { error: 'server is not initialized' };
    return { is_leader: q.isLeader, leader_id: q.leaderId, leader_ip: q.leaderHost };
  }),
  command(['monitor', 'mntr'], (server) => monitorJson(monitorValues(server.snapshot())), false),
  command(['observers', 'obsr'], (server) => {
    const observers = server.quorum?.().observers ?? [];
    return { synced_observers: observers.length, observers: observers.map(observerJson) };
  }),
  command(['observer_connection_stat_reset', 'orst'], (server) => (server.actions?.resetObserverConnectionStats?.(), {})),
  command(['ruok'], () => ({})),
  command(
    ['set_trace_mask', 'stmk'],
    (server, args) => {
      const text = args.get('traceMask');
      if (text === undefined) return { error: 'setTraceMask requires long traceMask argument' };
      if (!/^[+-]?\d{1,19}$/.test(text) || BigInt(text) > 0x7fff_ffff_ffff_ffffn || BigInt(text) < -0x8000_0000_0000_0000n) {
        return { error: `setTraceMask requires long traceMask argument, got ${text}` };
      }
      server.traceMask.value = BigInt(text);
      return { tracemask: server.traceMask.value };
    },
    false,
  ),
  command(['server_stats', 'srvr'], (server) => srvr(server.snapshot())),
  command(['stats', 'stat'], (server) => {
    const s = server.snapshot();
    return { ...srvr(s), connections: s.connections.map((c) => connectionInfo(c, true)), secure_connections: [] };
  }),
  command(['stat_reset', 'srst'], (server) => (server.actions?.resetServerStats?.(), {})),
  command(['system_properties', 'sysp'], (server) => Object.fromEntries([...server.snapshot().environment].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), false),
  command(['voting_view'], (server) => {
    const q = server.quorum?.();
    const members = q === undefined ? [] : (server.snapshot().config.quorum?.members ?? []);
    const view: Record<string, CommandData> = {};
    for (const m of members) {
      if (m.peerType !== 'participant') continue;
      // QuorumServerView: a member's client address is known from its `;host:port` part, and our own from clientPort.
      const client = m.id === q!.myid ? q!.clientAddress : m.clientPort === undefined ? '' : hostPort(m.clientAddress ?? '0.0.0.0', m.clientPort);
      view[String(m.id)] = {
        server_addresses: [hostPort(m.host, m.quorumPort)],
        election_addresses: [hostPort(m.host, m.electionPort)],
        client_address: client,
        learner_type: 'participant',
      };
    }
    return { current_config: view };
  }),
  command(['watch_summary', 'wchs'], (server) => {
    const watches = server.snapshot().dataWatches;
    return {
      num_connections: new Set(watches.map((w) => w.sessionId)).size,
      num_paths: new Set(watches.map((w) => w.path)).size,
      num_total_watches: watches.length,
    };
  }),
  command(['watches', 'wchc'], (server) => ({ session_id_to_watched_paths: objectOf(groupBy(server.snapshot().dataWatches.map((w) => [w.sessionId, w.path] as const))) })),
  command(['watches_by_path', 'wchp'], (server) => ({ path_to_session_ids: objectOf(groupBy(server.snapshot().dataWatches.map((w) => [w.path, w.sessionId] as const))) })),
  command(
    ['zabstate'],
    (server) => {
      const q = server.quorum?.();
      if (q === undefined) return { voting: false, zabstate: '' };
      const zxid = server.snapshot().lastProcessedZxid;
      return {
        myid: q.myid,
        is_leader: q.isLeader,
        quorum_address: multipleAddresses(q.quorumAddress),
        election_address: multipleAddresses(q.electionAddress),
        client_address: q.clientAddress,
        voting: q.voting,
        last_zxid: `0x${javaHex(zxid)}`,
        zab_epoch: Number(zxid >> 32n),
        zab_counter: Number(zxid & 0xffff_ffffn),
        zabstate: q.zabState,
      };
    },
    false,
  ),
];

/** Every command ZooKeeper 3.8.0 registers that this server answers, by primary name. */
export const zookeeperCommandNames: readonly string[] = zookeeperCommands.map((c) => c.names[0]!);

/**
 * JSON as Jackson writes these responses: bigints (session ids, zxids) as
 * exact numbers, not rounded through a double.
 */
export function toJson(value: unknown): string {
  const marker = '@@zkspec-bigint@@';
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${marker}${v}` : v), 2);
  return text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1');
}
