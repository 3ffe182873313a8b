// An ensemble of N server processes on 127.0.0.1 for tests, benchmarks and
// `npm run ensemble`: ours (`node --import tsx impl/main.ts zoo.cfg`) or
// Apache ZooKeeper 3.8 (QuorumPeerMain from Debian's package, the class
// zkServer.sh runs when zoo.cfg lists servers), started from the same zoo.cfg
// so the same tests run against both.
//
// Each member has its own directory (zoo.cfg, data/myid, server.log) and its
// own client, quorum and election ports. Member i's zoo.cfg lists its own
// `server.i` with its real quorum and election ports (it binds them) and
// every other member j at a proxy that carries only i's connections to j (one
// proxy per ordered pair and per port, impl/testing/tcp-proxy.ts). So a test
// can isolate any member from the others, in both directions, without
// touching its client port: ZooKeeper's QuorumCnxManager keeps one election
// connection per pair, opened by the larger sid (a smaller sid that connects
// is dropped and called back, at the address it advertised, which the proxy
// rewrites: rewriteAdvertisedElectionPort), and learners open the quorum
// connection to the leader, so every peer connection goes through the proxy
// of the side that opened it. Ports are picked below the ephemeral range and
// locked across processes until stopAll (testing/ports.ts, reservePorts).
//
// Processes are SIGKILLed by PID: by `kill`, by `stopAll`, and, for any the
// caller forgot, when this process exits. Every wait is bounded.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../lib/assert.ts';
import { fourLetterWord, spawnApacheZooKeeper, zooCfgUsesTls } from '../testing/apache-launcher.ts';
import { apacheZooKeeperMissing, haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { builtServer, repoRoot, serverEnvironment } from '../testing/built-server.ts';
import { ChildPids } from '../testing/processes.ts';
import { Partitioner, TcpProxy, type BlockMode, type ProxyStats } from '../testing/tcp-proxy.ts';

export type ServerKind = 'ours' | 'zookeeper';
export type Mode = 'leader' | 'follower' | 'observer' | 'standalone';

export { zkCli } from '../testing/zkcli.ts';
export { fourLetterWord };

const loopback = '127.0.0.1';

export type EnsembleOptions = {
  readonly kind: ServerKind;
  /** Voting members (participants), ids 1..size. */
  readonly size: number;
  /** Observers, ids size+1..size+observers. */
  readonly observers?: number;
  /** Small in tests so that elections and failure detection take a second or two, not a minute. */
  readonly tickTimeMs?: number;
  readonly initLimitTicks?: number;
  readonly syncLimitTicks?: number;
  /** Route peer traffic through partition proxies (the default); off for benchmarks. */
  readonly proxies?: boolean;
  /** fsync before acknowledging (forceSync, default yes). */
  readonly forceSync?: boolean;
  /** Where the members' directories go; a fresh temp directory by default. */
  readonly baseDir?: string;
  /** More zoo.cfg lines for every member. */
  readonly extraConfig?: readonly string[];
  /** More zoo.cfg lines for member `id` alone (its own secureClientPort, say). */
  readonly memberConfig?: (id: number) => readonly string[];
  /** The AdminServer's port of member id i+1 on 127.0.0.1 (reserved by the caller); without it the AdminServer is off. */
  readonly adminPorts?: readonly number[];
  /** ZooKeeper's JVM heap. */
  readonly javaHeapMb?: number;
  /**
   * `-D` system properties as an operator sets them for zkServer.sh (SERVER_JVMFLAGS: a JAAS
   * file, readonlymode.enabled): ZooKeeper's JVM gets them on its command line, ours in SERVER_JVMFLAGS.
   */
  readonly jvmFlags?: readonly string[];
  /** ZKSPEC_LOG_LEVEL for ours; by default this process's ZKSPEC_LOG_LEVEL, else info. */
  readonly logLevel?: string;
  /**
   * ZooKeeper's INFO log into server.log through log4j (the default). Off, the
   * Debian jar finds no SLF4J binding and logs nothing, as the standalone
   * benchmark runs it (impl/bench/servers.ts).
   */
  readonly zookeeperLog?: boolean;
  /** More environment for member `id`'s process each time it starts (ours only: the fault switch's ZKSPEC_FAULT_PORT, impl/faults). */
  readonly memberEnv?: (id: number) => Readonly<Record<string, string>>;
  /** Called when a member's process ends, whether killed by `kill` or not. */
  readonly onMemberExit?: (id: number, code: number | null, signal: NodeJS.Signals | null) => void;
};

export type Member = {
  readonly id: number;
  readonly peerType: 'participant' | 'observer';
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly dir: string;
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
};

type Running = { readonly child: ChildProcess; readonly pid: number; readonly exited: Promise<void> };

/** Every PID any ensemble in this process started and has not seen exit: killed when this process exits. */
const livePids = new ChildPids();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** The `Mode:` line of a srvr answer; undefined while the server is not serving (electing, syncing, down). */
export function parseMode(srvr: string): Mode | undefined {
  const match = /\nMode: (leader|follower|observer|standalone)\b/.exec(srvr);
  return match === null ? undefined : (match[1] as Mode);
}

/**
 * The election connection's first message names the connecting member's own
 * election address (QuorumCnxManager's InitialMessage: protocol version < 0,
 * sid, then the address as a length-prefixed string), and a member with the
 * larger sid drops a connection from a smaller one and connects back to that
 * address, not to the one its zoo.cfg lists. Left alone, that call-back would
 * go straight to the real port and around every proxy, so the proxy from ->
 * to rewrites the advertised port into the port of the proxy to -> from.
 * Anything else (the pre-3.5 format, a different port) passes unchanged.
 */
export function rewriteAdvertisedElectionPort(head: Buffer, realPort: number, proxyPort: number): Buffer | 'more' {
  if (head.byteLength < 8) return 'more';
  if (head.readBigInt64BE(0) >= 0n) return head; // protocol 0: just the sid, no address
  if (head.byteLength < 20) return 'more';
  const length = head.readInt32BE(16);
  if (length < 0 || length > 4096) return head;
  if (head.byteLength < 20 + length) return 'more';
  const address = head.subarray(20, 20 + length).toString('latin1');
  const rewritten = address
    .split('|')
    .map((a) => (a.endsWith(`:${realPort}`) ? `${a.slice(0, a.length - String(realPort).length)}${proxyPort}` : a))
    .join('|');
  if (rewritten === address) return head;
  const bytes = Buffer.from(rewritten, 'latin1');
  const prefix = Buffer.from(head.subarray(0, 20));
  prefix.writeInt32BE(bytes.byteLength, 16);
  return Buffer.concat([prefix, bytes, head.subarray(20 + length)]);
}

/** Where member `from` reaches member `to`'s peer ports, keyed `from->to`: the real ports, or the proxy of that ordered pair. */
type PeerAddresses = ReadonlyMap<string, { readonly quorumPort: number; readonly electionPort: number }>;

/** Members 1..count, voters first, each with its directory and three of the reserved ports (client, quorum, election). */
function layOutMembers(options: EnsembleOptions, baseDir: string, count: number, ports: readonly number[]): Member[] {
  return Array.from({ length: count }, (_, k) => {
    const id = k + 1;
    const dir = join(baseDir, `member-${id}`);
    return {
      id,
      peerType: id > options.size ? 'observer' : 'participant',
      clientPort: ports[3 * k]!,
      quorumPort: ports[3 * k + 1]!,
      electionPort: ports[3 * k + 2]!,
      dir,
      dataDir: join(dir, 'data'),
      configPath: join(dir, 'zoo.cfg'),
      logPath: join(dir, 'server.log'),
    };
  });
}

/** Without proxies (benchmarks): every member reaches every other at its real ports. */
function directPeerAddresses(members: readonly Member[]): PeerAddresses {
  const peerAddress = new Map<string, { quorumPort: number; electionPort: number }>();
  for (const from of members) {
    for (const to of members) {
      if (from.id === to.id) continue;
      peerAddress.set(`${from.id}->${to.id}`, { quorumPort: to.quorumPort, electionPort: to.electionPort });
    }
  }
  return peerAddress;
}

/**
 * One proxy per ordered pair (from, to) and per peer port of `to`, each added
 * to the partitioner. Ports are assigned before any proxy starts, so that the
 * election proxy from -> to can name the one to -> from (see
 * rewriteAdvertisedElectionPort). A proxy that fails to start rejects; the
 * caller closes those already started.
 */
async function startPeerProxies(members: readonly Member[], partitioner: Partitioner, proxyPorts: number[]): Promise<PeerAddresses> {
  const pairPorts = new Map<string, { quorum: number; election: number }>();
  for (const from of members) for (const to of members) if (from.id !== to.id) pairPorts.set(`${from.id}->${to.id}`, { quorum: proxyPorts.pop()!, election: proxyPorts.pop()! });
  const electionProxyPort = (from: number, to: number) => pairPorts.get(`${from}->${to}`)!.election;
  const peerAddress = new Map<string, { quorumPort: number; electionPort: number }>();
  for (const from of members) {
    for (const to of members) {
      if (from.id === to.id) continue;
      const quorum = await TcpProxy.start({ targetPort: to.quorumPort, listenPort: pairPorts.get(`${from.id}->${to.id}`)!.quorum, name: `${from.id}->${to.id} quorum` });
      partitioner.add(from.id, to.id, quorum);
      const election = await TcpProxy.start({
        targetPort: to.electionPort,
        listenPort: electionProxyPort(from.id, to.id),
        name: `${from.id}->${to.id} election`,
        rewriteHead: (head) => rewriteAdvertisedElectionPort(head, from.electionPort, electionProxyPort(to.id, from.id)),
      });
      partitioner.add(from.id, to.id, election);
      peerAddress.set(`${from.id}->${to.id}`, { quorumPort: quorum.port, electionPort: election.port });
    }
  }
  return peerAddress;
}

/** Member `me`'s data directory, myid, log4j.properties (read by ZooKeeper only) and zoo.cfg. */
function writeMemberFiles(options: EnsembleOptions, me: Member, members: readonly Member[], peerAddress: PeerAddresses, proxied: boolean): void {
  mkdirSync(me.dataDir, { recursive: true });
  writeFileSync(
    join(me.dir, 'log4j.properties'),
    'log4j.rootLogger=INFO, C\nlog4j.appender.C=org.apache.log4j.ConsoleAppender\nlog4j.appender.C.layout=org.apache.log4j.PatternLayout\n' +
      'log4j.appender.C.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n\n',
  );
  writeFileSync(join(me.dataDir, 'myid'), `${me.id}\n`);
  writeLoopbackZooCfg(me.configPath, zooCfgLines(options, me, members, peerAddress, proxied));
}

/** Member `me`'s zoo.cfg: the ensemble's settings, then a `server.N` line per member (its own real ports, the others' as `me` reaches them). */
function zooCfgLines(options: EnsembleOptions, me: Member, members: readonly Member[], peerAddress: PeerAddresses, proxied: boolean): string[] {
  const serverLines = members.map((m) => {
    const address = m.id === me.id ? m : peerAddress.get(`${me.id}->${m.id}`)!;
    return `server.${m.id}=${loopback}:${address.quorumPort}:${address.electionPort}${m.peerType === 'observer' ? ':observer' : ''}`;
  });
  return [
    `# member ${me.id} of a ${options.kind} ensemble (impl/ensemble/cluster.ts); other members are reached through proxies` +
      (proxied ? '' : ' (here: directly)'),
    `tickTime=${options.tickTimeMs ?? 200}`,
    `initLimit=${options.initLimitTicks ?? 10}`,
    `syncLimit=${options.syncLimitTicks ?? 5}`,
    `dataDir=${me.dataDir}`,
    `clientPort=${me.clientPort}`,
    `clientPortAddress=${loopback}`,
    'maxClientCnxns=0',
    `forceSync=${options.forceSync === false ? 'no' : 'yes'}`,
    '4lw.commands.whitelist=srvr,stat,mntr,conf,ruok,cons',
    // Election connection attempts to a member that is down time out after this; ZooKeeper's default is 5 s.
    'cnxTimeout=2000',
    ...(me.peerType === 'observer' ? ['peerType=observer'] : []),
    // The AdminServer listens on 0.0.0.0:8080 unless told otherwise (as ZooKeeper's): off, or on loopback.
    ...(options.adminPorts?.[me.id - 1] === undefined ? ['admin.enableServer=false'] : [`admin.serverAddress=${loopback}`, `admin.serverPort=${options.adminPorts[me.id - 1]}`]),
    ...(options.extraConfig ?? []),
    ...(options.memberConfig?.(me.id) ?? []),
    ...serverLines,
  ];
}

export class Ensemble {
  readonly members: readonly Member[];
  private readonly running = new Map<number, Running>();
  private stopped = false;

  private constructor(
    readonly options: EnsembleOptions,
    readonly baseDir: string,
    members: Member[],
    private readonly partitioner: Partitioner | undefined,
    private readonly ownsBaseDir: boolean,
    private readonly ports: readonly number[],
  ) {
    this.members = members;
  }

  /** Writes every member's directory and zoo.cfg, starts the proxies and the processes; does not wait for them to serve. */
  static async start(options: EnsembleOptions): Promise<Ensemble> {
    const observers = options.observers ?? 0;
    assert(Number.isInteger(options.size) && options.size >= 1, `an ensemble has at least one voting member, got ${options.size}`);
    assert(options.kind !== 'zookeeper' || haveApacheZooKeeper(), apacheZooKeeperMissing);
    const count = options.size + observers;
    const ownsBaseDir = options.baseDir === undefined;
    const baseDir = options.baseDir ?? mkdtempSync(join(tmpdir(), `zk-ensemble-${options.kind}-`));
    mkdirSync(baseDir, { recursive: true });
    // Every port at once, proxies' included, so that none is handed out twice.
    const proxyCount = options.proxies === false ? 0 : 2 * count * (count - 1);
    const ports = await reservePorts(3 * count + proxyCount);
    const members = layOutMembers(options, baseDir, count, ports);

    const partitioner = options.proxies === false ? undefined : new Partitioner();
    let peerAddress: PeerAddresses;
    if (partitioner === undefined) peerAddress = directPeerAddresses(members);
    else {
      try {
        peerAddress = await startPeerProxies(members, partitioner, ports.slice(3 * count));
      } catch (error) {
        await partitioner.closeAll();
        releasePorts(ports);
        if (ownsBaseDir) rmSync(baseDir, { recursive: true, force: true });
        throw error;
      }
    }

    for (const me of members) writeMemberFiles(options, me, members, peerAddress, partitioner !== undefined);

    const ensemble = new Ensemble(options, baseDir, members, partitioner, ownsBaseDir, ports);
    try {
      for (const m of members) ensemble.spawnMember(m);
    } catch (error) {
      await ensemble.stopAll();
      throw error;
    }
    return ensemble;
  }

  member(id: number): Member {
    const m = this.members.find((x) => x.id === id);
    assert(m !== undefined, `no member ${id} in an ensemble of ${this.members.length}`);
    return m;
  }

  get ids(): number[] {
    return this.members.map((m) => m.id);
  }

  isRunning(id: number): boolean {
    return this.running.has(id);
  }

  pid(id: number): number | undefined {
    return this.running.get(id)?.pid;
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,...` over `ids` (all members by default). */
  connectString(ids: readonly number[] = this.ids): string {
    return ids.map((id) => `${loopback}:${this.member(id).clientPort}`).join(',');
  }

  /** The mode member `id` reports through srvr, or undefined when it is not serving. */
  async mode(id: number, timeoutMs = 2000): Promise<Mode | undefined> {
    if (!this.running.has(id)) return undefined;
    return parseMode(await fourLetterWord(this.member(id).clientPort, 'srvr', timeoutMs));
  }

  /** Waits until every member in `ids` (default: every running member) reports a mode through srvr. */
  async waitUntilServing(ids: readonly number[] = [...this.running.keys()], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(ids);
    for (;;) {
      for (const id of [...pending]) {
        const running = this.running.get(id);
        if (running === undefined) throw new Error(`member ${id} is not running${this.exitNote(id)}`);
        if ((await this.mode(id)) !== undefined) pending.delete(id);
      }
      if (pending.size === 0) return;
      if (Date.now() > deadline) throw new Error(`members ${[...pending].join(', ')} not serving after ${timeoutMs} ms\n${this.describeLogs([...pending])}`);
      await sleep(100);
    }
  }

  /**
   * Waits until the members in `among` (default: every running member not
   * isolated) all serve and exactly one of them reports `leader`; returns it.
   */
  async leader(timeoutMs = 30_000, among?: readonly number[]): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const ids = among ?? [...this.running.keys()].filter((id) => !this.partitioner?.isIsolated(id));
      const modes = await Promise.all(ids.map(async (id) => [id, await this.mode(id)] as const));
      last = modes.map(([id, m]) => `${id}:${m ?? 'not serving'}`).join(' ');
      const leaders = modes.filter(([, m]) => m === 'leader').map(([id]) => id);
      if (leaders.length === 1 && modes.every(([, m]) => m !== undefined)) return leaders[0]!;
      if (Date.now() > deadline) throw new Error(`no single leader among ${ids.join(', ')} after ${timeoutMs} ms (modes: ${last})\n${this.describeLogs(ids)}`);
      await sleep(100);
    }
  }

  /** SIGKILL by PID; resolves once the process is gone. */
  async kill(id: number): Promise<void> {
    const running = this.running.get(id);
    assert(running !== undefined, `member ${id} is not running`);
    this.running.delete(id);
    try {
      process.kill(running.pid, 'SIGKILL');
    } catch {
      // It exited on its own just now.
    }
    await Promise.race([running.exited, sleep(10_000)]);
    livePids.forget(running.pid);
  }

  /** Starts member `id` again on the same directory and ports; does not wait for it to serve. */
  restart(id: number): void {
    assert(!this.running.has(id), `member ${id} is still running; kill it first`);
    assert(!this.stopped, 'the ensemble was stopped');
    this.spawnMember(this.member(id));
  }

  /** What the proxies carried to and from member `id` (undefined without proxies). */
  peerTraffic(id: number): ProxyStats | undefined {
    return this.partitioner?.stats(id);
  }

  /** Cuts member `id` off from every other member (peer ports only; its clients still reach it). */
  partition(id: number, mode: BlockMode = 'refuse'): void {
    assert(this.partitioner !== undefined, 'this ensemble was started without proxies');
    this.partitioner.isolate(id, mode);
  }

  /** The proxies carrying the connections member `from` opens to member `to`, for cuts of single links (impl/nemesis). */
  peerLinks(from: number, to: number): readonly TcpProxy[] {
    assert(this.partitioner !== undefined, 'this ensemble was started without proxies');
    return this.partitioner.between(from, to);
  }

  heal(id?: number): void {
    assert(this.partitioner !== undefined, 'this ensemble was started without proxies');
    if (id === undefined) this.partitioner.healAll();
    else this.partitioner.heal(id);
  }

  /** SIGKILLs every member by PID, closes the proxies, and removes the directories unless `keepData`. */
  async stopAll(options: { keepData?: boolean } = {}): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.keys()].map((id) => this.kill(id)));
    await this.partitioner?.closeAll();
    releasePorts(this.ports);
    const keep = options.keepData ?? !this.ownsBaseDir;
    if (!keep) rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** The last `chars` of each member's log, for failure messages. */
  describeLogs(ids: readonly number[] = this.ids, chars = 1500): string {
    return ids
      .map((id) => {
        const path = this.member(id).logPath;
        const text = existsSync(path) ? readFileSync(path, 'utf8') : '(no log)';
        return `--- member ${id} (${path}), last ${chars} chars:\n${text.slice(-chars)}`;
      })
      .join('\n');
  }

  private exitNote(id: number): string {
    return existsSync(this.member(id).logPath) ? `; log:\n${this.describeLogs([id])}` : '';
  }

  private spawnMember(m: Member): void {
    const logFd = openSync(m.logPath, 'a');
    writeFileSync(logFd, `\n=== ${new Date().toISOString()} starting member ${m.id} (${this.options.kind}) ===\n`);
    let child: ChildProcess;
    try {
      child =
        this.options.kind === 'ours'
          ? spawn(process.execPath, [builtServer(), m.configPath], {
              cwd: repoRoot,
              stdio: ['ignore', logFd, logFd],
              env: serverEnvironment({
                ZKSPEC_LOG_LEVEL: this.options.logLevel ?? process.env['ZKSPEC_LOG_LEVEL'] ?? 'info',
                ...(this.options.jvmFlags === undefined ? {} : { SERVER_JVMFLAGS: this.options.jvmFlags.join(' ') }),
                ...this.options.memberEnv?.(m.id),
              }),
            })
          : spawnApacheZooKeeper({
              main: 'quorum',
              configPath: m.configPath,
              cwd: m.dir,
              heapMb: this.options.javaHeapMb ?? 512,
              serverJvmFlags: this.options.jvmFlags,
              // Netty's jars when the zoo.cfg asks for TLS (an operator adds them too: docs/operations.md, "TLS").
              tls: zooCfgUsesTls(readFileSync(m.configPath, 'utf8').split('\n')),
              adminServer: true,
              ...(this.options.zookeeperLog === false ? {} : { log4jConfig: { path: join(m.dir, 'log4j.properties'), logDir: m.dir } }),
              stdio: ['ignore', logFd, logFd],
            });
    } finally {
      closeSync(logFd);
    }
    assert(child.pid !== undefined, `could not start member ${m.id}`);
    const pid = child.pid;
    livePids.track(pid);
    const exited = new Promise<void>((resolve) =>
      child.on('exit', (code, signal) => {
        livePids.forget(pid);
        if (this.running.get(m.id)?.pid === pid) this.running.delete(m.id);
        resolve();
        this.options.onMemberExit?.(m.id, code, signal);
      }),
    );
    this.running.set(m.id, { child, pid, exited });
  }
}

/**
 * Whether the ensemble tests run against `kind`: Apache ZooKeeper wherever
 * Debian's package is installed (it validates the harness and the tests
 * themselves: what passes on ZooKeeper is a fair demand), and ours unless
 * ZKSPEC_ENSEMBLE_OURS=0 (while `oursRunsByDefault` was false, only with
 * ZKSPEC_ENSEMBLE_OURS=1).
 */
export const oursRunsByDefault = true;
export function testsRunAgainst(kind: ServerKind): boolean {
  switch (kind) {
    case 'zookeeper':
      return haveApacheZooKeeper();
    case 'ours': {
      const flag = process.env['ZKSPEC_ENSEMBLE_OURS'];
      return flag === undefined ? oursRunsByDefault : flag === '1';
    }
  }
}
