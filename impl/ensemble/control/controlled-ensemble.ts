// N member processes in test-control mode on 127.0.0.1, for the process-level
// replay (conformance/replay/processes.ts): each member's zoo.cfg names every
// other member's quorum port at a PacketLink the harness owns (one per
// ordered pair: learner `from` dials leader `to` through link from->to), its
// timers are too long to fire during a test, and it takes its orders on a
// control port (impl/faults/line-protocol.ts). Members are ids 1..N in zoo.cfg; the
// peer core numbers them 0..N-1 (voters first), which is spec/zab's
// numbering, so `index` below is the spec's server id.
//
// Processes are SIGKILLed by PID (`kill`, `stopAll`, and at this process's
// exit for any left over); every wait is bounded.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../../lib/assert.ts';
import type { PeerBug } from '../../quorum/peer/types.ts';
import { builtServer, repoRoot, serverEnvironment } from '../../testing/built-server.ts';
import { releasePorts, reservePorts } from '../../testing/ports.ts';
import { writeLoopbackZooCfg } from '../../testing/loopback-zoo-cfg.ts';
import { ChildPids } from '../../testing/processes.ts';
import { LineClient as ControlClient } from '../../faults/line-protocol.ts';
import { CONTROL_BUGS_ENV, CONTROL_ENV, CONTROL_PORT_ENV } from './control-mode.ts';
import { PacketLink } from './packet-link.ts';
import type { ControlExtra, ControlProjection } from './projection.ts';

const loopback = '127.0.0.1';

/**
 * Timers that never fire in a replay: initLimit * tickTime and syncLimit *
 * tickTime are about 28 hours, below setTimeout's 2^31 ms. Session timeouts
 * (which the harness uses to carry a value, processes.ts) live in
 * [minSessionTimeoutMs, maxSessionTimeoutMs].
 */
export const CONTROL_TIMERS = { tickTimeMs: 100_000, initLimitTicks: 1000, syncLimitTicks: 1000, minSessionTimeoutMs: 1_000_000, maxSessionTimeoutMs: 2_000_000 } as const;

export interface ControlledMember {
  readonly index: number;
  readonly sid: number;
  readonly dir: string;
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly controlPort: number;
}

export interface ControlledEnsembleOptions {
  readonly voters: number;
  readonly observers?: number;
  readonly bugs?: ReadonlySet<PeerBug>;
  /** ZKSPEC_LOG_LEVEL of the members (default warn: a replay starts many). */
  readonly logLevel?: string;
  /** How to run a member: node's arguments before zoo.cfg's path (default: memberEntry()). */
  readonly entry?: readonly string[];
}

/** node's arguments that start a member: the built server, dist/server.js (../../testing/built-server.ts). */
export function memberEntry(): readonly string[] {
  return [builtServer()];
}

/** Every PID started here and not yet seen exit: SIGKILLed when this process exits. */
const livePids = new ChildPids();

/** The PIDs of member processes started here and not yet seen exit (tests check that a replay leaves none). */
export function liveMemberPids(): number[] {
  return livePids.list();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One persistent connection to a member's control port; answers come back in order. */
type Running = { readonly child: ChildProcess; readonly pid: number; readonly exited: Promise<void>; readonly control: ControlClient };

export class ControlledEnsemble {
  private readonly running = new Map<number, Running>();

  private constructor(
    readonly baseDir: string,
    readonly members: readonly ControlledMember[],
    /** links[from][to]: learner `from` dials leader `to` through it. */
    private readonly links: readonly (readonly (PacketLink | undefined)[])[],
    private readonly options: ControlledEnsembleOptions,
    /** Every port reserved for the members and links, released by stopAll. */
    private readonly ports: readonly number[],
  ) {}

  /** Writes each member's directory and zoo.cfg and starts the links; starts no process. */
  static async create(options: ControlledEnsembleOptions): Promise<ControlledEnsemble> {
    const n = options.voters + (options.observers ?? 0);
    assert(n >= 1 && n <= 9, `1..9 members, got ${n}`);
    const baseDir = mkdtempSync(join(tmpdir(), 'zk-controlled-'));
    // Reserved below the ephemeral range: a member binds its ports only once its process is up, and the
    // harness dials the control port until it answers; a port from the ephemeral range can meanwhile be
    // taken as some outgoing connection's local port (CI once saw the control port answered by a stranger).
    const ports = await reservePorts(4 * n + n * (n - 1));
    const members: ControlledMember[] = Array.from({ length: n }, (_, index) => {
      const dir = join(baseDir, `member-${index + 1}`);
      return {
        index,
        sid: index + 1,
        dir,
        dataDir: join(dir, 'data'),
        configPath: join(dir, 'zoo.cfg'),
        logPath: join(dir, 'server.log'),
        clientPort: ports[4 * index]!,
        quorumPort: ports[4 * index + 1]!,
        controlPort: ports[4 * index + 3]!,
      };
    });
    const electionPort = (index: number) => ports[4 * index + 2]!;
    const linkPorts = ports.slice(4 * n);
    const links: (PacketLink | undefined)[][] = members.map(() => members.map(() => undefined));
    try {
      for (const from of members) {
        for (const to of members) {
          if (from.index === to.index) continue;
          links[from.index]![to.index] = await PacketLink.start(`s${from.index}->s${to.index}`, linkPorts.pop()!, to.quorumPort);
        }
      }
    } catch (error) {
      for (const row of links) for (const link of row) await link?.close();
      releasePorts(ports);
      throw error;
    }
    for (const me of members) {
      mkdirSync(me.dataDir, { recursive: true });
      writeFileSync(join(me.dataDir, 'myid'), `${me.sid}\n`);
      const serverLines = members.map((m) => {
        const quorumPort = m.index === me.index ? m.quorumPort : links[me.index]![m.index]!.port;
        const observer = m.index >= options.voters ? ':observer' : '';
        return `server.${m.sid}=${loopback}:${quorumPort}:${electionPort(m.index)}${observer}`;
      });
      const lines = [
        `# member ${me.sid} in test-control mode (impl/ensemble/control/); peers are reached through the harness's packet links`,
        `tickTime=${CONTROL_TIMERS.tickTimeMs}`,
        `initLimit=${CONTROL_TIMERS.initLimitTicks}`,
        `syncLimit=${CONTROL_TIMERS.syncLimitTicks}`,
        `minSessionTimeout=${CONTROL_TIMERS.minSessionTimeoutMs}`,
        `maxSessionTimeout=${CONTROL_TIMERS.maxSessionTimeoutMs}`,
        `dataDir=${me.dataDir}`,
        `clientPort=${me.clientPort}`,
        `clientPortAddress=${loopback}`,
        'maxClientCnxns=0',
        'forceSync=yes',
        // Snapshots only where the harness seeds them.
        'snapCount=1000000',
        'cnxTimeout=2000',
        'admin.enableServer=false',
        ...(me.index >= options.voters ? ['peerType=observer'] : []),
        ...serverLines,
      ];
      writeLoopbackZooCfg(me.configPath, lines);
    }
    return new ControlledEnsemble(baseDir, members, links, options, ports);
  }

  member(index: number): ControlledMember {
    const m = this.members[index];
    assert(m !== undefined, `no member ${index}`);
    return m;
  }

  /** The link learner `from` dials leader `to` through. */
  link(from: number, to: number): PacketLink {
    const link = this.links[from]?.[to];
    assert(link !== undefined, `no link s${from}->s${to}`);
    return link;
  }

  isRunning(index: number): boolean {
    return this.running.has(index);
  }

  /** Starts member `index` from its data directory and waits (bounded) for its control port. */
  async spawn(index: number, timeoutMs = 20_000): Promise<void> {
    assert(!this.running.has(index), `member ${index} is running`);
    const m = this.member(index);
    const logFd = openSync(m.logPath, 'a');
    const entry = this.options.entry ?? memberEntry();
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...entry, m.configPath], {
        cwd: repoRoot,
        stdio: ['ignore', logFd, logFd],
        env: {
          ...serverEnvironment(),
          ZKSPEC_LOG_LEVEL: this.options.logLevel ?? 'warn',
          [CONTROL_ENV]: '1',
          [CONTROL_PORT_ENV]: String(m.controlPort),
          [CONTROL_BUGS_ENV]: [...(this.options.bugs ?? [])].join(','),
          ZKSPEC_PEER_TRACE_DIR: '',
        },
      });
    } finally {
      closeSync(logFd);
    }
    assert(child.pid !== undefined, `could not start member ${index}`);
    const pid = child.pid;
    livePids.track(pid);
    let gone = false;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', () => {
        gone = true;
        livePids.forget(pid);
        resolve();
      }),
    );
    const deadline = performance.now() + timeoutMs;
    let control: ControlClient | undefined;
    while (control === undefined && !gone && performance.now() < deadline) control = await ControlClient.connect(m.controlPort, Math.min(deadline, performance.now() + 200));
    if (control === undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
      throw new Error(`member s${index} did not open its control port within ${timeoutMs} ms${gone ? ' (it exited)' : ''}; log:\n${this.logTail(index)}`);
    }
    // A reserved port is ours only by convention: make sure the control port is this process's, not a stranger's.
    const who = await control.send('who', 5000).catch((error: unknown) => ({ error: String(error) }) as Record<string, unknown>);
    if (who['pid'] !== pid) {
      control.close();
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
      throw new Error(`member s${index}'s control port ${m.controlPort} is answered by ${JSON.stringify(who)}, not by pid ${pid}; log:\n${this.logTail(index)}`);
    }
    this.running.set(index, { child, pid, exited, control });
  }

  /** SIGKILL by PID; resolves once the process is gone (bounded). */
  async kill(index: number): Promise<void> {
    const running = this.running.get(index);
    if (running === undefined) return;
    this.running.delete(index);
    running.control.close();
    try {
      process.kill(running.pid, 'SIGKILL');
    } catch {
      // exited on its own
    }
    await Promise.race([running.exited, sleep(10_000)]);
  }

  /** One control command (impl/faults/line-protocol.ts); throws when the member refuses it or does not answer. */
  async command(index: number, line: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const running = this.running.get(index);
    assert(running !== undefined, `member s${index} is not running`);
    const answer = await running.control.send(line, timeoutMs);
    if (answer['ok'] !== true) throw new Error(`s${index} refused '${line}': ${String(answer['error'])}`);
    return answer;
  }

  async projection(index: number): Promise<{ projection: ControlProjection; extra: ControlExtra }> {
    const answer = await this.command(index, 'prj');
    return { projection: answer['projection'] as ControlProjection, extra: answer['extra'] as ControlExtra };
  }

  logTail(index: number, chars = 2000): string {
    const path = this.member(index).logPath;
    return existsSync(path) ? readFileSync(path, 'utf8').slice(-chars) : '(no log)';
  }

  /** Kills every member, closes the links, removes the directories unless `keepData`. */
  async stopAll(options: { keepData?: boolean } = {}): Promise<void> {
    await Promise.all([...this.running.keys()].map((i) => this.kill(i)));
    for (const row of this.links) for (const link of row) await link?.close();
    releasePorts(this.ports);
    if (options.keepData !== true) rmSync(this.baseDir, { recursive: true, force: true });
  }
}
