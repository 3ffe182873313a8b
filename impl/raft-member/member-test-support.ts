// For the Raft member's tests: members in this process over sockets on
// 127.0.0.1, each with its own directory and state machine, started,
// stopped and restarted by id; waits bounded in time.

import { afterEach } from 'vitest';
import { defaultConfig } from '../raft/types.ts';
import { nodeFs } from '../storage/fs-layer.ts';
import { RaftMember, type StateMachine } from './driver.ts';
import { type MemberLog, RaftTransport } from './transport.ts';

export type LogLine = { id: number; level: string; event: string; fields: Record<string, unknown> };

export interface Running<M extends StateMachine = StateMachine> {
  member: RaftMember;
  transport: RaftTransport;
  machine: M;
}

const running: Running[] = [];
/** Stops every member still running after each test. */
export function stopMembersAfterEach(): void {
  afterEach(async () => {
    for (const r of running.splice(0)) {
      await r.member.stop();
      await r.transport.close();
    }
  });
}


export async function startMember<M extends StateMachine>(id: number, ports: readonly number[], dirs: readonly string[], logs: LogLine[], makeMachine: (log: MemberLog) => M, snapshotEveryEntries = 0): Promise<Running<M>> {
  const voters = ports.map((_, k) => k + 1);
  const peers = new Map(voters.filter((v) => v !== id).map((v) => [v, { host: '127.0.0.1', port: ports[v - 1]! }]));
  const log = (level: string, event: string, fields: Record<string, unknown> = {}) => void logs.push({ id, level, event, fields });
  let member: RaftMember | undefined;
  const transport = new RaftTransport({ id, peers, listen: { host: '127.0.0.1', port: ports[id - 1]! }, onMessage: (m) => member?.receive(m), log, helloTimeoutMs: 1000 });
  await transport.start();
  const machine = makeMachine(log);
  // Ticks of 10 ms: an election timeout of 150 to 300 ms, heartbeats every 30 ms (generous for a busy CI core).
  const started = await RaftMember.start({
    config: defaultConfig(id, voters, { electionTicks: 15, heartbeatTicks: 3, seed: id * 7919 }),
    dir: dirs[id - 1]!,
    fs: nodeFs,
    machine,
    send: (m) => transport.send(m),
    log,
    tickMs: 10,
    snapshotEveryEntries,
  });
  if (!started.ok) throw new Error(started.error.message);
  member = started.value;
  const r = { member, transport, machine };
  running.push(r as Running);
  return r;
}

export async function stopMember(r: Running): Promise<void> {
  running.splice(running.indexOf(r as Running), 1);
  await r.member.stop();
  await r.transport.close();
}

export async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const oneLeader = <R extends Running>(members: readonly R[]): R | undefined => {
  const leaders = members.filter((r) => r.member.role === 'leader');
  return leaders.length === 1 ? leaders[0] : undefined;
};

/** Proposes through whoever leads now, retrying while leadership moves. */
export async function proposeThroughLeader(members: readonly Running[], data: Uint8Array, what: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const leader = oneLeader(members);
    if (leader !== undefined) {
      const result = await leader.member.propose(data);
      if (result.ok) return result.value;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${what} was never committed`);
}

