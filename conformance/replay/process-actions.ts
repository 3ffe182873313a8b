// One spec/zab action carried out on member processes (process-world.ts), for
// the process-level replay (process-replay.ts):
//
// | spec action                        | at process level                                                   |
// | ---------------------------------- | ------------------------------------------------------------------ |
// | ElectLeader(l, Q)                  | `lead` to l, `follow l` to the rest of Q (each dials l's link)     |
// | FollowLeader(s, l)                 | `follow l` to s                                                    |
// | Deliver(from, to, M)               | the head of the link's queue must be M; forwarded                  |
// | LeaderProcessRequest(s)            | a client connects to s's client port: one createSession txn        |
// | DiskSync(s)                        | `sync`: the held appends are written and fsynced, then LogSynced   |
// | Timeout(s), s a learner            | the harness breaks s's connection to its leader                    |
// | Timeout(s), s the leader           | `end` (counted as abstracted, as in process: no core event)        |
// | NodeCrash(s) / NodeStart(s)        | SIGKILL / the process again on the same data directory             |
// | PartitionStart / PartitionRecover  | both links of the pair break and refuse / accept again             |
//
// Fast Leader Election's actions are not replayed (test-control mode uses the
// oracle election): they throw Unsupported, which the replay reports as
// `invalid`. A member that cannot take the action throws a Divergence.

import { assertNever } from '../../lib/assert.ts';
import type { ZabAction } from '../../spec/zab/actions.ts';
import type { ZabCluster } from '../../spec/zab/world.ts';
import { canonical } from '../trace.ts';
import { peerZxid } from './mapping.ts';
import { type Observation, type ProcessWorld, waitFor } from './process-world.ts';
import { fail } from './target.ts';

/** The trace asks for what the harness does not replay (thrown by perform; the trace is `invalid`). */
export class Unsupported {
  constructor(readonly reason: string) {}
}

type ActionOf<T extends ZabAction['type']> = Extract<ZabAction, { type: T }>;

/** Carries out one spec action on the processes; returns the abstraction's kind when the members take no step of their own. */
export async function perform(world: ProcessWorld, before: ZabCluster, action: ZabAction, after: ZabCluster, timeoutMs: number): Promise<string | undefined> {
  const ensemble = world.ensemble;
  switch (action.type) {
    case 'ElectLeader':
      await electLeader(world, action, timeoutMs);
      return undefined;
    case 'FollowLeader': {
      await needLooking(world, action.server, `FollowLeader(s${action.server}, s${action.leader})`, timeoutMs);
      await ensemble.command(action.server, `follow ${ensemble.member(action.leader).sid}`);
      return undefined;
    }
    case 'ConnectAndFollowerSendFOLLOWERINFO':
      throw new Unsupported('a learner decided by Fast Leader Election connects on its own in test-control mode');
    case 'Deliver':
      await deliver(world, before, action, after, timeoutMs);
      return undefined;
    case 'LeaderProcessRequest':
      await world.clientWrite(action.server, before.requests + 1);
      return undefined;
    case 'DiskSync': {
      const logged = before.servers[action.server]!.pending.flatMap((w) => (w.kind === 'log' ? w.txns : []));
      if (logged.length > 0) await ensemble.command(action.server, `sync ${peerZxid(logged[logged.length - 1]!.zxid).toString()}`);
      return undefined;
    }
    case 'Timeout':
      return timeout(world, before, action.server);
    case 'NodeCrash':
      await ensemble.kill(action.server);
      return undefined;
    case 'NodeStart':
      await ensemble.spawn(action.server);
      return undefined;
    case 'PartitionStart':
      ensemble.link(action.a, action.b).block();
      ensemble.link(action.b, action.a).block();
      return undefined;
    case 'PartitionRecover':
      ensemble.link(action.a, action.b).unblock();
      ensemble.link(action.b, action.a).unblock();
      return undefined;
    case 'FLEReceiveNotmsg':
    case 'FLENotmsgTimeout':
    case 'FLEWaitNewNotmsg':
    case 'DropNotification':
      throw new Unsupported('Fast Leader Election runs in the spec only');
    default:
      return assertNever(action, 'ZAB action');
  }
}

/** A role run starts only on a LOOKING member whose last run has finished ending. */
async function needLooking(world: ProcessWorld, id: number, why: string, timeoutMs: number): Promise<void> {
  const { seen, held } = await waitFor(world, timeoutMs, (o) => o.projections[id]!['state'] === 'LOOKING' && o.extras[id]?.running === false);
  if (!held) fail('missing-action', `${why}: server ${id} is ${String(seen.projections[id]!['state'])}${seen.extras[id]?.running === true ? ' (its run has not ended)' : ''}, not LOOKING`);
}

/** ElectLeader: `lead` to the leader, then `follow` to the rest of the quorum. */
async function electLeader(world: ProcessWorld, action: ActionOf<'ElectLeader'>, timeoutMs: number): Promise<void> {
  const ensemble = world.ensemble;
  await Promise.all(action.quorum.map((m) => needLooking(world, m, `ElectLeader(s${action.leader})`, timeoutMs)));
  await ensemble.command(action.leader, 'lead');
  // Learners dial once the leader runs (a refused dial is retried, but costs a back-off).
  await waitFor(world, timeoutMs, (o) => o.projections[action.leader]!['state'] === 'LEADING');
  await Promise.all(action.quorum.filter((m) => m !== action.leader).map((m) => ensemble.command(m, `follow ${ensemble.member(action.leader).sid}`)));
}

/** Deliver: the link's head must be the spec's message; a NEWLEADER's fsync is completed as the spec's step does. */
async function deliver(world: ProcessWorld, before: ZabCluster, action: ActionOf<'Deliver'>, after: ZabCluster, timeoutMs: number): Promise<void> {
  const learnerBefore = action.message === 'NEWLEADER' ? await world.observe() : undefined;
  const result = world.deliver(action.from, action.to, action.message);
  if ('head' in result) {
    fail(
      'missing-action',
      result.head === undefined
        ? `the spec delivers ${action.message} from s${action.from} to s${action.to}; that link is empty`
        : `the spec delivers ${action.message} from s${action.from} to s${action.to}; the link's head is ${result.head}`,
    );
  }
  if (learnerBefore !== undefined) await completeNewLeaderFsync(world, before, action.to, action.from, after, learnerBefore, timeoutMs);
}

/** Timeout: a leader's run ends (`end`, abstracted); a learner's connection to its leader breaks, or its run ends when it has none. */
async function timeout(world: ProcessWorld, before: ZabCluster, server: number): Promise<string | undefined> {
  const ensemble = world.ensemble;
  const node = before.servers[server]!.node;
  if (node === null) return fail('missing-action', `Timeout: server ${server} is down`);
  if (node.state === 'LEADING') {
    await ensemble.command(server, 'end');
    return 'Timeout of a leader (`end`: the runner ends the run)';
  }
  const link = node.leader >= 0 && node.leader !== server ? ensemble.link(server, node.leader) : undefined;
  if (link?.isConnected === true) link.breakConnection();
  else await ensemble.command(server, 'end');
  return undefined;
}

/**
 * zab-target.ts's split of the fixed FollowerProcessNEWLEADER, at process level:
 * once the learner has taken NEWLEADER (it waits for the fsync, or it acked,
 * or it left), and when the judging spec completed the fsync within the step,
 * check the crash point (the epoch files as before the step, nothing sent)
 * and then `sync` the learner.
 */
async function completeNewLeaderFsync(world: ProcessWorld, before: ZabCluster, learner: number, leader: number, after: ZabCluster, seenBefore: Observation, timeoutMs: number): Promise<void> {
  const n = before.servers.length;
  const sentBefore = seenBefore.channels[learner * n + leader]!;
  const { seen } = await waitFor(world, timeoutMs, (o) => {
    const extra = o.extras[learner];
    if (extra === undefined) return true;
    const moved = o.channels[learner * n + leader]!.length !== sentBefore.length || canonical(o.projections[learner]) !== canonical(seenBefore.projections[learner]);
    return extra.epochWrites === 0 && (extra.waitsForSync || moved);
  });
  const extra = seen.extras[learner];
  if (extra === undefined || !extra.waitsForSync) return;
  if (after.servers[learner]!.pending.length > 0) return;
  const specDisk = before.servers[learner]!.disk;
  if (extra.diskCurrentEpoch !== specDisk.currentEpoch || extra.diskAcceptedEpoch !== specDisk.acceptedEpoch) {
    fail(
      'diverging-state',
      `crash point inside NEWLEADER (before the fsync of the synced proposals completes): server ${learner} has currentEpoch ${extra.diskCurrentEpoch} on disk with the synced proposals not yet durable; the spec's step leaves currentEpoch ${specDisk.currentEpoch} until they are`,
    );
  }
  const sent = seen.channels[learner * n + leader]!;
  if (sent.length !== sentBefore.length) fail('unexpected-action', `crash point inside NEWLEADER: server ${learner} sent ${sent.slice(sentBefore.length).join(', ')} to s${leader} before the synced proposals are durable`);
  const log = after.servers[learner]!.disk.log;
  if (log.length > 0) await world.ensemble.command(learner, `sync ${peerZxid(log[log.length - 1]!.zxid).toString()}`);
}
