// One jepsen run: a 3- or 5-member ensemble (ours or Apache ZooKeeper 3.8)
// on 127.0.0.1, the safety workload (impl/ensemble/safety-workload.ts) with
// its history recorded, the seeded fault schedule carried out by the nemesis
// while the workload runs, then everything healed and restarted, the
// ensemble given time to elect and take writes again, and the history
// judged twice: by safety-workload's checks (every acknowledged write kept, no
// read of a lost write, members agreeing, versions in order) and by
// impl/linearizability's checker on the recorded history (zkspec-history/1,
// also written to a file for `npm run lincheck`).
//
// Apache ZooKeeper 3.8.0's known loss of acknowledged writes (ZOOKEEPER-4643)
// is reported as such when its logs prove it (impl/ensemble/
// reference-data-loss.ts), and is not a failed run; any other violation is.
// A member that exits on its own (not killed by the nemesis), or that does not
// serve again within 60 s after the faults end (it is then left out of the
// final reads), fails a run of ours; for ZooKeeper it is reported.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ensemble, type ServerKind } from '../ensemble/cluster.ts';
import { unexcusedViolations } from '../ensemble/reference-data-loss.ts';
import { SafetyWorkload } from '../ensemble/safety-workload.ts';
import { checkHistory, formatVerdict } from '../linearizability/checker.ts';
import { parseHistory } from '../linearizability/history.ts';
import { HistoryRecorder, type OperationCounts } from '../linearizability/recorder.ts';
import { fullDiskZooCfg, MemberDisks } from './disk-full.ts';
import { Nemesis } from './nemesis.ts';
import { describeSchedule, makeSchedule, needsFaultSwitch, type FaultSet, type Schedule } from './schedule.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { FAULT_PORT_ENV } from '../faults/fault-switch.ts';

export type JepsenOptions = {
  readonly servers: ServerKind;
  /** How long faults are injected (the run takes about 30 s more: start, recovery, checks). */
  readonly seconds: number;
  readonly faults: number;
  readonly seed: number;
  /** Voting members: 3 or 5. */
  readonly members: 3 | 5;
  /** Observers besides them (ids members+1..), 0 by default: clients read and write through them, and faults hit them too. */
  readonly observers?: number;
  /** Which faults (schedule.ts): `standard` when absent; ours gets fault switches (impl/faults) when the schedule has switch faults, each member a tmpfs of its own when it has disk faults. */
  readonly faultSet?: FaultSet;
  /** Each member's tmpfs for `disk full`, in MiB (default 256; only mounted when the schedule has that fault). */
  readonly diskMb?: number;
  /** Where the history and the members' directories go; a fresh temp directory by default. */
  readonly outDir?: string;
  /** Progress lines (the schedule, each fault as it happens). */
  readonly log?: (line: string) => void;
  /** Given, once the members are started, what stops them (SIGCONT, then SIGKILL by PID): for a test's afterEach. */
  readonly onStarted?: (stop: () => Promise<void>) => void;
};

export type ObserverCounts = {
  readonly ids: readonly number[];
  readonly faults: Readonly<Record<string, number>>;
  readonly acknowledgedWrites: number;
  readonly reads: number;
};

export type Verdict = 'valid' | 'invalid' | 'known-reference-loss';

export type JepsenResult = {
  readonly verdict: Verdict;
  readonly schedule: Schedule;
  /** Faults injected, by label (`kill leader`, `pause follower`, `isolate stall`, ...). */
  readonly faults: Readonly<Record<string, number>>;
  readonly faultsSkipped: number;
  /** Switch faults not applicable to these servers (Apache ZooKeeper has no fault switch), by label. */
  readonly faultsNotApplicable: Readonly<Record<string, number>>;
  /** Crash points armed by the nemesis, and reached (the member SIGKILLed itself there). */
  readonly crashPoints: { readonly armed: number; readonly reached: number };
  readonly operations: OperationCounts;
  readonly lostAcknowledgedWrites: number;
  /** The members read back at the end (after a sync): every one running, observers included. */
  readonly membersChecked: readonly number[];
  /** What failed the run (empty when valid). */
  readonly anomalies: readonly string[];
  /** ZooKeeper's known data loss with its proof, when that is what happened. */
  readonly note: string | undefined;
  readonly unexpectedExits: readonly string[];
  /** Members that stopped on their full disk, as ours must (excused; disk-full.ts). */
  readonly diskFullStops: readonly string[];
  /** Why `disk full` faults were skipped (not root, a mount refused), when they were. */
  readonly diskFullUnavailable: string | undefined;
  /** Members the nemesis found exited on their own during the faults and started again, in order. */
  readonly restartedAfterExit: readonly number[];
  /** Members that did not serve again within 60 s after the faults ended (left out of the final reads). */
  readonly liveness: readonly string[];
  readonly nemesisLog: readonly string[];
  /** With observers: who they are, the faults that hit them by label, and the writes acknowledged and reads served through them. */
  readonly observers: ObserverCounts | undefined;
  readonly historyPath: string;
  readonly outDir: string;
  readonly logPaths: readonly string[];
};

/** Cluster timings: 200 ms ticks, so syncLimit (5 ticks) is 1 s and a pause of 1.5 s outlasts it. */
const tickTimeMs = 200;
const syncLimitTicks = 5;

const defaultDiskMb = 256;

/** The command that repeats a run. */
export function reproduceCommand(o: Pick<JepsenOptions, 'servers' | 'seconds' | 'faults' | 'seed' | 'members' | 'observers' | 'faultSet' | 'diskMb'>): string {
  const observers = (o.observers ?? 0) > 0 ? ` --observers ${o.observers}` : '';
  const set = o.faultSet === undefined || o.faultSet === 'standard' ? '' : ` --fault-set ${o.faultSet}`;
  const disk = o.diskMb === undefined ? '' : ` --disk-mb ${o.diskMb}`;
  return `npm run jepsen -- --servers ${o.servers} --seconds ${o.seconds} --faults ${o.faults} --seed ${o.seed} --members ${o.members}${observers}${set}${disk}`;
}

/**
 * The order the workload's clients are spread over the members (safety-workload's
 * `spreadOver`): voters and observers interleaved, so that with a few clients
 * each observer still gets a writer and a reader of its own to start with.
 */
export function clientSpread(members: number, observers: number): number[] {
  const voters = Array.from({ length: members }, (_, k) => k + 1);
  const order: number[] = [];
  for (let k = 0; k < observers; k++) order.push(voters[k] ?? voters[0]!, members + 1 + k);
  return [...order.filter((id, i) => order.indexOf(id) === i), ...voters.filter((id) => !order.includes(id))];
}

/** The schedule a run with these options carries out (the same for both kinds of server). */
export function jepsenSchedule(o: Pick<JepsenOptions, 'seconds' | 'faults' | 'seed' | 'members' | 'faultSet'>): Schedule {
  return makeSchedule({ seed: o.seed, seconds: o.seconds, faults: o.faults, members: o.members, syncLimitMs: tickTimeMs * syncLimitTicks, ...(o.faultSet === undefined ? {} : { faultSet: o.faultSet }) });
}

export async function runJepsen(options: JepsenOptions): Promise<JepsenResult> {
  const log = options.log ?? (() => {});
  const schedule = jepsenSchedule(options);
  for (const line of describeSchedule(schedule)) log(line);
  const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), `zkspec-jepsen-${options.servers}-${options.seed}-`));
  mkdirSync(outDir, { recursive: true });
  const unexpectedExits: string[] = [];
  // Only a schedule that fills disks gets them: the others run as they always did.
  const disks = schedule.faults.some((f) => f.fault.kind === 'disk-full') ? new MemberDisks((options.diskMb ?? defaultDiskMb) * 2 ** 20) : undefined;
  if (disks?.unavailable !== undefined) log(`disk full: not injected in this run: ${disks.unavailable}`);
  // Ours gets a fault switch per member, observers too, when the schedule has faults made through one (ZKSPEC_FAULT_PORT; never in production).
  const switchPorts = options.servers === 'ours' && schedule.faults.some((f) => needsFaultSwitch(f.fault)) ? await reservePorts(options.members + (options.observers ?? 0)) : [];
  const faultPorts = new Map(switchPorts.map((port, k) => [k + 1, port] as const));
  let nemesis: Nemesis | undefined;
  let e: Ensemble;
  try {
    e = await Ensemble.start({
      kind: options.servers,
      size: options.members,
      observers: options.observers ?? 0,
      tickTimeMs,
      initLimitTicks: 20,
      syncLimitTicks,
      baseDir: join(outDir, 'members'),
      ...(disks === undefined ? {} : { onDataDir: (m) => disks.mountFor(m), extraConfig: fullDiskZooCfg }),
      ...(faultPorts.size === 0 ? {} : { memberEnv: (id: number) => ({ [FAULT_PORT_ENV]: String(faultPorts.get(id)) }) }),
      onMemberExit: (id, code, signal) => {
        // The fault's own exits: a SIGKILL (the nemesis's, or a crash point's), exit 1 after fsyncs were made to fail, the stop on a full disk.
        if (signal === 'SIGKILL' || nemesis?.excusesExit(id, code) === true || nemesis?.memberExited(id) !== undefined) return;
        unexpectedExits.push(`member ${id} exited on its own (code ${code}, signal ${signal})`);
      },
    });
  } catch (error) {
    disks?.unmountAll();
    releasePorts(switchPorts);
    throw error;
  }
  const root = '/jepsen';
  const writers = 6;
  const registersPerWriter = 4;
  const initial = Object.fromEntries(Array.from({ length: writers * registersPerWriter }, (_, n) => [`${root}/k${n}`, { data: '', version: 0 }]));
  const history = new HistoryRecorder(undefined, initial);
  nemesis = new Nemesis(e, options.seed, log, faultPorts, disks);
  const theNemesis = nemesis;
  const stopMembers = async () => {
    theNemesis.resumeAll();
    await e.stopAll({ keepData: true });
    // After the members: a tmpfs still in use is only detached lazily.
    disks?.unmountAll();
  };
  options.onStarted?.(stopMembers);
  const observers = options.observers ?? 0;
  // One more reader per observer, so that each observer serves reads from the start (clientSpread puts them early).
  const workload = new SafetyWorkload(e, {
    root,
    writers,
    registersPerWriter,
    readers: 3 + observers,
    readsInFlight: 2,
    seed: options.seed,
    history,
    ...(observers > 0 ? { spreadOver: clientSpread(options.members, observers) } : {}),
  });
  const historyPath = join(outDir, 'history.json');
  let historyWritten = false;
  try {
    // 20 s a member: seven JVMs starting together on two busy cores took longer than a minute to serve.
    await e.waitUntilServing(e.ids, 20_000 * e.ids.length);
    await e.leader(30_000);
    await workload.setup();
    workload.start();
    // Bounds for a loaded machine: 7 JVMs at load 39 gave 14 acknowledgements in the first 15 s.
    await workload.waitForAcks(100, 60_000, 'before the faults');
    log(`faults start (${schedule.faults.length} scheduled over ${options.seconds} s)`);
    await theNemesis.run(schedule);
    log('faults over: every member running and every link healed');
    for (const id of e.ids) if (!e.isRunning(id)) e.restart(id); // a member that exited on its own
    const notRejoined = await notServingAfter(e, 60_000);
    const liveness = notRejoined.map((id) => `member ${id} was not serving 60 s after the faults ended (its log: ${e.member(id).logPath})`);
    if (notRejoined.filter((id) => id <= options.members).length * 2 >= options.members) throw new Error(`no quorum serving 60 s after the faults ended: ${liveness.join('; ')}`);
    // Judged without it: verify reads every running member, and one that does not serve would never answer.
    for (const id of notRejoined) if (e.isRunning(id)) await e.kill(id); // one may have exited again (ZooKeeper refusing its own epoch files)
    await e.leader(30_000);
    await workload.waitForAcks(100, 60_000, 'after the faults');
    await workload.stop();
    const report = await workload.verify();
    history.write(historyPath);
    historyWritten = true;
    // Said before the linearizability checker runs: on a long history with many indeterminate operations it can take long.
    const counts = history.operationCounts();
    log(`safety checks: ${report.lostAcknowledgedWrites} acknowledged writes lost, ${report.violations.length} violations; operations ok ${counts.ok}, failed ${counts.failed}, indeterminate ${counts.indeterminate}; history in ${historyPath}`);
    const { unexcused, note } = unexcusedViolations(e, report.violations);
    const exitsFail = options.servers === 'ours' ? unexpectedExits : [];
    const linearizability = judgeHistory(history, log);
    // ZooKeeper's excused loss shows in its history too: judged there with the rest of the excuse.
    const historyAnomalies = note !== undefined ? [] : linearizability;
    const anomalies = [...unexcused, ...historyAnomalies, ...workload.unexpectedErrors.map((x) => `unexpected error: ${x}`), ...exitsFail];
    for (const line of liveness) log(`liveness: ${line}`);
    const verdict: Verdict = anomalies.length > 0 ? 'invalid' : note !== undefined ? 'known-reference-loss' : 'valid';
    return {
      verdict,
      schedule,
      faults: { ...theNemesis.injected },
      faultsSkipped: theNemesis.skipped,
      faultsNotApplicable: { ...theNemesis.notApplicable },
      crashPoints: { ...theNemesis.crashPoints },
      operations: history.operationCounts(),
      lostAcknowledgedWrites: report.lostAcknowledgedWrites,
      membersChecked: report.membersChecked,
      anomalies,
      note,
      unexpectedExits,
      diskFullStops: [...theNemesis.diskFullStops],
      diskFullUnavailable: disks?.unavailable,
      restartedAfterExit: [...theNemesis.restartedAfterExit],
      liveness,
      nemesisLog: theNemesis.log,
      observers: observers === 0 ? undefined : observerCounts(e, theNemesis, workload, report.readsByMember),
      historyPath,
      outDir,
      logPaths: e.ids.map((id) => e.member(id).logPath),
    };
  } finally {
    theNemesis.resumeAll();
    await workload.stop(2000);
    await stopMembers();
    releasePorts(switchPorts);
    if (!historyWritten) history.write(historyPath); // a run that failed keeps its evidence too
  }
}

/** What went through the observers and what hit them. */
function observerCounts(e: Ensemble, nemesis: Nemesis, workload: SafetyWorkload, readsByMember: Readonly<Record<number, number>>): ObserverCounts {
  const ids = e.members.filter((m) => m.peerType === 'observer').map((m) => m.id);
  const sum = (counts: Readonly<Record<number, number>>) => ids.reduce((s, id) => s + (counts[id] ?? 0), 0);
  return { ids, faults: { ...nemesis.onObservers }, acknowledgedWrites: sum(workload.acksByMember), reads: sum(readsByMember) };
}

/** The linearizability checker's verdict on the history (impl/linearizability): its anomalies, or none. */
function judgeHistory(history: HistoryRecorder, log: (line: string) => void): string[] {
  const parsed = parseHistory(history.toJSON());
  if (!parsed.ok) return [`the recorded history is malformed: ${parsed.error}`];
  const verdict = checkHistory(parsed.history);
  const lines = formatVerdict(verdict, parsed.history);
  log(`linearizability checker: ${verdict.verdict}; ${lines[0]}`);
  if (verdict.verdict === 'anomaly') return lines.slice(1, 40);
  return verdict.verdict === 'unknown' ? [`the linearizability checker gave up on ${verdict.unknown.length} parts`] : [];
}

/** The members in `e` that do not report a mode through srvr within `timeoutMs`. */
async function notServingAfter(e: Ensemble, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(e.ids);
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) if ((await e.mode(id).catch(() => undefined)) !== undefined) pending.delete(id);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return [...pending];
}

/** Removes a run's directory (the history and the members' data and logs), for runs whose evidence is not wanted. */
export function removeRunDirectory(result: Pick<JepsenResult, 'outDir'>): void {
  rmSync(result.outDir, { recursive: true, force: true });
}

/** The report of a run, as `npm run jepsen` prints it. */
export function describeResult(options: JepsenOptions, r: JepsenResult): string[] {
  const faults = Object.entries(r.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, n]) => `${label}: ${n}`);
  const total = Object.values(r.faults).reduce((s, n) => s + n, 0);
  return [
    `verdict: ${r.verdict}${r.verdict === 'known-reference-loss' ? ' (Apache ZooKeeper 3.8.0 lost acknowledged writes the way ZOOKEEPER-4643 describes; proof below)' : ''}`,
    `faults injected: ${total} of ${r.schedule.faults.length} scheduled${r.faultsSkipped > 0 ? ` (${r.faultsSkipped} skipped: no healthy member, its fault switch did not answer, or no disk to fill)` : ''}: ${faults.join(', ')}`,
    ...(Object.keys(r.faultsNotApplicable).length > 0
      ? [`not applicable to Apache ZooKeeper (no fault switch): ${Object.entries(r.faultsNotApplicable).map(([label, n]) => `${label}: ${n}`).join(', ')}`]
      : []),
    ...(r.crashPoints.armed > 0 ? [`crash points: ${r.crashPoints.armed} armed, ${r.crashPoints.reached} reached`] : []),
    `operations: ${r.operations.ok + r.operations.failed + r.operations.indeterminate} (ok ${r.operations.ok}, failed ${r.operations.failed}, indeterminate ${r.operations.indeterminate})`,
    `acknowledged writes lost: ${r.lostAcknowledgedWrites} (final reads from members ${r.membersChecked.join(', ')})`,
    ...(r.observers === undefined ? [] : [describeObservers(r.observers)]),
    ...(r.anomalies.length > 0 ? [`anomalies (${r.anomalies.length}):`, ...r.anomalies.slice(0, 20).map((a) => `  ${a}`)] : ['anomalies: none']),
    ...(r.liveness.length > 0 ? ['liveness failures (not safety; the run fails for ours):', ...r.liveness.map((x) => `  ${x}`)] : []),
    ...(r.unexpectedExits.length > 0 ? ['members that exited on their own:', ...r.unexpectedExits.map((x) => `  ${x}`)] : []),
    ...(r.diskFullStops.length > 0 ? ['members that stopped on a full disk (failing closed, then restarted):', ...r.diskFullStops.map((x) => `  ${x}`)] : []),
    ...(r.diskFullUnavailable !== undefined ? [`disk full: not injected: ${r.diskFullUnavailable}`] : []),
    ...(r.restartedAfterExit.length > 0 ? [`started again by the nemesis after exiting on their own: members ${r.restartedAfterExit.join(', ')}`] : []),
    ...(r.note !== undefined ? [r.note] : []),
    `history (zkspec-history/1): ${r.historyPath}`,
    `members' logs: ${r.logPaths.join(' ')}`,
    `reproduce: ${reproduceCommand(options)}`,
  ];
}

/** The observers' line of a report: who, the faults that hit them, the writes and reads through them. */
function describeObservers(o: ObserverCounts): string {
  const faults = Object.entries(o.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, n]) => `${label}: ${n}`);
  const total = Object.values(o.faults).reduce((s, n) => s + n, 0);
  return `observers ${o.ids.join(', ')}: ${total} faults hit them${total > 0 ? ` (${faults.join(', ')})` : ''}; ${o.acknowledgedWrites} writes acknowledged and ${o.reads} reads served through them`;
}
