// A seeded fault schedule for an ensemble of 3 or 5 voting members: which
// faults, when, and for how long, decided before the run from the seed alone,
// so that ours and Apache ZooKeeper get the same one and a run can be
// replayed. Which member a fault hits is decided when it is injected (the
// leader is whoever leads then), by nemesis.ts.
//
// Every fault has its repair (restart, SIGCONT, heal). Faults come one at a
// time, each on one member or a minority, so a majority can make progress;
// about one in four is joined, half-way through, by a second single-member
// fault on another member, which in a 3-member ensemble takes the quorum
// away until a repair (the case where nothing may be acknowledged that is
// later lost). A pause lasts at least 1.5 x syncLimit, so the leader drops a
// paused follower and the followers drop a paused leader before it resumes.
// The first faults go through every kind once (in a seeded order), so that a
// short run has them all; the rest are drawn at random.
//
// Which faults: `standard` (the default: kills, pauses, partitions), `switch`
// (those made through our members' fault switch, impl/faults: fsync slow or
// failing, the wall clock stepped, a crash at a point of the persistence
// order), `disk` (a member's disk full: its data directory on a tmpfs of its
// own, filled; root, both kinds of server; disk-full.ts), or `all` (the
// three). A schedule with switch faults is the same for both kinds of server;
// Apache ZooKeeper has no switch, and the nemesis reports them as not
// applicable there. The standard set's schedules are unchanged by the other
// sets' existence: a seed replays the same run as before (and a `disk` seed
// the one it gave as `--kinds disk-full`, the option it replaced).

import { assert, assertNever } from '../../lib/assert.ts';
import { seededRandom } from '../../lib/random.ts';
import type { CrashPoint } from '../faults/crash-points.ts';

export type CutMode = 'refuse' | 'stall';

export type Fault =
  /** SIGKILL, then a restart on the same directory. */
  | { readonly kind: 'kill'; readonly target: 'leader' | 'follower' }
  /** SIGSTOP, then SIGCONT: a process that stops and later resumes with stale timers and connections. */
  | { readonly kind: 'pause'; readonly target: 'leader' | 'follower' }
  /** One member cut from every other, both ways (majority/minority in a 3-member ensemble). */
  | { readonly kind: 'isolate'; readonly mode: CutMode }
  /** One member's bytes to the others dropped ('mute') or the others' bytes to it ('deaf'); connections stay up. */
  | { readonly kind: 'one-way'; readonly way: 'mute' | 'deaf' }
  /** A minority of two cut from the majority of three (5 members). */
  | { readonly kind: 'split'; readonly mode: CutMode }
  /** Two halves that cannot reach each other, and one member that reaches both. */
  | { readonly kind: 'bridge'; readonly mode: CutMode }
  /** One member's fsyncs delayed by slowFsyncMs ('slow'), or failing with EIO ('fail': the member exits, and is restarted). */
  | { readonly kind: 'fsync'; readonly mode: 'slow' | 'fail' }
  /** One member's wall clock stepped an hour forward or back; the repair steps it back to true time. */
  | { readonly kind: 'clock'; readonly step: 'forward' | 'back' }
  /**
   * One member SIGKILLs itself at `point` of the persistence order, then is
   * restarted. The log points come with the next write; for an epoch point
   * the member is a follower and the leader is killed too, so that the
   * election that follows writes the epoch files.
   */
  | { readonly kind: 'crash-at'; readonly point: NemesisCrashPoint }
  /** The member's data directory (a tmpfs of its own) filled, so its next write gets ENOSPC; repaired by freeing the space (disk-full.ts). */
  | { readonly kind: 'disk-full'; readonly target: 'leader' | 'follower' };

/** The crash points the nemesis can bring a member to (the TRUNC and SNAP ones are impl/faults' tests'). */
export type NemesisCrashPoint = Extract<CrashPoint, 'log-written' | 'log-synced' | 'accepted-epoch-written' | 'current-epoch-written'>;

/** Which faults a schedule draws from (see the header). */
export type FaultSet = 'standard' | 'switch' | 'disk' | 'all';
export const FAULT_SETS: readonly FaultSet[] = ['standard', 'switch', 'disk', 'all'];

/** Faults made through our members' fault switch (impl/faults): not applicable to Apache ZooKeeper. */
export const needsFaultSwitch = (f: Fault): boolean => f.kind === 'fsync' || f.kind === 'clock' || f.kind === 'crash-at';

/** How long a slow fsync takes: past syncLimit (1 s in the runs), so that a slow follower is dropped and a slow leader loses its quorum. */
export const slowFsyncMs = 1200;
/** How far a clock step moves the wall clock. */
export const clockStepMs = 3_600_000;

export type FaultKind = Fault['kind'];

export type ScheduledFault = {
  /** 1, 2, ... in the order they start. */
  readonly n: number;
  /** Milliseconds from the start of the faults. */
  readonly atMs: number;
  readonly holdMs: number;
  readonly fault: Fault;
  /** Started while another fault was still on: two at once. */
  readonly overlapping: boolean;
};

export type ScheduleOptions = {
  readonly seed: number;
  /** How long faults are injected. */
  readonly seconds: number;
  /** How many faults to schedule; fewer when they do not fit (pauses of 1.5 x syncLimit in slots shorter than that / 0.7). */
  readonly faults: number;
  /** Voting members: 3 or 5. */
  readonly members: number;
  readonly syncLimitMs: number;
  /** Which faults (the header); `standard` when absent. */
  readonly faultSet?: FaultSet;
};

export type Schedule = {
  readonly options: ScheduleOptions;
  readonly faults: readonly ScheduledFault[];
};

/** The name a fault is counted under: the kind with its variant (`pause leader`, `isolate stall`, ...). */
export function faultLabel(fault: Fault): string {
  switch (fault.kind) {
    case 'kill':
    case 'pause':
      return `${fault.kind} ${fault.target}`;
    case 'isolate':
    case 'split':
    case 'bridge':
      return `${fault.kind} ${fault.mode}`;
    case 'one-way':
      return `one-way ${fault.way}`;
    case 'fsync':
      return `fsync ${fault.mode}`;
    case 'clock':
      return `clock ${fault.step}`;
    case 'crash-at':
      return `crash at ${fault.point}`;
    case 'disk-full':
      return `disk full ${fault.target}`;
    default:
      return assertNever(fault);
  }
}

/** The faults of the `standard` set, one of each variant (with 5 members or more, `splitFaults` too). */
const standardFaults: readonly Fault[] = [
  { kind: 'kill', target: 'leader' },
  { kind: 'kill', target: 'follower' },
  { kind: 'pause', target: 'leader' },
  { kind: 'pause', target: 'follower' },
  { kind: 'isolate', mode: 'refuse' },
  { kind: 'isolate', mode: 'stall' },
  { kind: 'one-way', way: 'mute' },
  { kind: 'one-way', way: 'deaf' },
  { kind: 'bridge', mode: 'refuse' },
  { kind: 'bridge', mode: 'stall' },
];

/** Splits of a minority from a majority: only with 5 members or more (with 3, a minority is one member, which isolate already is). */
const splitFaults: readonly Fault[] = [
  { kind: 'split', mode: 'refuse' },
  { kind: 'split', mode: 'stall' },
];

/** The `switch` set: faults made through each member's fault switch (impl/faults). */
const switchFaults: readonly Fault[] = [
  { kind: 'fsync', mode: 'slow' },
  { kind: 'fsync', mode: 'fail' },
  { kind: 'clock', step: 'forward' },
  { kind: 'clock', step: 'back' },
  { kind: 'crash-at', point: 'log-written' },
  { kind: 'crash-at', point: 'log-synced' },
  { kind: 'crash-at', point: 'accepted-epoch-written' },
  { kind: 'crash-at', point: 'current-epoch-written' },
];

/** The `disk` set: a member's disk filled (disk-full.ts). */
const diskFaults: readonly Fault[] = [
  { kind: 'disk-full', target: 'leader' },
  { kind: 'disk-full', target: 'follower' },
];

/** Every fault a schedule for `members` voting members can hold from `faultSet`, one of each variant, in the order schedules draw from. */
export function faultVariants(members: number, faultSet: FaultSet = 'standard'): Fault[] {
  const standard = members >= 5 ? [...standardFaults, ...splitFaults] : [...standardFaults];
  switch (faultSet) {
    case 'standard':
      return standard;
    case 'switch':
      return [...switchFaults];
    case 'disk':
      return [...diskFaults];
    case 'all':
      return [...standard, ...switchFaults, ...diskFaults];
    default:
      return assertNever(faultSet);
  }
}

/** Faults that hit one member, which can join another fault already on (a crash at an epoch point kills the leader too). */
const singleMember = (f: Fault) =>
  f.kind === 'kill' ||
  f.kind === 'pause' ||
  f.kind === 'isolate' ||
  f.kind === 'one-way' ||
  f.kind === 'fsync' ||
  f.kind === 'clock' ||
  (f.kind === 'crash-at' && (f.point === 'log-written' || f.point === 'log-synced')) ||
  f.kind === 'disk-full';

/** The schedule for `options`: deterministic in the seed and the options. */
export function makeSchedule(options: ScheduleOptions): Schedule {
  assert(options.members === 3 || options.members === 5, `a schedule is for 3 or 5 voting members, not ${options.members}`);
  assert(options.seconds > 0 && options.faults > 0, 'a schedule needs time and faults');
  const random = seededRandom(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const variants = faultVariants(options.members, options.faultSet);
  // Every variant once first, in a seeded order (Fisher-Yates), then at random.
  const firstRound = [...variants];
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [firstRound[i], firstRound[j]] = [firstRound[j]!, firstRound[i]!];
  }
  const windowMs = options.seconds * 1000;
  // Each fault and the gap after it take at most one slot, so all of them fit unless pauses are longer than 0.7 slot.
  const slotMs = windowMs / options.faults;
  const pauseMinMs = Math.ceil(1.5 * options.syncLimitMs);
  const faults: ScheduledFault[] = [];
  let startMs = 0;
  let busyUntilMs = 0;
  let overlapNext = false;
  while (faults.length < options.faults) {
    const overlapping: boolean = overlapNext;
    // A fault on top of another hits one member: the first such variant still due, else one at random.
    const due = overlapping ? firstRound.findIndex(singleMember) : firstRound.length > 0 ? 0 : -1;
    const fault = due >= 0 ? firstRound.splice(due, 1)[0]! : pick(overlapping ? variants.filter(singleMember) : variants);
    const holdMs = Math.round(Math.max(fault.kind === 'pause' ? pauseMinMs : 0, slotMs * (0.4 + 0.3 * random())));
    if (startMs + holdMs > windowMs) break;
    faults.push({ n: faults.length + 1, atMs: Math.round(startMs), holdMs, fault, overlapping });
    busyUntilMs = Math.max(busyUntilMs, startMs + holdMs);
    // Not while only split or bridge variants are still due: they cannot ride on another fault, and must not be crowded out.
    overlapNext = !overlapping && random() < 0.25 && (firstRound.length === 0 || firstRound.some(singleMember)) && variants.some(singleMember);
    startMs = overlapNext ? startMs + holdMs * (0.3 + 0.4 * random()) : busyUntilMs + slotMs * (0.1 + 0.2 * random());
  }
  // Stretched to fill the window (the slots above are an upper bound, about 3/4 used): times and holds alike, so pauses only grow.
  const endMs = Math.max(...faults.map((f) => f.atMs + f.holdMs));
  const stretch = faults.length === options.faults && endMs > 0 ? windowMs / endMs : 1;
  return { options, faults: faults.map((f) => ({ ...f, atMs: Math.floor(f.atMs * stretch), holdMs: Math.floor(f.holdMs * stretch) })) };
}

/** The schedule as lines, for a run's log and failure messages. */
export function describeSchedule(schedule: Schedule): string[] {
  const { seed, seconds, faults, members, syncLimitMs, faultSet } = schedule.options;
  return [
    `schedule: seed ${seed}, ${schedule.faults.length} of ${faults} faults fitted in ${seconds} s, ${members} voting members, syncLimit ${syncLimitMs} ms${faultSet === undefined || faultSet === 'standard' ? '' : `, ${faultSet} faults`}`,
    ...schedule.faults.map(
      (f) => `  #${f.n} at ${(f.atMs / 1000).toFixed(1)}s for ${(f.holdMs / 1000).toFixed(1)}s: ${faultLabel(f.fault)}${f.overlapping ? ' (on top of the previous one)' : ''}`,
    ),
  ];
}
