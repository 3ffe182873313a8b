// The server processes a test harness starts, so that none outlives the test
// process: each harness keeps a ChildPids set (its own, so that it can say
// which of its processes are still running), and every PID still in any set
// is SIGKILLed when this process exits, however the test ended.

const allSets = new Set<ChildPids>();
let exitHookInstalled = false;

export class ChildPids {
  private readonly pids = new Set<number>();

  /** From spawn on: killed at this process's exit unless `forget` comes first. */
  track(pid: number): void {
    this.pids.add(pid);
    allSets.add(this);
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const set of allSets) for (const p of set.pids) killQuietly(p);
    });
  }

  /** Seen exit (or killed and waited for). */
  forget(pid: number): void {
    this.pids.delete(pid);
  }

  list(): number[] {
    return [...this.pids];
  }
}

/** Whether `pid` is a running process (EPERM: it is, someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
