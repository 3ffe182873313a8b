// Carries out a fault schedule (schedule.ts) on an Ensemble (impl/ensemble/
// cluster.ts): each fault injected at its time on the members it names then
// (the leader is found through srvr at that moment), and repaired after its
// hold. Faults that are on at the same time hit different members. With
// observers, a kill or pause aimed at a follower, an isolation and a one-way
// cut may hit an observer (counted in `onObservers`); the leader's faults,
// splits and bridges stay on the voters. Link cuts
// go through the per-pair proxies, and a link that two faults cut (an
// isolated member's link to a member cut one way) stays cut until both are
// repaired. Every paused process is resumed (SIGCONT) before `healAll`
// returns and before the ensemble is stopped, so nothing is left stopped.
//
// Faults through the fault switch (schedule.ts `needsFaultSwitch`: fsync,
// clock, crash-at) are sent to the member's switch port (impl/faults, given
// as `faultPorts`); Apache ZooKeeper has none, and they are counted as not
// applicable there. The exit of a member whose fsyncs were made to fail is
// the behaviour under test, not a failure: `excusesExit` says so.
//
// `disk full` fills the member's tmpfs (disk-full.ts, given as `disks`; both
// kinds of server); a member's stop on it, proved by its log, is excused by
// `memberExited`, which restarts it once its disk is freed.

import { assertNever } from '../../lib/assert.ts';
import { seededRandom } from '../../lib/random.ts';
import type { Ensemble } from '../ensemble/cluster.ts';
import type { BlockMode, Direction } from '../testing/tcp-proxy.ts';
import { LineClient } from '../faults/line-protocol.ts';
import { stoppedOnFullDisk, type MemberDisks } from './disk-full.ts';
import { clockStepMs, faultLabel, needsFaultSwitch, slowFsyncMs, type Fault, type ScheduledFault, type Schedule } from './schedule.ts';

/** How a link is cut: both ways (refused or silent), or the bytes one way dropped. */
type Cut = { readonly block: BlockMode } | { readonly drop: Direction };

type Active = {
  readonly scheduled: ScheduledFault;
  /** The members this fault hits: another fault on at the same time picks among the others. */
  readonly members: ReadonlySet<number>;
  readonly repair: () => Promise<void> | void;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long an armed crash point is given to be reached, from its arming, whatever the fault's hold (an election may come first). */
const crashReachMs = 5000;
/** How long a member's fault switch is waited for (a member restarted a moment ago may still be loading). */
const switchAnswerMs = 5000;
const describeCut = (c: Cut) => ('block' in c ? c.block : c.drop);

export class Nemesis {
  /** Faults injected, by label (schedule.ts faultLabel). */
  readonly injected: Record<string, number> = {};
  /** Faults of the schedule that found no member to hit (every one already faulty). */
  skipped = 0;
  /** Of `injected`, those that hit an observer, by label (kill/pause of a non-leader, isolate, one-way). */
  readonly onObservers: Record<string, number> = {};
  /** Members found exited on their own (no fault of this nemesis on them) and started again, as a supervisor would. */
  readonly restartedAfterExit: number[] = [];
  /** Switch faults not injected because the servers have no fault switch (Apache ZooKeeper), by label. */
  readonly notApplicable: Record<string, number> = {};
  /** Crash points armed, and how many of them the member reached (it SIGKILLed itself) before the repair. */
  readonly crashPoints = { armed: 0, reached: 0 };
  /** Members whose fsyncs fail: their exit (code 1) is expected. */
  private readonly failingFsync = new Set<number>();
  /** One line per injection and repair, with the time since the faults started. */
  readonly log: string[] = [];
  private readonly active = new Set<Active>();
  /** Link `from->to` -> the cuts on it, oldest first; the oldest is in force. */
  private readonly cuts = new Map<string, { owner: object; cut: Cut }[]>();
  private readonly paused = new Set<number>();
  /** Member -> when its disk was last freed (undefined while full): its exit on ENOSPC is excused until a while after. */
  private readonly fullDisks = new Map<number, number | undefined>();
  /** One line per member that stopped on its full disk (the fail-closed stop, not an exit on its own). */
  readonly diskFullStops: string[] = [];
  private readonly random: () => number;
  private startedMs = 0;

  constructor(
    private readonly ensemble: Ensemble,
    seed: number,
    private readonly onLine: (line: string) => void = () => {},
    /** Member id -> its fault switch's port on 127.0.0.1 (ours started with ZKSPEC_FAULT_PORT); none for ZooKeeper. */
    private readonly faultPorts: ReadonlyMap<number, number> = new Map(),
    /** The members' tmpfs disks, for `disk full` (disk-full.ts); without them that fault is skipped, saying why. */
    private readonly disks?: MemberDisks,
  ) {
    // A stream of its own, so that the choice of members does not shift the schedule.
    this.random = seededRandom(seed ^ 0x6e656d);
  }

  /**
   * Runs the schedule from now: injections and repairs in time order, until
   * the last repair or `stopWhen()` says stop. Leaves nothing faulty: every
   * fault still on is repaired before it returns.
   */
  async run(schedule: Schedule, stopWhen: () => boolean = () => false): Promise<void> {
    this.startedMs = Date.now();
    type Step = { atMs: number; fault: ScheduledFault; what: 'inject' | 'repair' };
    const steps: Step[] = schedule.faults.flatMap((fault) => [
      { atMs: fault.atMs, fault, what: 'inject' as const },
      { atMs: fault.atMs + fault.holdMs, fault, what: 'repair' as const },
    ]);
    steps.sort((a, b) => a.atMs - b.atMs || (a.what === 'repair' ? -1 : 1));
    const byFault = new Map<ScheduledFault, Active>();
    try {
      for (const step of steps) {
        const wait = this.startedMs + step.atMs - Date.now();
        if (wait > 0) await sleep(wait);
        if (stopWhen()) break;
        if (step.what === 'inject') {
          const active = await this.inject(step.fault);
          if (active !== undefined) byFault.set(step.fault, active);
        } else {
          const active = byFault.get(step.fault);
          if (active !== undefined) await this.repair(active);
        }
      }
    } finally {
      await this.healAll();
    }
  }

  /** Repairs every fault still on: paused processes resumed first, then the dead restarted and the links healed. */
  async healAll(): Promise<void> {
    this.resumeAll();
    for (const active of [...this.active]) await this.repair(active);
  }

  /** SIGCONT to every process this nemesis stopped; safe to call from any cleanup. */
  resumeAll(): void {
    for (const pid of this.paused) signal(pid, 'SIGCONT');
    this.paused.clear();
  }

  /**
   * Member `id` exited on its own (not SIGKILLed by the nemesis): a line
   * saying so when that was the stop on its full disk (a disk-full fault on
   * it now or freed under 10 s ago, and its log names ENOSPC), else
   * undefined (an unexpected exit). A member whose disk was already freed is
   * restarted at once; one whose disk is still full, at the repair.
   */
  memberExited(id: number): string | undefined {
    if (!this.fullDisks.has(id)) return undefined;
    const freedAt = this.fullDisks.get(id);
    if (freedAt !== undefined && Date.now() - freedAt > 10_000) return undefined;
    const proof = stoppedOnFullDisk(this.ensemble.member(id).logPath);
    if (proof === undefined) return undefined;
    const line = `member ${id} stopped on its full disk: ${proof.trim()}`;
    this.diskFullStops.push(line);
    this.note(line);
    if (freedAt !== undefined && !this.ensemble.isRunning(id)) {
      this.ensemble.restart(id);
      this.note(`member ${id} restarted on its freed disk`);
    }
    return line;
  }

  private note(line: string): void {
    const stamped = `+${((Date.now() - this.startedMs) / 1000).toFixed(1)}s ${line}`;
    this.log.push(stamped);
    this.onLine(stamped);
  }

  private async repair(active: Active): Promise<void> {
    if (!this.active.delete(active)) return;
    await active.repair();
    this.note(`repair #${active.scheduled.n} ${faultLabel(active.scheduled.fault)}`);
  }

  /** Voting members no fault is on, running. */
  private healthy(): number[] {
    return this.healthyOf('participant');
  }

  /** Members of `peerType` no fault is on, running. */
  private healthyOf(peerType: 'participant' | 'observer'): number[] {
    const faulty = new Set([...this.active].flatMap((a) => [...a.members]));
    return this.ensemble.ids.filter((id) => this.ensemble.member(id).peerType === peerType && !faulty.has(id) && this.ensemble.isRunning(id));
  }

  /**
   * Who a single-member fault not aimed at the leader may hit: the healthy
   * voters and observers. Observers take reads and forward writes as
   * operators use them, and a fault on one must not cost a write either;
   * they never count towards a quorum, so hitting one leaves a majority of
   * voters as the schedule intends.
   */
  private singleTargets(healthy: readonly number[]): number[] {
    return [...healthy, ...this.healthyOf('observer')];
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  private shuffled<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** The healthy member with `role` now; another healthy one (said so in the log) when none has it. */
  private async memberWithRole(role: 'leader' | 'follower', healthy: readonly number[]): Promise<{ id: number; note: string }> {
    const modes = await Promise.all(healthy.map(async (id) => [id, await this.ensemble.mode(id, 1000).catch(() => undefined)] as const));
    // An observer is a non-leader that serves: a fault aimed at a follower may hit it.
    const withRole = modes.filter(([, mode]) => mode === role || (role === 'follower' && mode === 'observer')).map(([id]) => id);
    if (withRole.length > 0) return { id: this.pick(withRole), note: '' };
    const others = role === 'follower' ? modes.filter(([, mode]) => mode !== 'leader').map(([id]) => id) : [];
    return { id: this.pick(others.length > 0 ? others : healthy), note: ` (no ${role} serving now)` };
  }

  /**
   * Starts again every member that is down with no fault of ours on it: it
   * exited on its own (Apache ZooKeeper 3.8.0 does, on a NullPointerException
   * in its SyncThread). Left down, it would turn the rest of a long run into
   * one against fewer members, with every split and bridge skipped. The run's
   * onMemberExit has recorded the exit.
   */
  private restartExited(): void {
    const faulty = new Set([...this.active].flatMap((a) => [...a.members]));
    for (const id of this.ensemble.ids) {
      if (this.ensemble.isRunning(id) || faulty.has(id)) continue;
      this.ensemble.restart(id);
      this.restartedAfterExit.push(id);
      this.note(`restart member ${id}: it exited on its own`);
    }
  }

  /** Whether member `id`'s exit with `code` is what a fault made it do (fsyncs failing: exit 1, logged txn-log-failed). */
  excusesExit(id: number, code: number | null): boolean {
    return code === 1 && this.failingFsync.has(id);
  }

  private async inject(scheduled: ScheduledFault): Promise<Active | undefined> {
    const { fault } = scheduled;
    this.restartExited();
    if (needsFaultSwitch(fault) && this.faultPorts.size === 0) {
      const label = faultLabel(fault);
      this.notApplicable[label] = (this.notApplicable[label] ?? 0) + 1;
      this.note(`n/a #${scheduled.n} ${label}: not applicable to ${this.ensemble.options.kind === 'zookeeper' ? 'Apache ZooKeeper' : 'these members'} (no fault switch)`);
      return undefined;
    }
    const healthy = this.healthy();
    const needs = fault.kind === 'split' || fault.kind === 'bridge' ? this.ensemble.options.size : fault.kind === 'crash-at' && fault.point.includes('epoch') ? 2 : 1;
    if (healthy.length < needs) {
      this.skipped++;
      this.note(`skip #${scheduled.n} ${faultLabel(fault)}: no healthy member to hit`);
      return undefined;
    }
    let members: number[];
    let repair: () => Promise<void> | void;
    let what: string;
    switch (fault.kind) {
      case 'kill': {
        const { id, note } = await this.memberWithRole(fault.target, fault.target === 'leader' ? healthy : this.singleTargets(healthy));
        await this.ensemble.kill(id);
        [members, what] = [[id], `member ${id}${note}`];
        repair = () => this.ensemble.restart(id);
        break;
      }
      case 'pause': {
        const { id, note } = await this.memberWithRole(fault.target, fault.target === 'leader' ? healthy : this.singleTargets(healthy));
        const pid = this.ensemble.pid(id);
        if (pid === undefined) {
          this.skipped++;
          this.note(`skip #${scheduled.n} ${faultLabel(fault)}: member ${id} exited`);
          return undefined;
        }
        this.paused.add(pid);
        signal(pid, 'SIGSTOP');
        [members, what] = [[id], `member ${id} (pid ${pid})${note}`];
        repair = () => {
          if (this.paused.delete(pid)) signal(pid, 'SIGCONT');
        };
        break;
      }
      case 'isolate': {
        const id = this.pick(this.singleTargets(healthy));
        const others = this.ensemble.ids.filter((x) => x !== id);
        [members, what] = [[id], `member ${id} from ${others.join(', ')}`];
        repair = this.cutBetween([id], others, { block: fault.mode }, { block: fault.mode });
        break;
      }
      case 'one-way': {
        const id = this.pick(this.singleTargets(healthy));
        const others = this.ensemble.ids.filter((x) => x !== id);
        // mute: what `id` sends is dropped: on its own connections the bytes to the target, on the others' their replies from it.
        const own: Cut = { drop: fault.way === 'mute' ? 'toTarget' : 'fromTarget' };
        const theirs: Cut = { drop: fault.way === 'mute' ? 'fromTarget' : 'toTarget' };
        [members, what] = [[id], `member ${id} ${fault.way === 'mute' ? 'not heard by' : 'not hearing'} ${others.join(', ')}`];
        repair = this.cutBetween([id], others, own, theirs);
        break;
      }
      case 'split': {
        const [a, b, ...majority] = this.shuffled(healthy);
        [members, what] = [[a!, b!], `${a}, ${b} | ${majority.join(', ')}`];
        repair = this.cutBetween([a!, b!], majority, { block: fault.mode }, { block: fault.mode });
        break;
      }
      case 'disk-full': {
        const { id, note } = await this.memberWithRole(fault.target, healthy);
        const disk = this.disks?.disk(id);
        if (disk === undefined) {
          this.skipped++;
          this.note(`skip #${scheduled.n} ${faultLabel(fault)}: ${this.disks?.unavailable ?? 'the run has no tmpfs disks'}`);
          return undefined;
        }
        this.fullDisks.set(id, undefined);
        const bytes = await disk.fill();
        [members, what] = [[id], `member ${id}${note}, ${(bytes / 2 ** 20).toFixed(1)} MiB of filler, ${disk.freeBytes()} bytes free`];
        repair = () => this.freeDisk(id);
        break;
      }
      case 'bridge': {
        const order = this.shuffled(healthy);
        const half = Math.floor(order.length / 2);
        const [left, bridge, right] = [order.slice(0, half), order[half]!, order.slice(half + 1)];
        [members, what] = [[...left, ...right], `${left.join(', ')} | ${right.join(', ')}, bridged by ${bridge}`];
        repair = this.cutBetween(left, right, { block: fault.mode }, { block: fault.mode });
        break;
      }
      case 'fsync':
      case 'clock':
      case 'crash-at': {
        const injected = await this.injectThroughSwitch(fault, healthy);
        if (typeof injected === 'string') {
          this.skipped++;
          this.note(`skip #${scheduled.n} ${faultLabel(fault)}: ${injected}`);
          return undefined;
        }
        ({ members, what, repair } = injected);
        break;
      }
      default:
        return assertNever(fault);
    }
    const active: Active = { scheduled, members: new Set(members), repair };
    this.active.add(active);
    const label = faultLabel(fault);
    this.injected[label] = (this.injected[label] ?? 0) + 1;
    if (members.some((id) => this.ensemble.member(id).peerType === 'observer')) this.onObservers[label] = (this.onObservers[label] ?? 0) + 1;
    this.note(`inject #${scheduled.n} ${label}: ${what}${scheduled.overlapping ? ' (two faults on)' : ''}`);
    return active;
  }

  /** The repair of `disk full`: the filler removed, and the member restarted if it stopped on the full disk. */
  private freeDisk(id: number): void {
    this.disks?.disk(id)?.free();
    this.fullDisks.set(id, Date.now());
    if (!this.ensemble.isRunning(id)) {
      this.ensemble.restart(id);
      this.note(`member ${id} had stopped: restarted on its freed disk`);
    }
  }

  /** One command to member `id`'s fault switch; the error's message when it does not answer or refuses. */
  private async toSwitch(id: number, line: string): Promise<string | undefined> {
    const port = this.faultPorts.get(id);
    if (port === undefined) return `member ${id} has no fault switch`;
    const client = await LineClient.connect(port, performance.now() + switchAnswerMs);
    if (client === undefined) return `member ${id}'s fault switch (127.0.0.1:${port}) did not answer`;
    try {
      const answer = await client.send(line, 2000);
      return answer['ok'] === true ? undefined : `member ${id} refused '${line}': ${String(answer['error'])}`;
    } catch (error) {
      return `member ${id}: ${(error as Error).message}`;
    } finally {
      client.close();
    }
  }

  /** A switch fault on a member (and, for an epoch crash point, the leader killed): what it hit and its repair, or why not. */
  private async injectThroughSwitch(
    fault: Extract<Fault, { kind: 'fsync' | 'clock' | 'crash-at' }>,
    healthy: readonly number[],
  ): Promise<{ members: number[]; what: string; repair: () => Promise<void> } | string> {
    // A member that is not running at the repair (a crash reached, fsyncs failed) is restarted; one still running is set right.
    const restartOr = (id: number, line: string) => async () => {
      if (this.ensemble.isRunning(id)) {
        const refused = await this.toSwitch(id, line);
        if (refused === undefined || this.ensemble.isRunning(id)) return;
      }
      this.failingFsync.delete(id);
      this.ensemble.restart(id);
    };
    if (fault.kind === 'crash-at' && fault.point.includes('epoch')) {
      const leader = await this.memberWithRole('leader', healthy);
      const follower = await this.memberWithRole('follower', healthy.filter((x) => x !== leader.id));
      const refused = await this.toSwitch(follower.id, `crash at ${fault.point}`);
      if (refused !== undefined) return refused;
      this.crashPoints.armed++;
      await this.ensemble.kill(leader.id);
      const repairFollower = this.crashRepair(follower.id);
      return {
        members: [follower.id, leader.id],
        what: `member ${follower.id}${follower.note} armed, leader ${leader.id}${leader.note} killed for an election`,
        repair: async () => {
          await repairFollower();
          if (!this.ensemble.isRunning(leader.id)) this.ensemble.restart(leader.id);
        },
      };
    }
    // A member serving in its role: one restarted a moment ago may not answer its switch yet, nor pass a crash point soon.
    const target = await this.memberWithRole(this.random() < 0.5 ? 'leader' : 'follower', healthy);
    const id = target.id;
    switch (fault.kind) {
      case 'fsync': {
        if (fault.mode === 'fail') this.failingFsync.add(id);
        const refused = await this.toSwitch(id, fault.mode === 'slow' ? `fsync delay ${slowFsyncMs}` : 'fsync fail');
        if (refused !== undefined) {
          this.failingFsync.delete(id);
          return refused;
        }
        return { members: [id], what: `member ${id}${target.note}${fault.mode === 'slow' ? `, ${slowFsyncMs} ms per fsync` : ': EIO from now on'}`, repair: restartOr(id, 'fsync ok') };
      }
      case 'clock': {
        const sign = fault.step === 'forward' ? '+' : '-';
        const back = fault.step === 'forward' ? '-' : '+';
        const refused = await this.toSwitch(id, `clock step ${sign}${clockStepMs}`);
        if (refused !== undefined) return refused;
        return { members: [id], what: `member ${id}${target.note}, ${sign}${clockStepMs / 1000} s`, repair: restartOr(id, `clock step ${back}${clockStepMs}`) };
      }
      case 'crash-at': {
        // The n-th passage, so that the crash lands in the middle of the traffic rather than on its first write.
        const nth = 1 + Math.floor(this.random() * 20);
        const refused = await this.toSwitch(id, `crash at ${fault.point} ${nth}`);
        if (refused !== undefined) return refused;
        this.crashPoints.armed++;
        return { members: [id], what: `member ${id}${target.note}, its passage ${nth}`, repair: this.crashRepair(id) };
      }
      default:
        return assertNever(fault);
    }
  }

  /** The repair of an armed crash: a member that reached it (not running, within crashReachMs) is restarted; one that did not is disarmed. */
  private crashRepair(id: number): () => Promise<void> {
    const armedAtMs = performance.now();
    return async () => {
      while (this.ensemble.isRunning(id) && performance.now() < armedAtMs + crashReachMs) await sleep(50);
      if (!this.ensemble.isRunning(id)) {
        this.crashPoints.reached++;
        this.ensemble.restart(id);
        return;
      }
      await this.toSwitch(id, 'clear');
      this.note(`member ${id} did not reach its crash point`);
    };
  }

  /**
   * Cuts every link between a member of `left` and one of `right`: the
   * connections a left member opens get `fromLeft`, those a right member
   * opens get `fromRight`. Returns the repair.
   */
  private cutBetween(left: readonly number[], right: readonly number[], fromLeft: Cut, fromRight: Cut): () => void {
    const owner = {}; // this fault's cuts, told apart from another's on the same link
    const keys: string[] = [];
    for (const a of left) {
      for (const b of right) {
        for (const [key, cut] of [[`${a}->${b}`, fromLeft] as const, [`${b}->${a}`, fromRight] as const]) {
          const list = this.cuts.get(key) ?? [];
          list.push({ owner, cut });
          this.cuts.set(key, list);
          keys.push(key);
          this.applyLink(key);
        }
      }
    }
    return () => {
      for (const key of keys) {
        const list = this.cuts.get(key)!.filter((c) => c.owner !== owner);
        this.cuts.set(key, list);
        this.applyLink(key);
      }
    };
  }

  /** Puts link `key`'s proxies in the state of its oldest cut, or heals them. */
  private applyLink(key: string): void {
    const [from, to] = key.split('->').map(Number) as [number, number];
    const cut = this.cuts.get(key)?.[0]?.cut;
    for (const proxy of this.ensemble.peerLinks(from, to)) {
      const now = proxy.droppingOneWay !== undefined ? { drop: proxy.droppingOneWay } : undefined;
      if (cut === undefined) proxy.heal();
      else if ('block' in cut) proxy.block(cut.block);
      else if (now === undefined || describeCut(now) !== describeCut(cut)) proxy.dropOneWay(cut.drop);
    }
  }
}

/** A signal to `pid`, quietly when the process is gone. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // It exited (killed meanwhile): nothing to stop or resume.
  }
}
