// The server's close (what SIGTERM runs, through the standalone and ensemble
// entry points): each connection is ended, not destroyed, so the replies the
// pipeline already wrote still reach a client that is slow to read them. The
// replies here (16 x 900 KB) are far more than the kernel's socket buffers hold,
// so with a destroy most of them would be lost.

import { afterEach, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from './raw-client.ts';
import { startServer, type ZooKeeperServer } from './server.ts';

let server: ZooKeeperServer | undefined;
let client: RawClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
});

it('close delivers every reply already written before the FIN, to a client that reads late', async () => {
  // 16 replies of 900 KB wait for this client: past the default reply backlog (4 MiB) the server
  // would stop reading its requests (back-pressure), so the backlog is raised above them.
  server = await startServer({ host: '127.0.0.1', port: 0, tickTimeMs: 100, log: () => {}, replyBacklogBytesMax: 32 * 1024 * 1024 });
  client = await RawClient.open(server.port);
  await client.handshake();
  const value = 'x'.repeat(900_000);
  expect((await client.create('/big', value)).header.err).toBe(0);

  client.socket.pause();
  const sentBefore = server.core.stats().packetsSent;
  const replies = Array.from({ length: 16 }, () => client!.request(OpCode.getData, R.GetDataRequest, { path: '/big', watch: false }));
  // Until the server has answered all 16 into a socket nobody reads yet (a fixed
  // wait was too short on a loaded machine: the close came before some requests).
  const deadline = Date.now() + 20_000;
  while (server.core.stats().packetsSent < sentBefore + 16) {
    expect(Date.now(), 'the server answered the 16 requests within 20 s').toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const closing = server.close();
  client.socket.resume();
  const answered = await Promise.all(replies);
  await closing;
  expect(answered.map((r) => r.header.err)).toEqual(Array(16).fill(0));
  for (const reply of answered) expect(reply.body.length).toBeGreaterThan(value.length);
  await client.closed;
});
