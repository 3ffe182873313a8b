// admitLearner over real quorum connections on 127.0.0.1: a free slot or a
// closed holder admits, a live holder refuses the newcomer, and a holder
// silent past the limit is replaced (issue 15: a spoofed FOLLOWERINFO used to
// replace a live follower's connection at once).

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { admitLearner } from './learner-admission.ts';
import { QuorumConnection } from './quorum-connection.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length > 0) closers.pop()!();
});

/** The leader's side of a real loopback connection. */
async function connection(): Promise<QuorumConnection> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  const socket = await accepted;
  closers.push(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  const c = new QuorumConnection(socket, () => {});
  c.attach({ onItem: () => {}, onClose: () => {} });
  return c;
}

describe('admitLearner', () => {
  it('admits into a free slot, or one whose holder is closed', async () => {
    expect(admitLearner(undefined, performance.now(), 1000)).toEqual({ kind: 'admit' });
    const holder = await connection();
    holder.close('gone');
    expect(admitLearner(holder, performance.now(), 1000)).toEqual({ kind: 'admit' });
  });

  it('refuses a newcomer while the holder is alive, naming the holder', async () => {
    const holder = await connection();
    const admission = admitLearner(holder, holder.lastReceivedAtMs + 999, 1000);
    expect(admission.kind).toBe('refuse');
    if (admission.kind === 'refuse') expect(admission.fields['heldBy']).toBe(`127.0.0.1:${holder.socket.remotePort}`);
    expect(holder.isClosed).toBe(false);
  });

  it('replaces a holder silent past the limit (judged dead, as the heartbeat would)', async () => {
    const holder = await connection();
    const admission = admitLearner(holder, holder.lastReceivedAtMs + 1001, 1000);
    expect(admission.kind).toBe('replace');
    if (admission.kind === 'replace') expect(admission.previous).toBe(holder);
  });
});
