// What `envi` lists. ZooKeeper's Environment.list reports the JVM's system
// properties; the keys about the platform and the process keep their names
// here (host.name, os.*, user.*), and the JVM-specific ones (java.version,
// java.home, java.class.path, java.library.path, java.compiler) are replaced
// by the Node equivalents under `node.*` rather than faked. os.memory.* is the
// heap, as in Java (Runtime.freeMemory, maxMemory, totalMemory), in whole MB.

import * as os from 'node:os';
import * as v8 from 'node:v8';

const javaArch: Record<string, string> = { x64: 'amd64', arm64: 'aarch64', ia32: 'x86' };

export function nodeEnvironment(version: string): (readonly [string, string])[] {
  const memory = process.memoryUsage();
  const mb = (bytes: number) => `${Math.floor(bytes / (1024 * 1024))}MB`;
  let userName = '';
  let userHome = '';
  try {
    const info = os.userInfo();
    userName = info.username;
    userHome = info.homedir;
  } catch {
    // No passwd entry (some containers): Java prints "?" for user.name.
    userName = '?';
  }
  return [
    ['zookeeper.version', version],
    ['host.name', os.hostname()],
    ['node.version', process.versions.node],
    ['node.v8.version', process.versions.v8],
    ['node.exec.path', process.execPath],
    ['java.io.tmpdir', os.tmpdir()],
    ['os.name', os.type()],
    ['os.arch', javaArch[os.arch()] ?? os.arch()],
    ['os.version', os.release()],
    ['user.name', userName],
    ['user.home', userHome],
    ['user.dir', process.cwd()],
    ['os.memory.free', mb(memory.heapTotal - memory.heapUsed)],
    ['os.memory.max', mb(v8.getHeapStatistics().heap_size_limit)],
    ['os.memory.total', mb(memory.heapTotal)],
  ];
}
