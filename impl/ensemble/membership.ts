// Who is in the ensemble, in the two numberings that meet here. zoo.cfg names
// servers by their `server.N` id (myid), which is what the wire carries
// (LearnerInfo.serverid, election notifications). The peer core
// (impl/quorum/peer) numbers them densely, voters first (0..voters-1 in id
// order) and observers after, because it keeps sets of servers as bitmasks and
// counts a quorum over the voters only (spec/zab does the same).

import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import type { ServerSpec } from '../config/server-line.ts';
import type { PeerConfig } from '../quorum/peer/types.ts';
import type { EnsembleMember } from '../quorum/election-runner.ts';
import { err, ok, type Result } from '../../lib/result.ts';

/** ZKDatabase.commitLogCount: how many committed proposals a leader keeps to send DIFFs. */
export const committedLogCountMaxDefault = 500;

export interface Membership {
  readonly myid: number;
  readonly self: ServerSpec;
  /** Voters then observers, each in id order: index = peer-core id. */
  readonly ordered: readonly ServerSpec[];
  readonly voters: number;
  readonly peerConfig: PeerConfig;
  readonly electionMembers: readonly EnsembleMember[];
  coreIdOf(sid: number): number | undefined;
  sidOf(coreId: number): number;
  isObserver(sid: number): boolean;
}

export function membershipOf(config: ZooKeeperConfig, myid: number, committedLogCountMax = committedLogCountMaxDefault): Result<Membership, string> {
  const self = config.servers.find((s) => s.id === myid);
  if (self === undefined) return err(`myid ${myid} has no server.${myid} line (servers: ${config.servers.map((s) => s.id).join(', ')})`);
  if (config.peerType !== self.peerType) {
    return err(`peerType=${config.peerType} but server.${myid} says ${self.peerType}; ZooKeeper refuses this combination too`);
  }
  const voters = config.servers.filter((s) => s.peerType === 'participant');
  const observers = config.servers.filter((s) => s.peerType === 'observer');
  if (voters.length === 0) return err('no participant among the server.N lines');
  if (config.servers.length > 31) return err(`${config.servers.length} servers; this implementation supports at most 31`);
  const ordered = [...voters, ...observers];
  const coreIds = new Map(ordered.map((s, index) => [s.id, index]));
  return ok({
    myid,
    self,
    ordered,
    voters: voters.length,
    peerConfig: { voters: voters.length, committedLogCountMax },
    electionMembers: config.servers.map((s) => ({ sid: s.id, host: s.host, electionPort: s.electionPort, quorumPort: s.quorumPort, peerType: s.peerType })),
    coreIdOf: (sid) => coreIds.get(sid),
    sidOf: (coreId) => {
      const spec = ordered[coreId];
      if (spec === undefined) throw new Error(`no server with core id ${coreId}`);
      return spec.id;
    },
    isObserver: (sid) => observers.some((s) => s.id === sid),
  });
}
