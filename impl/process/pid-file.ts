// The PID file, as zkServer.sh keeps it: `$ZOOPIDFILE` when set, else
// `dataDir/zookeeper_server.pid`, holding the server's PID without a newline
// (zkServer.sh writes `echo -n $!`), so that `kill $(cat .../zookeeper_server.pid)`
// and the supervisors that read such files (systemd's PIDFile=, monit) find the
// process that handles SIGTERM. zkServer.sh writes it from the shell that
// launched the JVM; here the server writes it itself once zoo.cfg is valid,
// before it opens the database, and removes it when it stops, as
// `zkServer.sh stop` does.
//
// A file left by a process that is gone (killed with SIGKILL) is overwritten.
// One naming a process that is still running is overwritten too, with a
// warning: PIDs are reused, so the file alone cannot prove that another server
// uses this dataDir (the client port, bound later, is what refuses a second
// server on the same address).

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const pidFileName = 'zookeeper_server.pid';

/** Where the PID file goes: `ZOOPIDFILE` from the environment, else dataDir/zookeeper_server.pid. */
export function pidFilePath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['ZOOPIDFILE'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(dataDir, pidFileName);
}

/** The PID a file holds, or undefined when there is no file or it holds no PID. */
export function readPidFile(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  return /^[0-9]+$/.test(text) ? Number(text) : undefined;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type PidFile = {
  readonly path: string;
  /** A PID the file held before, of a process still running (not this one): worth a warning. */
  readonly previousLivePid: number | undefined;
  /** Deletes the file if it still holds this process's PID. */
  remove(): void;
};

/** Writes this process's PID to `path` (creating its directory, as zkServer.sh does); throws on an I/O error. */
export function writePidFile(path: string, pid: number = process.pid): PidFile {
  const previous = readPidFile(path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, String(pid));
  return {
    path,
    previousLivePid: previous !== undefined && previous !== pid && running(previous) ? previous : undefined,
    remove: () => {
      if (readPidFile(path) === pid) rmSync(path, { force: true });
    },
  };
}
