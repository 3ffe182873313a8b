// The fault switch: faults a test harness turns on inside a running member
// (standalone or ensemble) through a loopback line protocol (line-protocol.ts),
// for the nemesis (impl/nemesis) and the tests here. Issue #15: fsync made
// slow or failing, clock steps where the server reads the wall clock, and
// crashes at chosen points of the persistence order.
//
// Off unless ZKSPEC_FAULT_PORT=<port> is set: then the member listens on
// 127.0.0.1:<port> for
//
//   fsync delay <ms>      every fsync (txn log, snapshots, epoch and intent files, directories) waits <ms> first
//   fsync fail            every fsync fails with EIO from now on (without reaching the disk)
//   fsync ok              fsyncs are fsyncs again
//   clock step <+-ms>     the wall clock the server reads (txn times: ctime, mtime; TTLs) moves by <ms>; steps add up
//   crash at <point> [n]  SIGKILL this process the n-th time (default 1) it passes <point> (crash-points.ts)
//   clear                 all of the above off (an armed crash disarmed, the clock's offset back to 0)
//   status                {"fsyncDelayMs","fsyncFailing","clockOffsetMs","crash","fsyncs","pid"}
//
// each answered with one JSON line (`{"ok":true,...}` or `{"ok":false,"error"}`).
// It is never on in production: nothing reads the variable but main.ts, the
// deploy files never set it, and a value that is not a port refuses the start.
//
// Why a switch in the process rather than a fault-injecting file system
// (FUSE, dm-flakey): the machine has neither without root, and the same
// seam (storage's FsLayer) is the one every fsync already goes through.

import { err, ok, type Result } from '../../lib/result.ts';
import { CRASH_POINTS, isCrashPoint, type CrashPoint } from './crash-points.ts';
import { LineServer } from './line-protocol.ts';

export const FAULT_PORT_ENV = 'ZKSPEC_FAULT_PORT';

/** The fault port the environment asks for; undefined when unset or empty; an error for anything but a port. */
export function faultPortFromEnv(env: NodeJS.ProcessEnv = process.env): Result<number | undefined, string> {
  const text = env[FAULT_PORT_ENV];
  if (text === undefined || text === '') return ok(undefined);
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port < 1 || port > 65535) return err(`${FAULT_PORT_ENV}=${text}: expected a port 1..65535 on 127.0.0.1 (the test-only fault switch), or unset`);
  return ok(port);
}

/** Longest fsync delay accepted: a delay past it is a typo, and would outlive any test. */
const fsyncDelayMsMax = 60_000;
/** Largest clock step accepted in one command (a day either way). */
const clockStepMsMax = 86_400_000;

export type ArmedCrash = { readonly point: CrashPoint; remaining: number };

export class FaultSwitch {
  fsyncDelayMs = 0;
  fsyncFailing = false;
  clockOffsetMs = 0;
  crash: ArmedCrash | undefined;
  /** fsyncs that passed through the switch (delayed, failed or not). */
  fsyncs = 0;

  /** `die` is SIGKILL of this process; tests in one process pass their own. */
  constructor(private readonly die: (point: CrashPoint) => void = () => process.kill(process.pid, 'SIGKILL')) {}

  /** The wall clock as the server reads it: Date.now() moved by the steps so far. */
  readonly now = (): number => Date.now() + this.clockOffsetMs;

  /** Before every fsync: waits out the delay, then fails with EIO when told to. */
  async beforeFsync(what: string): Promise<void> {
    this.fsyncs++;
    if (this.fsyncDelayMs > 0) await new Promise((r) => setTimeout(r, this.fsyncDelayMs));
    if (this.fsyncFailing) throw Object.assign(new Error(`EIO: i/o error, fsync of ${what} (fault switch: fsync fail)`), { code: 'EIO', errno: -5, syscall: 'fsync' });
  }

  /** At a point of the persistence order: dies if a crash is armed there and this is its n-th passage. */
  passing(point: CrashPoint): void {
    const armed = this.crash;
    if (armed === undefined || armed.point !== point) return;
    armed.remaining--;
    if (armed.remaining > 0) return;
    this.crash = undefined;
    this.die(point);
  }

  status(): Record<string, unknown> {
    return {
      fsyncDelayMs: this.fsyncDelayMs,
      fsyncFailing: this.fsyncFailing,
      clockOffsetMs: this.clockOffsetMs,
      crash: this.crash === undefined ? null : { point: this.crash.point, remaining: this.crash.remaining },
      fsyncs: this.fsyncs,
      pid: process.pid,
    };
  }

  /** One command of the protocol above; throws a message for a command it cannot carry out. */
  command(command: string, args: readonly string[]): Record<string, unknown> {
    const line = [command, ...args].join(' ');
    switch (command) {
      case 'fsync':
        return this.fsyncCommand(args, line);
      case 'clock': {
        if (args[0] !== 'step' || args.length !== 2 || !/^[+-]?[0-9]+$/.test(args[1]!)) throw new Error(`usage: clock step <+-ms>, got '${line}'`);
        const stepMs = Number(args[1]);
        if (Math.abs(stepMs) > clockStepMsMax) throw new Error(`clock step ${stepMs}: at most ${clockStepMsMax} ms either way per step`);
        this.clockOffsetMs += stepMs;
        return this.status();
      }
      case 'crash': {
        const nth = args[2] === undefined ? 1 : Number(args[2]);
        if (args[0] !== 'at' || args.length < 2 || args.length > 3 || !Number.isInteger(nth) || nth < 1) throw new Error(`usage: crash at <point> [n >= 1], got '${line}'`);
        if (!isCrashPoint(args[1]!)) throw new Error(`unknown crash point '${args[1]}' (known: ${CRASH_POINTS.join(', ')})`);
        this.crash = { point: args[1], remaining: nth };
        return this.status();
      }
      case 'clear':
        this.fsyncDelayMs = 0;
        this.fsyncFailing = false;
        this.clockOffsetMs = 0;
        this.crash = undefined;
        return this.status();
      case 'status':
        return this.status();
      default:
        throw new Error(`unknown command '${command}' (fsync delay <ms> | fsync fail | fsync ok | clock step <+-ms> | crash at <point> [n] | clear | status)`);
    }
  }

  private fsyncCommand(args: readonly string[], line: string): Record<string, unknown> {
    const usage = `usage: fsync delay <ms> | fsync fail | fsync ok, got '${line}'`;
    if (args[0] === 'delay' && args.length === 2 && /^[0-9]+$/.test(args[1]!)) {
      const delayMs = Number(args[1]);
      if (delayMs > fsyncDelayMsMax) throw new Error(`fsync delay ${delayMs}: at most ${fsyncDelayMsMax} ms`);
      this.fsyncDelayMs = delayMs;
    } else if (args[0] === 'fail' && args.length === 1) this.fsyncFailing = true;
    else if (args[0] === 'ok' && args.length === 1) {
      this.fsyncFailing = false;
      this.fsyncDelayMs = 0;
    } else throw new Error(usage);
    return this.status();
  }
}

/** A switch answering on 127.0.0.1:`port`; `onCommand` sees each command and its answer (the member logs them). */
export async function startFaultPort(
  port: number,
  faults: FaultSwitch,
  onCommand: (line: string, answer: Record<string, unknown> | string) => void,
): Promise<Result<{ close(): Promise<void> }, string>> {
  try {
    const server = await LineServer.start(port, async (command, args) => {
      const line = [command, ...args].join(' ');
      try {
        const answer = faults.command(command, args);
        onCommand(line, answer);
        return answer;
      } catch (error) {
        onCommand(line, error instanceof Error ? error.message : String(error));
        throw error;
      }
    });
    return ok(server);
  } catch (thrown) {
    const code = (thrown as { code?: unknown }).code;
    return err(`cannot listen on the fault port 127.0.0.1:${port} (${FAULT_PORT_ENV}): ${typeof code === 'string' ? code : String(thrown)}`);
  }
}
