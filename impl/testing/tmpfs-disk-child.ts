// The child half of tmpfs-disk.test.ts: mounts a tmpfs on the directory it is
// given, prints `mounted`, and waits to be signalled. What the parent checks
// is that the mount is gone however this process ends (SIGINT, SIGTERM:
// tmpfs-disk.ts's handlers; SIGKILL: the next mount's sweep).

import { TmpfsDisk } from './tmpfs-disk.ts';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: tmpfs-disk-child.ts directory\n');
  process.exit(2);
}
const mounted = TmpfsDisk.mount(path, 1024 * 1024);
if (!mounted.ok) {
  process.stderr.write(`${mounted.error}\n`);
  process.exit(1);
}
process.stdout.write('mounted\n');
// Kept alive until a signal ends it (bounded: the parent kills it long before).
setTimeout(() => process.exit(3), 60_000);
