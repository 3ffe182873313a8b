// ZooKeeper's four-letter words (zookeeperAdmin "ZooKeeper Commands: The Four
// Letter Words"), answered exactly as ZooKeeper 3.8 prints them: the command
// classes in org.apache.zookeeper.server.command (RuokCommand, StatCommand,
// ConsCommand, WatchCommand, DumpCommand, EnvCommand, ConfCommand,
// MonitorCommand, IsroCommand, DirsCommand, StatResetCommand,
// CnxnStatResetCommand) with the helpers they call (ServerStats.toString,
// ServerCnxn.dumpConnectionInfo, WatchManager.dumpWatches, ExpiryQueue.dump,
// DataTree.dumpEphemerals, ZooKeeperServer.dumpConf). Java's PrintWriter.println
// ends lines with "\n" on Linux; the fixtures in testdata/ are real answers.
//
// Whitelist (ZOOKEEPER-2693): a known word that is not in
// 4lw.commands.whitelist gets `<word> is not executed because it is not in the
// whitelist.` and nothing else (NIOServerCnxn.checkFourLetterWord answers
// with a NopCommand). `srvr` is always allowed; config/zoo-cfg.ts adds it.
//
// gtmk and stmk (TraceMaskCommand, SetTraceMaskCommand) print the trace mask
// as a decimal long with no newline; stmk sets it first. hash (DigestCommand)
// prints "<zxid hex>: <digest>" per line from the tree's digest log
// (impl/tree/digest.ts). Not answered (undefined: the connection closes without
// a reply, as for an unknown word): gtmk/stmk when the server keeps no mask,
// and srst/crst when the server offers no reset.

import type { AdminActions, ConnectionForAdmin, ServerSnapshotForAdmin } from './server-snapshot.ts';
import { match } from 'ts-pattern';
import { javaDate, javaDouble, javaHex } from './java-format.ts';
import { detailedPeerState, mntrLines, monitorValues, roundHalfUp4 } from './monitor.ts';

export { detailedPeerState };

export const zkNotServing = 'This ZooKeeper instance is not currently serving requests';

export type FourLetterWordOptions = {
  /** The enabled words, e.g. ZooKeeperConfig.fourLetterWordWhitelist. */
  readonly whitelist: ReadonlySet<string> | readonly string[];
  readonly actions?: AdminActions;
  /** ZooTrace's text trace level, which gtmk prints and stmk sets. */
  readonly traceMask?: { value: bigint };
  /** stmk's argument: the 8 bytes after the word as a long. */
  readonly argument?: bigint;
  /** DataTree.getDigestLog: the digests hash prints; empty when digest.enabled is false. */
  readonly digestLog?: () => readonly { readonly zxid: bigint; readonly digest: bigint }[];
};

/** Every word ZooKeeper 3.8 recognises (FourLetterCommands.cmd2String). */
const knownWords = ['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr', 'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs'] as const;
type FourLetterWord = (typeof knownWords)[number];
const knownWordSet: ReadonlySet<string> = new Set(knownWords);
const isFourLetterWord = (word: string): word is FourLetterWord => knownWordSet.has(word);

/**
 * The answer to `word`, or undefined to close the connection silently.
 * `snapshot` is called only for words that need it (ruok does not).
 */
export function answerFourLetterWord(word: string, snapshot: () => ServerSnapshotForAdmin, options: FourLetterWordOptions): string | undefined {
  if (!isFourLetterWord(word)) return undefined;
  const whitelist = options.whitelist instanceof Set ? options.whitelist : new Set(options.whitelist as readonly string[]);
  if (!whitelist.has(word) && word !== 'srvr') return `${word} is not executed because it is not in the whitelist.\n`;
  const { resetServerStats, resetConnectionStats } = options.actions ?? {};
  // A table of commands reads best as one match over the word, exhaustive over
  // the words ZooKeeper knows: a word added to knownWords fails to compile here
  // until it is answered or listed as not answered.
  return match(word)
    .returnType<string | undefined>()
    .with('ruok', () => 'imok')
    .with('isro', () => isro(snapshot()))
    .with('envi', () => envi(snapshot()))
    .with('srst', () => (resetServerStats === undefined ? undefined : whenServing(snapshot(), () => (resetServerStats(), 'Server stats reset.\n'))))
    .with('crst', () => (resetConnectionStats === undefined ? undefined : whenServing(snapshot(), () => (resetConnectionStats(), 'Connection stats reset.\n'))))
    .with('srvr', () => whenServing(snapshot(), (s) => stat(s, false)))
    .with('stat', () => whenServing(snapshot(), (s) => stat(s, true)))
    .with('cons', () => whenServing(snapshot(), cons))
    .with('conf', () => whenServing(snapshot(), conf))
    .with('dirs', () => whenServing(snapshot(), (s) => `datadir_size: ${s.config.dataDirSizeBytes}\nlogdir_size: ${s.config.dataLogSizeBytes}\n`))
    .with('wchs', () => whenServing(snapshot(), wchs))
    .with('wchc', () => whenServing(snapshot(), wchc))
    .with('wchp', () => whenServing(snapshot(), wchp))
    .with('dump', () => whenServing(snapshot(), dump))
    .with('mntr', () => whenServing(snapshot(), mntr))
    .with('gtmk', () => (options.traceMask === undefined ? undefined : String(options.traceMask.value)))
    .with('stmk', () => setTraceMask(options))
    .with('hash', () => (snapshot().isServing ? digestLog(options) : zkNotServing))
    .exhaustive();
}

/** NIOServerCnxn.checkFourLetterWord's stmk: ZooTrace.setTextTraceLevel, then SetTraceMaskCommand prints the mask. */
function setTraceMask(options: FourLetterWordOptions): string | undefined {
  if (options.traceMask === undefined || options.argument === undefined) return undefined;
  options.traceMask.value = options.argument;
  return String(options.argument);
}

/** DigestCommand: one line per logged digest, the zxid in Long.toHexString's lower-case hex. */
function digestLog(options: FourLetterWordOptions): string {
  let out = '';
  for (const { zxid, digest } of options.digestLog?.() ?? []) out += `${BigInt.asUintN(64, zxid).toString(16)}: ${digest}\n`;
  return out;
}

function isro(s: ServerSnapshotForAdmin): string {
  return !s.isServing ? 'null' : s.mode === 'read-only' ? 'ro' : 'rw';
}

function whenServing(s: ServerSnapshotForAdmin, answer: (s: ServerSnapshotForAdmin) => string): string {
  return s.isServing ? answer(s) : `${zkNotServing}\n`;
}

/** StatCommand: `srvr` without, `stat` with the client list. */
function stat(s: ServerSnapshotForAdmin, withClients: boolean): string {
  let out = `Zookeeper version: ${s.version}\n`;
  if (s.mode === 'read-only') out += 'READ-ONLY mode; serving only read-only clients\n';
  if (withClients) {
    out += 'Clients:\n';
    for (const c of s.connections) out += `${connectionInfo(c, true)}\n`;
    out += '\n';
  }
  out += serverStats(s);
  out += `Node count: ${s.nodeCount}\n`;
  if (s.mode === 'leader') {
    const p = s.proposalSizes ?? { last: -1, min: -1, max: -1 };
    out += `Proposal sizes last/min/max: ${p.last}/${p.min}/${p.max}\n`;
  }
  return out;
}

/** ServerStats.toString. */
function serverStats(s: ServerSnapshotForAdmin): string {
  return (
    `Latency min/avg/max: ${s.latency.minMs}/${javaDouble(roundHalfUp4(s.latency.avgMs))}/${s.latency.maxMs}\n` +
    `Received: ${s.packetsReceived}\n` +
    `Sent: ${s.packetsSent}\n` +
    `Connections: ${s.connections.length}\n` +
    `Outstanding: ${s.outstandingRequests}\n` +
    `Zxid: 0x${javaHex(s.lastProcessedZxid)}\n` +
    `Mode: ${s.mode}\n`
  );
}

/** ServerCnxn.dumpConnectionInfo: ` /ip:port[ops](queued=..,recved=..,sent=..[,sid=...])`. */
function connectionInfo(c: ConnectionForAdmin, brief: boolean): string {
  let out = ` /${c.remoteAddress}:${c.remotePort}[${c.interestOps === 0 ? '0' : c.interestOps.toString(16)}]`;
  out += `(queued=${c.outstandingRequests},recved=${c.packetsReceived},sent=${c.packetsSent}`;
  if (!brief && c.sessionId !== 0n && c.session !== undefined) {
    const x = c.session;
    out += `,sid=0x${javaHex(c.sessionId)},lop=${x.lastOperation},est=${x.establishedAtMs},to=${x.sessionTimeoutMs}`;
    if (x.lastCxid >= 0) out += `,lcxid=0x${javaHex(x.lastCxid)}`;
    out += `,lzxid=0x${javaHex(x.lastZxid)},lresp=${x.lastResponseAtMs},llat=${x.lastLatencyMs}`;
    out += `,minlat=${x.latencyMinMs},avglat=${x.latencyAvgMs},maxlat=${x.latencyMaxMs}`;
  }
  return `${out})`;
}

/** ConsCommand. */
function cons(s: ServerSnapshotForAdmin): string {
  let out = '';
  for (const c of s.connections) out += `${connectionInfo(c, false)}\n`;
  return `${out}\n`;
}

/** ZooKeeperServer.dumpConf, then QuorumZooKeeperServer.dumpConf's peer settings for an ensemble member. */
function conf(s: ServerSnapshotForAdmin): string {
  const c = s.config;
  const standalone = [
    `clientPort=${c.clientPort}`,
    'secureClientPort=-1',
    `dataDir=${c.dataDir}`,
    `dataDirSize=${c.dataDirSizeBytes}`,
    `dataLogDir=${c.dataLogDir}`,
    `dataLogSize=${c.dataLogSizeBytes}`,
    `tickTime=${c.tickTimeMs}`,
    `maxClientCnxns=${c.maxClientCnxns}`,
    `minSessionTimeout=${c.minSessionTimeoutMs}`,
    `maxSessionTimeout=${c.maxSessionTimeoutMs}`,
    'clientPortListenBacklog=-1',
    `serverId=${c.serverId}`,
    '',
  ].join('\n');
  const q = c.quorum;
  if (q === undefined) return standalone;
  // QuorumServer.toString per member, QuorumMaj.toString around them: note
  // "membership: " keeps its trailing space and the version line has no newline.
  const members = q.members.map((m) => {
    const client = m.clientAddress !== undefined && m.clientPort !== undefined ? `;${delimitedHost(m.clientAddress)}:${m.clientPort}` : '';
    return `server.${m.id}=${delimitedHost(m.host)}:${m.quorumPort}:${m.electionPort}:${m.peerType}${client}\n`;
  });
  return (
    standalone +
    `initLimit=${q.initLimitTicks}\nsyncLimit=${q.syncLimitTicks}\nelectionAlg=3\n` +
    `electionPort=${q.electionPort}\nquorumPort=${q.quorumPort}\npeerType=${q.peerType === 'participant' ? 0 : 1}\n` +
    `membership: \n${members.join('')}version=${javaHex(q.configVersion)}`
  );
}

/** QuorumPeer.delimitedHostString: IPv6 literals in brackets. */
function delimitedHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** EnvCommand. */
function envi(s: ServerSnapshotForAdmin): string {
  let out = 'Environment:\n';
  for (const [key, value] of s.environment) out += `${key}=${value}\n`;
  return out;
}

/**
 * Groups (key, item) pairs by key, keeping first-appearance order of keys and
 * items (wchc and wchp here, their AdminServer commands too). Linear: a Set per
 * group, as WatchManager's HashSets; with an array's `includes` one session's
 * 10,000 watches made wchs take seconds of the server's event loop.
 */
export function groupBy<K, V>(pairs: readonly (readonly [K, V])[]): Map<K, V[]> {
  const groups = new Map<K, Set<V>>();
  for (const [key, value] of pairs) {
    const group = groups.get(key);
    if (group === undefined) groups.set(key, new Set([value]));
    else group.add(value);
  }
  return new Map([...groups].map(([key, group]) => [key, [...group]]));
}

/** WatchManager.toString, then WatchCommand's println. */
function wchs(s: ServerSnapshotForAdmin): string {
  const bySession = groupBy(s.dataWatches.map((w) => [w.sessionId, w.path] as const));
  const byPath = groupBy(s.dataWatches.map((w) => [w.path, w.sessionId] as const));
  let total = 0;
  for (const paths of bySession.values()) total += paths.length;
  return `${bySession.size} connections watching ${byPath.size} paths\nTotal watches:${total}\n`;
}

/** WatchManager.dumpWatches(byPath = false), then a blank line. */
function wchc(s: ServerSnapshotForAdmin): string {
  let out = '';
  for (const [sessionId, paths] of groupBy(s.dataWatches.map((w) => [w.sessionId, w.path] as const))) {
    out += `0x${javaHex(sessionId)}\n`;
    for (const path of paths) out += `\t${path}\n`;
  }
  return `${out}\n`;
}

/** WatchManager.dumpWatches(byPath = true), then a blank line. */
function wchp(s: ServerSnapshotForAdmin): string {
  let out = '';
  for (const [path, sessions] of groupBy(s.dataWatches.map((w) => [w.path, w.sessionId] as const))) {
    out += `${path}\n`;
    for (const sessionId of sessions) out += `\t0x${javaHex(sessionId)}\n`;
  }
  return `${out}\n`;
}

/** ExpiryQueue.dump: sets sorted by expiry time, elements in the given order. */
function expiryQueue<E>(elements: readonly E[], expiresAtMs: (e: E) => number, show: (e: E) => string): string {
  const byTime = groupBy(elements.map((e) => [expiresAtMs(e), e] as const));
  let out = `Sets (${byTime.size})/(${elements.length}):\n`;
  for (const time of [...byTime.keys()].sort((a, b) => a - b)) {
    const set = byTime.get(time)!;
    out += `${set.length} expire at ${javaDate(time)}:\n`;
    for (const e of set) out += `\t${show(e)}\n`;
  }
  return out;
}

/** DumpCommand. */
function dump(s: ServerSnapshotForAdmin): string {
  let out = 'SessionTracker dump:\n';
  out += `Session ${expiryQueue(s.sessions, (x) => x.expiresAtMs, (x) => `0x${javaHex(x.sessionId)}`)}`;
  out += 'ephemeral nodes dump:\n';
  out += `Sessions with Ephemerals (${s.ephemerals.length}):\n`;
  for (const e of s.ephemerals) {
    out += `0x${javaHex(e.sessionId)}:\n`;
    for (const path of e.paths) out += `\t${path}\n`;
  }
  out += 'Connections dump:\n';
  out += `Connections ${expiryQueue(s.connections, (c) => c.expiresAtMs, (c) => `ip: /${c.remoteAddress}:${c.remotePort} sessionId: 0x${javaHex(c.sessionId)}`)}`;
  return out;
}

/** MonitorCommand: `zk_<key>\t<value>` lines, from the values monitor.ts lists in ZooKeeper's order. */
function mntr(s: ServerSnapshotForAdmin): string {
  return mntrLines(monitorValues(s))
    .map(([key, value]) => `zk_${key}\t${value}\n`)
    .join('');
}
