// The per-file fixture of the process tests: what a test opens through it is
// undone after that test, in the one order that is safe: connections closed
// (so the server sees no half-open client while it is killed), the child
// servers SIGKILLed by PID, anything else registered, then the temp
// directories removed (last, since a running server still writes in its own).
// Every standalone test file used to declare the same arrays and afterEach.

import { afterEach } from 'vitest';
import { RawClient } from '../server/raw-client.ts';
import { dataDirWithConfig, killChildren, type DataDir } from './test-support.ts';

export type ProcessFixture = {
  /** A temp dataDir with a zoo.cfg (test-support's dataDirWithConfig), removed after the test. */
  dataDir(extra?: readonly string[], prefix?: string): DataDir;
  /** A raw wire client on 127.0.0.1:`port`, not yet handshaken, closed after the test. */
  rawClient(port: number): Promise<RawClient>;
  /** A raw wire client with a session of `timeOut` ms, closed after the test. */
  session(port: number, timeOut?: number): Promise<RawClient>;
  /** Something else to undo after the test (a client of another library, a socket, an Apache ZooKeeper). */
  onCleanup(undo: () => unknown): void;
};

export function processFixture(): ProcessFixture {
  const dirs: DataDir[] = [];
  const clients: RawClient[] = [];
  const others: (() => unknown)[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    killChildren();
    for (const undo of others.splice(0)) await undo();
    for (const dir of dirs.splice(0)) dir.remove();
  });
  const rawClient = async (port: number): Promise<RawClient> => {
    const client = await RawClient.open(port);
    clients.push(client);
    return client;
  };
  return {
    dataDir(extra = [], prefix) {
      const dir = dataDirWithConfig(extra, prefix);
      dirs.push(dir);
      return dir;
    },
    rawClient,
    async session(port, timeOut = 4000) {
      const client = await rawClient(port);
      await client.handshake({ timeOut });
      return client;
    },
    onCleanup(undo) {
      others.push(undo);
    },
  };
}
