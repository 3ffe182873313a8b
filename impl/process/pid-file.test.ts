// The PID file's place (ZOOPIDFILE, else dataDir/zookeeper_server.pid, as
// zkServer.sh), its content (the PID, no newline), and its removal only by the
// process it names.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidFilePath, readPidFile, writePidFile } from './pid-file.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'zk-pid-file-'));
  dirs.push(dir);
  return dir;
};

describe('the PID file', () => {
  it('goes to ZOOPIDFILE when set, else dataDir/zookeeper_server.pid', () => {
    expect(pidFilePath('/var/lib/zookeeper', {})).toBe('/var/lib/zookeeper/zookeeper_server.pid');
    expect(pidFilePath('/var/lib/zookeeper', { ZOOPIDFILE: '' })).toBe('/var/lib/zookeeper/zookeeper_server.pid');
    expect(pidFilePath('/var/lib/zookeeper', { ZOOPIDFILE: '/run/zookeeper/zk.pid' })).toBe('/run/zookeeper/zk.pid');
  });

  it("holds the PID without a newline, in a directory it creates, and is removed only while it holds this PID", () => {
    const path = join(tempDir(), 'not-yet', 'zookeeper_server.pid');
    const pidFile = writePidFile(path, 4242);
    expect(readFileSync(path, 'utf8')).toBe('4242');
    expect(pidFile.previousLivePid).toBeUndefined();
    writeFileSync(path, '5353'); // another server took it over
    pidFile.remove();
    expect(readPidFile(path)).toBe(5353);
    writePidFile(path, 4242).remove();
    expect(existsSync(path)).toBe(false);
  });

  it("overwrites a file naming a process that is gone silently, and one naming a live process with that PID reported", () => {
    const path = join(tempDir(), 'zookeeper_server.pid');
    writeFileSync(path, String(process.pid)); // alive: this test's process
    expect(writePidFile(path, 4242).previousLivePid).toBe(process.pid);
    writeFileSync(path, '2147483646'); // above any pid_max: no such process
    expect(writePidFile(path, 4242).previousLivePid).toBeUndefined();
    writeFileSync(path, 'garbage');
    expect(readPidFile(path)).toBeUndefined();
    expect(writePidFile(path, 4242).previousLivePid).toBeUndefined();
  });
});
