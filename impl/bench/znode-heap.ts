// The tree's own memory per znode: JavaScript heap and the bytes outside it
// (data buffers), after N creates applied to a DataTree as the server applies
// them, each with its path, 100 bytes of data and an OPEN_ACL_UNSAFE ACL
// decoded afresh (as every create from the wire is).
//
//   node --expose-gc --import tsx impl/bench/znode-heap.ts [--znodes 200000]
//
// Unlike the RSS figure of `npm run bench -- server` (docs/benchmarks.md,
// which includes the process, the sockets and whatever the collector has not
// yet returned), this is exact and repeatable: a full collection before and
// after, the same count on every tree, no second process. The heap figure is
// the one the #14 changes to the znode's layout move.

import { fileURLToPath } from 'node:url';
import { OpCode } from '../protocol/constants.ts';
import { DataTree } from '../tree/data-tree.ts';

const USAGE = 'usage: node --expose-gc --import tsx impl/bench/znode-heap.ts [--znodes N]';

function parseArgs(argv: readonly string[]): number | string {
  if (argv.length === 0) return 200_000;
  if (argv.length !== 2 || argv[0] !== '--znodes') return `unknown arguments ${JSON.stringify(argv)}`;
  const count = Number(argv[1]);
  return Number.isInteger(count) && count >= 1000 ? count : '--znodes must be an integer >= 1000';
}

function main(): number {
  const count = parseArgs(process.argv.slice(2));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof count === 'string' || gc === undefined) {
    process.stderr.write(`${typeof count === 'string' ? count : 'needs node --expose-gc'}\n${USAGE}\n`);
    return 2;
  }
  const tree = new DataTree();
  let zxid = 1n;
  const create = (path: string, data: Uint8Array) => {
    // A fresh ACL array, entry, id and strings per create, as decoding a request gives.
    const acl = [{ perms: 31, id: { scheme: ['w', 'orld'].join(''), id: ['any', 'one'].join('') } }];
    const body = { type: 'create', opCode: OpCode.create, path, data, acl, ephemeral: false, parentCVersion: -1 } as const;
    const { result } = tree.applyTxn({ sessionId: 1n, cxid: 0, zxid: zxid++, time: BigInt(Date.now()), body });
    if (result.err !== 0) throw new Error(`create ${path} failed with ${result.err}`);
  };
  create('/bench', new Uint8Array(0));
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < count; i++) create(`/bench/node-${i}`, new Uint8Array(100).fill(0x61));
  gc();
  const after = process.memoryUsage();
  const per = (bytes: number) => (bytes / count).toFixed(0);
  process.stdout.write(
    `${count} znodes (${tree.nodeCount} in the tree): heap ${per(after.heapUsed - before.heapUsed)} B/znode, ` +
      `outside the heap ${per(after.external - before.external)} B/znode\n`,
  );
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main();
}
