// mntr on every member of an ensemble, as the operator's alerting reads it:
// three voters and one observer. Every member says what it is (zk_peer_state)
// and how many voters there are (zk_quorum_size); the observer names the
// leader it syncs from; only the leader counts its learners, the followers
// and observers it has synced, the syncs it holds and the sizes of its
// proposals. A follower killed with SIGKILL drops out of the leader's counts.
// Runs against Apache ZooKeeper 3.8 where installed and against ours
// (ZKSPEC_ENSEMBLE_OURS=0 turns that off; cluster.ts, testsRunAgainst), with
// the same expectations: the numbers below are what ZooKeeper 3.8.0 printed.

import { afterEach, describe, expect, it } from 'vitest';
import { Ensemble, fourLetterWord, testsRunAgainst, type ServerKind } from './cluster.ts';
import { call, connectClient as connect, type ZkClient } from '../testing/zk-client.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';

const ensembles: Ensemble[] = [];
const clients: ZkClient[] = [];
const reserved: number[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const e of ensembles.splice(0)) await e.stopAll();
  releasePorts(reserved.splice(0));
});

/** One AdminServer command's JSON. */
async function command(port: number, name: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}/commands/${name}`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** LeaderZooKeeperServer's gauges: a leader prints them, nobody else does. */
const leaderKeys = [
  'learners', 'synced_followers', 'synced_non_voting_followers', 'synced_observers', 'pending_syncs',
  'leader_uptime', 'last_proposal_size', 'min_proposal_size', 'max_proposal_size',
];

/**
 * The order in which ZooKeeper 3.8.0 printed these keys (dumpMonitorValues,
 * then the gauges in their ConcurrentHashMap's bucket order, then the
 * summaries). Each server prints a subset; whatever it prints must come in
 * this order.
 */
const zookeeperOrder = [
  'version', 'server_state', 'peer_state', 'observer_master_id', 'ephemerals_count', 'num_alive_connections', 'avg_latency',
  'min_proposal_size', 'outstanding_requests', 'znode_count', 'global_sessions', 'last_client_response_size', 'packets_sent',
  'packets_received', 'max_proposal_size', 'max_client_response_size', 'synced_followers', 'watch_count',
  'synced_non_voting_followers', 'synced_observers', 'auth_failed_count', 'min_latency', 'max_file_descriptor_count',
  'approximate_data_size', 'open_file_descriptor_count', 'last_proposal_size', 'pending_syncs', 'leader_uptime',
  'local_sessions', 'uptime', 'max_latency', 'learners', 'min_client_response_size', 'quorum_size',
];

type Mntr = { readonly keys: readonly string[]; get(key: string): string | undefined; num(key: string): number };

async function mntr(e: Ensemble, id: number): Promise<Mntr> {
  const text = await fourLetterWord(e.member(id).clientPort, 'mntr');
  const pairs = text
    .split('\n')
    .filter((line) => line.startsWith('zk_'))
    .map((line) => [line.slice(3, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)] as const);
  const values = new Map(pairs);
  return {
    keys: pairs.map(([k]) => k),
    get: (key) => values.get(key),
    num: (key) => {
      const value = values.get(key);
      if (value === undefined) throw new Error(`no zk_${key} in member ${id}'s mntr:\n${text}`);
      return Number(value);
    },
  };
}

function expectZooKeeperOrder(m: Mntr): void {
  const printed = m.keys.filter((k) => zookeeperOrder.includes(k));
  expect(printed).toEqual(zookeeperOrder.filter((k) => printed.includes(k)));
}

/** A connected client, closed after the test. */
async function connectClient(connectString: string): Promise<ZkClient> {
  const client = await connect(connectString, 6000, 15_000);
  clients.push(client);
  return client;
}


async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const kind of ['zookeeper', 'ours'] as const satisfies readonly ServerKind[]) {
  describe.runIf(testsRunAgainst(kind))(`mntr on a ${kind} ensemble of three voters and one observer`, () => {
    it('tells each member its role, the leader its synced learners and proposal sizes, and drops a killed follower', async () => {
      const adminPorts = await reservePorts(4);
      reserved.push(...adminPorts);
      const e = await Ensemble.start({ kind, size: 3, observers: 1, tickTimeMs: 200, adminPorts });
      ensembles.push(e);
      await e.waitUntilServing(e.ids, 40_000);
      const leader = await e.leader(20_000);
      const followers = e.ids.filter((id) => id !== leader && e.member(id).peerType === 'participant');
      const observer = e.ids.find((id) => e.member(id).peerType === 'observer')!;
      expect(followers).toHaveLength(2);

      // Everyone serves, so everyone was synced: the leader forwards to two followers and one observer.
      const atLeader = await mntr(e, leader);
      expect(atLeader.get('server_state')).toBe('leader');
      expect(atLeader.get('peer_state')).toBe('leading - broadcast');
      expect(atLeader.num('quorum_size')).toBe(3);
      expect(atLeader.num('learners')).toBe(3);
      expect(atLeader.num('synced_followers')).toBe(2);
      expect(atLeader.num('synced_non_voting_followers')).toBe(0);
      expect(atLeader.num('synced_observers')).toBe(1);
      expect(atLeader.num('pending_syncs')).toBe(0);
      expect(atLeader.num('leader_uptime')).toBeGreaterThan(0);
      // No client has written: no proposal yet (BufferStats starts at -1).
      expect([atLeader.num('last_proposal_size'), atLeader.num('min_proposal_size'), atLeader.num('max_proposal_size')]).toEqual([-1, -1, -1]);
      expectZooKeeperOrder(atLeader);

      for (const id of followers) {
        const m = await mntr(e, id);
        expect(m.get('peer_state'), `member ${id}`).toBe('following - broadcast');
        expect(m.num('quorum_size')).toBe(3);
        expect(m.keys.filter((k) => leaderKeys.includes(k) || k === 'observer_master_id')).toEqual([]);
        expectZooKeeperOrder(m);
      }
      const atObserver = await mntr(e, observer);
      expect(atObserver.get('server_state')).toBe('observer');
      expect(atObserver.get('peer_state')).toBe('observing - broadcast');
      expect(atObserver.num('observer_master_id')).toBe(leader);
      expect(atObserver.num('quorum_size')).toBe(3);
      expect(atObserver.keys.filter((k) => leaderKeys.includes(k))).toEqual([]);
      expectZooKeeperOrder(atObserver);

      // A session (createSession is a proposal too), a 10-byte and a 200-byte create, then a 5-byte setData.
      const client = await connectClient(e.connectString([leader]));
      await call(client, 'create', '/mntr-small', Buffer.alloc(10, 's'));
      await call(client, 'create', '/mntr-big', Buffer.alloc(200, 'b'));
      await call(client, 'setData', '/mntr-small', Buffer.alloc(5, 'x'), -1);
      const afterWrites = await mntr(e, leader);
      const [last, min, max] = [afterWrites.num('last_proposal_size'), afterWrites.num('min_proposal_size'), afterWrites.num('max_proposal_size')];
      // Smallest the createSession txn, largest the create carrying 200 bytes, last the setData.
      expect(min).toBeGreaterThan(0);
      expect(min).toBeLessThan(last);
      expect(last).toBeLessThan(max);
      expect(max).toBeGreaterThan(200);
      expect(afterWrites.num('pending_syncs')).toBe(0);
      const srvr = await fourLetterWord(e.member(leader).clientPort, 'srvr');
      expect(srvr).toContain(`Proposal sizes last/min/max: ${last}/${min}/${max}\n`);

      // The AdminServer's observers: the leader lists its observer's connection (LearnerHandler's info), with
      // the write its client sent through it; observer_connection_stat_reset zeroes the counts.
      const viaObserver = await connect(e.member(observer).clientPort);
      clients.push(viaObserver);
      await call(viaObserver, 'create', '/via-observer', Buffer.from('o'));
      const observers = await command(adminPorts[leader - 1]!, 'observers');
      expect(Object.keys(observers)).toEqual(['synced_observers', 'observers', 'command', 'error']);
      expect(observers['synced_observers']).toBe(1);
      const [info] = observers['observers'] as Record<string, number | string>[];
      expect(Object.keys(info!)).toEqual(['remote_socket_address', 'sid', 'established', 'queued_packets', 'queued_packets_size', 'packets_received', 'packets_sent', 'requests', 'last_zxid']);
      expect(info).toMatchObject({ sid: observer, remote_socket_address: expect.stringMatching(/^\/127\.0\.0\.1:\d+$/) });
      expect(Math.abs((info!['established'] as number) - Date.now()), 'established: a timestamp in ms').toBeLessThan(120_000);
      expect(info!['requests'], 'createSession and the create, forwarded by the observer').toBeGreaterThanOrEqual(2);
      expect(info!['packets_sent'] as number).toBeGreaterThan(5);
      expect(info!['last_zxid'] as number).toBeGreaterThan(0);
      for (const id of [...followers, observer]) expect(await command(adminPorts[id - 1]!, 'observers'), `member ${id}`).toEqual({ synced_observers: 0, observers: [], command: 'observers', error: null });
      expect(await command(adminPorts[leader - 1]!, 'observer_connection_stat_reset')).toEqual({ command: 'observer_connection_stat_reset', error: null });
      const [reset] = (await command(adminPorts[leader - 1]!, 'observers'))['observers'] as Record<string, number>[];
      expect(reset!['requests']).toBe(0);
      // Pings go on meanwhile (their zxid is the last proposed), so only fewer packets than before.
      expect(reset!['packets_sent']).toBeLessThan(info!['packets_sent'] as number);
      expect(reset!['established']).toBe(info!['established']);
      const lastProposal = (await mntr(e, leader)).num('last_proposal_size');

      // SIGKILL one follower: its connection to the leader breaks, and the leader forgets it.
      await e.kill(followers[1]!);
      const afterKill = await eventually('the leader to drop the killed follower', 10_000, async () => {
        const m = await mntr(e, leader);
        return m.get('synced_followers') === '1' ? m : undefined;
      });
      expect(afterKill.get('peer_state')).toBe('leading - broadcast');
      expect(afterKill.num('learners')).toBe(2);
      expect(afterKill.num('synced_observers')).toBe(1);
      expect(afterKill.num('quorum_size')).toBe(3);
      expect(afterKill.num('last_proposal_size')).toBe(lastProposal);
    }, 60_000);
  });
}
