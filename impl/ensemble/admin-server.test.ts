// The AdminServer on every member of a three-voter ensemble, as an operator's
// tooling reads it: /commands/leader names the same leader everywhere and says
// which member it is, /commands/voting_view lists the three voters with each
// member's own quorum and election address, /commands/zabstate says
// broadcast. Runs against Apache ZooKeeper 3.8 (its Jetty AdminServer) and
// against ours with the same expectations, so the keys and value types are
// ZooKeeper's (cluster.ts, testsRunAgainst).

import { afterEach, describe, expect, it } from 'vitest';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { call, connectClient, type ZkClient } from '../testing/zk-client.ts';
import { Ensemble, testsRunAgainst } from './cluster.ts';

const ensembles: Ensemble[] = [];
const reserved: number[] = [];
const clients: ZkClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const e of ensembles.splice(0)) await e.stopAll();
  releasePorts(reserved.splice(0));
});

type Json = Record<string, unknown>;

async function command(port: number, name: string): Promise<Json> {
  const response = await fetch(`http://127.0.0.1:${port}/commands/${name}`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Json;
}

for (const kind of ['zookeeper', 'ours'] as const) {
  describe.runIf(testsRunAgainst(kind))(`the AdminServer of a ${kind} ensemble member`, () => {
    it('answers leader, voting_view and zabstate with the same leader everywhere, and counts proposals and commits', async () => {
      const adminPorts = await reservePorts(3);
      reserved.push(...adminPorts);
      const e = await Ensemble.start({ kind, size: 3, tickTimeMs: 200, adminPorts });
      ensembles.push(e);
      await e.waitUntilServing(e.ids, 40_000);
      const leader = await e.leader(20_000);

      for (const id of e.ids) {
        const port = adminPorts[id - 1]!;
        const lead = await command(port, 'leader');
        expect(lead, `member ${id}`).toEqual({ is_leader: id === leader, leader_id: leader, leader_ip: '127.0.0.1', command: 'leader', error: null });

        const view = await command(port, 'voting_view');
        expect(Object.keys(view)).toEqual(['current_config', 'command', 'error']);
        const config = view['current_config'] as Record<string, Json>;
        expect(Object.keys(config).sort()).toEqual(['1', '2', '3']);
        const me = e.member(id);
        expect(config[String(id)]).toEqual({
          server_addresses: [`127.0.0.1:${me.quorumPort}`],
          election_addresses: [`127.0.0.1:${me.electionPort}`],
          client_address: `127.0.0.1:${me.clientPort}`,
          learner_type: 'participant',
        });
        // Another member's client address is unknown (no `;host:port` part in its server.N line).
        expect(config[String(id === 1 ? 2 : 1)]).toMatchObject({ client_address: '', learner_type: 'participant' });

        const zab = await command(port, 'zabstate');
        expect(Object.keys(zab).sort()).toEqual(
          ['client_address', 'command', 'election_address', 'error', 'is_leader', 'last_zxid', 'myid', 'quorum_address', 'voting', 'zab_counter', 'zab_epoch', 'zabstate'].sort(),
        );
        expect(zab).toMatchObject({ myid: id, is_leader: id === leader, voting: true, zabstate: 'broadcast', client_address: `127.0.0.1:${me.clientPort}` });
        // The quorum address is a MultipleAddresses as Jackson writes it.
        expect(zab['quorum_address']).toMatchObject({ one: `127.0.0.1:${me.quorumPort}`, all_ports: [me.quorumPort], wildcard_addresses: [`0.0.0.0:${me.quorumPort}`] });
        expect(zab['last_zxid']).toMatch(/^0x[0-9a-f]+$/);

        // mntr through the AdminServer: the same quorum gauges the four-letter word prints.
        const monitor = await command(port, 'monitor');
        expect(monitor['server_state']).toBe(id === leader ? 'leader' : 'follower');
        expect(monitor['quorum_size']).toBe(3);
        if (id === leader) expect(monitor['synced_followers']).toBe(2);
      }

      // Writes through a follower: the leader proposes and commits them, the followers receive both.
      const follower = e.ids.find((id) => id !== leader)!;
      const client = await connectClient(e.member(follower).clientPort, 6000, 15_000);
      clients.push(client);
      for (let i = 0; i < 3; i++) await call(client, 'create', `/w${i}`, Buffer.from('x'));
      const atLeader = await command(adminPorts[leader - 1]!, 'monitor');
      expect(atLeader['proposal_count'], 'proposals: createSession and three creates').toBeGreaterThanOrEqual(4);
      expect(atLeader['commit_count']).toBeGreaterThanOrEqual(4);
      expect((atLeader['diff_count'] as number) + (atLeader['snap_count'] as number), 'each follower synced once').toBeGreaterThanOrEqual(2);
      // Zab's latencies, from each txn's header time: the leader's once a quorum acked, a follower's on each proposal and commit.
      expect(atLeader['cnt_quorum_ack_latency'], 'quorum acks measured').toBeGreaterThanOrEqual(4);
      expect(atLeader['request_commit_queued']).toBeGreaterThanOrEqual(4);
      expect(atLeader['cnt_proposal_latency'], 'a leader receives no proposals').toBe(0);
      expect(atLeader['max_quorum_ack_latency'] as number).toBeLessThan(10_000);
      expect(Object.keys(atLeader)).toEqual(expect.arrayContaining(['p50_quorum_ack_latency', 'p95_quorum_ack_latency', 'p99_quorum_ack_latency', 'p999_quorum_ack_latency']));
      for (const id of e.ids) {
        const m = await command(adminPorts[id - 1]!, 'monitor');
        expect(m['looking_count'], `member ${id}`).toBeGreaterThanOrEqual(1);
        expect(m['cnt_election_time'], `member ${id}`).toBeGreaterThanOrEqual(1);
        if (id === leader) continue;
        expect(m['learner_proposal_received_count'], `member ${id}`).toBeGreaterThanOrEqual(4);
        expect(m['learner_commit_received_count'], `member ${id}`).toBeGreaterThanOrEqual(4);
        expect(m['cnt_proposal_latency'], `member ${id}`).toBeGreaterThanOrEqual(4);
        expect(m['cnt_commit_propagation_latency'], `member ${id}`).toBeGreaterThanOrEqual(4);
        expect(m['request_commit_queued'], `member ${id}`).toBeGreaterThanOrEqual(4);
        expect(m['cnt_quorum_ack_latency'], `member ${id}: only a leader counts quorums`).toBe(0);
        expect(m['max_proposal_latency'] as number, `member ${id}`).toBeLessThan(10_000);
      }
    }, 90_000);
  });
}
