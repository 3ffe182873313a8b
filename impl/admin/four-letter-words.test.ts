import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answerFourLetterWord, detailedPeerState, zkNotServing } from './four-letter-words.ts';
import { javaDate, javaDouble, javaHex } from './java-format.ts';
import { nodeEnvironment } from './environment.ts';
import { fullVersion } from './version.ts';
import type { ConnectionForAdmin, PeerStateForAdmin, QuorumGaugesForAdmin, ServerSnapshotForAdmin } from './server-snapshot.ts';

const fixture = (name: string, dir = 'zookeeper-3.8.0') => readFileSync(new URL(`./testdata/${dir}/${name}.txt`, import.meta.url), 'latin1');
const all = ['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr', 'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs'];

const sessionId = 0x100000594150000n;
// Debian's build leaves Maven's placeholder in the version string, as captured.
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text ZooKeeper prints
const debianVersion = '3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC';

/** The four-letter-word connection itself, as ZooKeeper lists it: interest ops 0, no session. */
const adminConnection = (remotePort: number): ConnectionForAdmin => ({
  remoteAddress: '127.0.0.1',
  remotePort,
  interestOps: 0,
  outstandingRequests: 0,
  packetsReceived: 1,
  packetsSent: 0,
  expiresAtMs: Date.UTC(2026, 10, 22, 4, 21, 27),
  sessionId: 0n,
  session: undefined,
});

const clientConnection: ConnectionForAdmin = {
  remoteAddress: '127.0.0.1',
  remotePort: 52576,
  interestOps: 1,
  outstandingRequests: 0,
  packetsReceived: 6,
  packetsSent: 6,
  expiresAtMs: Date.UTC(2026, 10, 22, 4, 21, 27),
  sessionId,
  session: {
    lastOperation: 'GETC',
    establishedAtMs: 1795321268891,
    sessionTimeoutMs: 10000,
    lastCxid: 4,
    lastZxid: 3n,
    lastResponseAtMs: 381444,
    lastLatencyMs: 1,
    latencyMinMs: 0,
    latencyAvgMs: 4,
    latencyMaxMs: 12,
  },
};

/** The state of the captured ZooKeeper (testdata/README.md), as our server would report it. */
function capturedState(overrides: Partial<ServerSnapshotForAdmin> = {}): ServerSnapshotForAdmin {
  const envi = fixture('envi')
    .split('\n')
    .slice(1, -1)
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return {
    isServing: true,
    version: debianVersion,
    mode: 'standalone',
    lastProcessedZxid: 3n,
    latency: { minMs: 1, avgMs: 25 / 6, maxMs: 12 }, // six requests, 25 ms in all: 4.1666... prints 4.1667
    packetsReceived: 8,
    packetsSent: 7,
    outstandingRequests: 0,
    nodeCount: 7,
    connections: [adminConnection(52606), clientConnection],
    dataWatches: [
      { sessionId, path: '/a/eph' },
      { sessionId, path: '/a' },
    ],
    watchCount: 3,
    sessions: [{ sessionId, expiresAtMs: Date.UTC(2026, 10, 22, 4, 21, 19) }],
    ephemerals: [{ sessionId, paths: ['/a/eph'] }],
    approximateDataSizeBytes: 58,
    uptimeMs: 15948,
    authFailedCount: 0,
    clientResponseBytes: { last: 95, min: 22, max: 95 },
    fileDescriptors: { open: 40, max: 20000 },
    fsyncTimeMs: { count: 3, sum: 0, min: 0, max: 0 },
    snapshotTimeMs: { count: 1, sum: 0, min: 0, max: 0 },
    config: {
      clientPort: 21810,
      dataDir: '/tmp/realzk/data/version-2',
      dataDirSizeBytes: 67109337,
      dataLogDir: '/tmp/realzk/data/version-2',
      dataLogSizeBytes: 67109337,
      tickTimeMs: 2000,
      maxClientCnxns: 60,
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      serverId: 0,
    },
    environment: envi,
    ...overrides,
  };
}

const answer = (word: string, state: ServerSnapshotForAdmin, whitelist: readonly string[] = all) => answerFourLetterWord(word, () => state, { whitelist });

describe('byte for byte what ZooKeeper 3.8.0 answered (testdata/zookeeper-3.8.0)', () => {
  it('ruok', () => expect(answer('ruok', capturedState())).toBe(fixture('ruok')));
  it('isro', () => expect(answer('isro', capturedState())).toBe(fixture('isro')));
  it('srvr', () => expect(answer('srvr', capturedState())).toBe(fixture('srvr')));
  it('stat', () => {
    const state = capturedState({ packetsReceived: 9, packetsSent: 8 });
    expect(answer('stat', state)).toBe(fixture('stat'));
  });
  it('cons', () => {
    const state = capturedState({ connections: [adminConnection(52634), clientConnection] });
    expect(answer('cons', state)).toBe(fixture('cons'));
  });
  it('conf', () => expect(answer('conf', capturedState())).toBe(fixture('conf')));
  it('envi', () => expect(answer('envi', capturedState())).toBe(fixture('envi')));
  it('wchs (data watches only: the child watch on /a is not counted)', () => expect(answer('wchs', capturedState())).toBe(fixture('wchs')));
  it('wchc', () => expect(answer('wchc', capturedState())).toBe(fixture('wchc')));
  it('wchp', () => expect(answer('wchp', capturedState())).toBe(fixture('wchp')));
  it('dump', () => {
    const state = capturedState({ connections: [{ ...adminConnection(52664) }, clientConnection] });
    expect(answer('dump', state)).toBe(fixture('dump'));
  });
  it('srst', () => {
    let resets = 0;
    const reply = answerFourLetterWord('srst', () => capturedState(), { whitelist: all, actions: { resetServerStats: () => resets++ } });
    expect(reply).toBe(fixture('srst'));
    expect(resets).toBe(1);
  });

  it('mntr: each line we print is a line ZooKeeper printed, in ZooKeeper order', () => {
    const state = capturedState({ packetsReceived: 10, packetsSent: 9 });
    const ours = answer('mntr', state)!.split('\n').slice(0, -1);
    const theirs = fixture('mntr').split('\n').slice(0, -1);
    expect(ours.length).toBe(32);
    for (const line of ours) expect(theirs, line).toContain(line);
    const positions = ours.map((line) => theirs.indexOf(line));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(ours.slice(0, 2)).toEqual([`zk_version\t${debianVersion}`, 'zk_server_state\tstandalone']);
  });
});

/** mntr's `key -> value` (without the zk_ prefix) and its keys in order. */
function parseMntr(text: string): { values: Map<string, string>; keys: string[] } {
  const pairs = text
    .split('\n')
    .slice(0, -1)
    .map((line) => [line.slice(3, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)] as const);
  return { values: new Map(pairs), keys: pairs.map(([k]) => k) };
}

/**
 * The standalone part of a snapshot that prints what a captured mntr printed:
 * each field read back from the fixture's own line (a summary's sum and count
 * give its average).
 */
function stateFromMntr(values: Map<string, string>, quorumGauges: QuorumGaugesForAdmin, proposalSizes?: ServerSnapshotForAdmin['proposalSizes']): ServerSnapshotForAdmin {
  const n = (key: string) => {
    const value = values.get(key);
    expect(value, key).toBeDefined();
    return Number(value);
  };
  const summary = (name: string) => ({ count: n(`cnt_${name}`), sum: n(`sum_${name}`), min: n(`min_${name}`), max: n(`max_${name}`) });
  return capturedState({
    version: values.get('version')!,
    mode: values.get('server_state') as ServerSnapshotForAdmin['mode'],
    ephemerals: n('ephemerals_count') === 0 ? [] : [{ sessionId, paths: Array.from({ length: n('ephemerals_count') }, (_, i) => `/e${i}`) }],
    connections: Array.from({ length: n('num_alive_connections') }, (_, i) => adminConnection(40000 + i)),
    latency: { minMs: n('min_latency'), avgMs: n('avg_latency'), maxMs: n('max_latency') },
    outstandingRequests: n('outstanding_requests'),
    nodeCount: n('znode_count'),
    sessions: Array.from({ length: n('global_sessions') }, (_, i) => ({ sessionId: sessionId + BigInt(i), expiresAtMs: 0 })),
    clientResponseBytes: { last: n('last_client_response_size'), min: n('min_client_response_size'), max: n('max_client_response_size') },
    packetsSent: n('packets_sent'),
    packetsReceived: n('packets_received'),
    watchCount: n('watch_count'),
    authFailedCount: n('auth_failed_count'),
    fileDescriptors: { open: n('open_file_descriptor_count'), max: n('max_file_descriptor_count') },
    approximateDataSizeBytes: n('approximate_data_size'),
    uptimeMs: n('uptime'),
    fsyncTimeMs: summary('fsynctime'),
    snapshotTimeMs: summary('snapshottime'),
    quorumGauges,
    ...(proposalSizes === undefined ? {} : { proposalSizes }),
  });
}

/** The lines an ensemble member adds to mntr. */
const quorumKeys = [
  'peer_state', 'observer_master_id', 'min_proposal_size', 'max_proposal_size', 'synced_followers', 'synced_non_voting_followers',
  'synced_observers', 'last_proposal_size', 'pending_syncs', 'leader_uptime', 'learners', 'quorum_size',
];

const broadcast = (serverState: PeerStateForAdmin['serverState']): PeerStateForAdmin => ({ serverState, zabState: 'broadcast', syncMode: 'none' });

describe('an ensemble member\'s mntr, line for line what ZooKeeper 3.8.0 answered (testdata/zookeeper-3.8.0-ensemble)', () => {
  // A leader (server 2) of three voters and one observer, after a session's createSession, two creates and a setData.
  const members = {
    leader: {
      gauges: {
        peerState: broadcast('leading'),
        quorumSize: 3,
        leader: { learners: 3, syncedFollowers: 2, syncedNonVotingFollowers: 0, syncedObservers: 1, pendingSyncs: 0, leaderUptimeMs: 1607 },
      },
      proposalSizes: { last: 63, min: 48, max: 186 },
    },
    follower: { gauges: { peerState: broadcast('following'), quorumSize: 3 }, proposalSizes: undefined },
    observer: { gauges: { peerState: broadcast('observing'), quorumSize: 3, observerMasterId: 2 }, proposalSizes: undefined },
  } satisfies Record<string, { gauges: QuorumGaugesForAdmin; proposalSizes: ServerSnapshotForAdmin['proposalSizes'] }>;

  for (const [role, { gauges, proposalSizes }] of Object.entries(members)) {
    it(`${role}: every line we print is ZooKeeper's, in its order, and every quorum line ZooKeeper printed is ours`, () => {
      const theirs = fixture(`mntr-${role}`, 'zookeeper-3.8.0-ensemble');
      const ours = answer('mntr', stateFromMntr(parseMntr(theirs).values, gauges, proposalSizes))!;
      const theirLines = theirs.split('\n').slice(0, -1);
      const ourLines = ours.split('\n').slice(0, -1);
      for (const line of ourLines) expect(theirLines, line).toContain(line);
      const positions = ourLines.map((line) => theirLines.indexOf(line));
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      const quorumLines = (text: string) => parseMntr(text).keys.filter((k) => quorumKeys.includes(k));
      expect(quorumLines(ours)).toEqual(quorumLines(theirs));
      // peer_state comes right after server_state (QuorumZooKeeperServer.dumpMonitorValues), before every gauge.
      expect(parseMntr(ours).keys.slice(0, 3)).toEqual(['version', 'server_state', 'peer_state']);
    });
  }

  it('pins the leader\'s gauge lines in ZooKeeper\'s hash order, with -1 proposal sizes before the first proposal', () => {
    const { proposalSizes: _, ...none } = capturedState();
    const state: ServerSnapshotForAdmin = { ...none, mode: 'leader', quorumGauges: members.leader.gauges };
    const lines = answer('mntr', state)!.split('\n').filter((l) => quorumKeys.includes(l.slice(3, l.indexOf('\t'))));
    expect(lines).toEqual([
      'zk_peer_state\tleading - broadcast',
      'zk_min_proposal_size\t-1',
      'zk_max_proposal_size\t-1',
      'zk_synced_followers\t2',
      'zk_synced_non_voting_followers\t0',
      'zk_synced_observers\t1',
      'zk_last_proposal_size\t-1',
      'zk_pending_syncs\t0',
      'zk_leader_uptime\t1607',
      'zk_learners\t3',
      'zk_quorum_size\t3',
    ]);
    expect(answer('stat', state)).toContain('Proposal sizes last/min/max: -1/-1/-1\n');
  });

  it('prints no quorum line for a standalone server', () => {
    const keys = parseMntr(answer('mntr', capturedState())!).keys;
    expect(keys.filter((k) => quorumKeys.includes(k))).toEqual([]);
  });

  it('writes the peer state as QuorumPeer.getDetailedPeerState: zab state unless election, sync mode unless none', () => {
    expect(detailedPeerState({ serverState: 'looking', zabState: 'election', syncMode: 'none' })).toBe('looking');
    expect(detailedPeerState({ serverState: 'leading', zabState: 'discovery', syncMode: 'none' })).toBe('leading - discovery');
    expect(detailedPeerState({ serverState: 'following', zabState: 'synchronization', syncMode: 'diff' })).toBe('following - synchronization - diff');
    expect(detailedPeerState({ serverState: 'observing', zabState: 'synchronization', syncMode: 'snap' })).toBe('observing - synchronization - snap');
    expect(detailedPeerState(broadcast('following'))).toBe('following - broadcast');
  });
});

describe('the whitelist (4lw.commands.whitelist)', () => {
  it('refuses a known word that is not listed, in ZooKeeper words (testdata/zookeeper-3.8.0-default-whitelist)', () => {
    expect(answer('stat', capturedState(), ['srvr'])).toBe(fixture('stat', 'zookeeper-3.8.0-default-whitelist'));
    expect(answer('ruok', capturedState(), ['srvr'])).toBe('ruok is not executed because it is not in the whitelist.\n');
  });

  it('always answers srvr, even when the list leaves it out', () => {
    const fresh = capturedState({
      latency: { minMs: 0, avgMs: 0, maxMs: 0 },
      packetsReceived: 3,
      packetsSent: 2,
      connections: [adminConnection(1)],
      lastProcessedZxid: 0n,
      nodeCount: 5,
    });
    expect(answer('srvr', fresh, [])).toBe(fixture('srvr', 'zookeeper-3.8.0-default-whitelist'));
  });

  it('does not build a snapshot for a refused word, and closes silently on an unknown word', () => {
    let built = 0;
    const snapshot = () => (built++, capturedState());
    expect(answerFourLetterWord('cons', snapshot, { whitelist: ['srvr'] })).toMatch(/^cons is not executed/);
    expect(answerFourLetterWord('ruok', snapshot, { whitelist: ['ruok'] })).toBe('imok');
    expect(built).toBe(0);
    expect(answerFourLetterWord('xxxx', snapshot, { whitelist: all })).toBeUndefined();
    expect(answerFourLetterWord('gtmk', snapshot, { whitelist: all })).toBeUndefined();
  });
});

describe('other states', () => {
  it('answers "not currently serving" while the server is not running; isro answers null', () => {
    const down = capturedState({ isServing: false });
    for (const word of ['srvr', 'stat', 'cons', 'conf', 'wchs', 'wchc', 'wchp', 'dump', 'mntr', 'dirs']) {
      expect(answer(word, down), word).toBe(`${zkNotServing}\n`);
    }
    expect(answer('isro', down)).toBe('null');
    expect(answer('ruok', down)).toBe('imok');
    expect(answer('envi', down)).toMatch(/^Environment:\n/);
  });

  it('marks a read-only server in srvr and isro', () => {
    const ro = capturedState({ mode: 'read-only' });
    expect(answer('isro', ro)).toBe('ro');
    expect(answer('srvr', ro)!.split('\n').slice(0, 2)).toEqual([`Zookeeper version: ${debianVersion}`, 'READ-ONLY mode; serving only read-only clients']);
    expect(answer('srvr', ro)).toContain('\nMode: read-only\n');
  });

  it('adds the proposal sizes line for a leader', () => {
    expect(answer('srvr', capturedState({ mode: 'leader', proposalSizes: { last: 120, min: 48, max: 300 } }))).toMatch(/Node count: 7\nProposal sizes last\/min\/max: 120\/48\/300\n$/);
    expect(answer('srvr', capturedState({ mode: 'leader' }))).toMatch(/Proposal sizes last\/min\/max: -1\/-1\/-1\n$/);
  });

  it('omits lcxid before the first request and prints lzxid -1 as Java does', () => {
    const fresh: ConnectionForAdmin = { ...clientConnection, session: { ...clientConnection.session!, lastCxid: -1, lastZxid: -1n } };
    expect(answer('cons', capturedState({ connections: [fresh] }))).toContain(',to=10000,lzxid=0xffffffffffffffff,lresp=');
  });

  it('adds the peer settings and membership to conf for an ensemble member (QuorumZooKeeperServer.dumpConf)', () => {
    const base = capturedState();
    const member = { quorumPort: 2888, electionPort: 3888 };
    const state = capturedState({
      config: {
        ...base.config,
        serverId: 2,
        quorum: {
          initLimitTicks: 10,
          syncLimitTicks: 5,
          ...member,
          peerType: 'participant',
          members: [
            { id: 1, host: '10.0.0.1', ...member, peerType: 'participant' },
            { id: 2, host: '10.0.0.2', ...member, peerType: 'participant', clientAddress: '0.0.0.0', clientPort: 2181 },
            { id: 3, host: '::1', ...member, peerType: 'observer' },
          ],
          configVersion: 0x100000000n,
        },
      },
    });
    expect(answer('conf', state)).toBe(
      fixture('conf').replace('serverId=0', 'serverId=2') +
        'initLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=3888\nquorumPort=2888\npeerType=0\nmembership: \n' +
        'server.1=10.0.0.1:2888:3888:participant\nserver.2=10.0.0.2:2888:3888:participant;0.0.0.0:2181\nserver.3=[::1]:2888:3888:observer\nversion=100000000',
    );
  });

  it('prints dirs from the configured sizes, and crst only when the server can reset', () => {
    expect(answer('dirs', capturedState())).toBe('datadir_size: 67109337\nlogdir_size: 67109337\n');
    expect(answer('crst', capturedState())).toBeUndefined();
    expect(answerFourLetterWord('crst', () => capturedState(), { whitelist: all, actions: { resetConnectionStats: () => {} } })).toBe('Connection stats reset.\n');
  });

  it('leaves out the mntr lines a server cannot measure', () => {
    const { clientResponseBytes: _a, fileDescriptors: _b, fsyncTimeMs: _c, snapshotTimeMs: _d, ...bare } = capturedState();
    const keys = answer('mntr', bare)!.split('\n').slice(0, -1).map((l) => l.split('\t')[0]);
    expect(keys).toEqual([
      'zk_version', 'zk_server_state', 'zk_ephemerals_count', 'zk_num_alive_connections', 'zk_avg_latency',
      'zk_outstanding_requests', 'zk_znode_count', 'zk_global_sessions', 'zk_packets_sent', 'zk_packets_received',
      'zk_watch_count', 'zk_auth_failed_count', 'zk_min_latency', 'zk_approximate_data_size', 'zk_local_sessions',
      'zk_uptime', 'zk_max_latency',
    ]);
  });
});

describe('Java formatting', () => {
  it('Double.toString', () => {
    expect([0, 4, 4.1667, 0.5, 12.25, 1e7, 1.5e-4, -2].map(javaDouble)).toEqual(['0.0', '4.0', '4.1667', '0.5', '12.25', '1.0E7', '1.5E-4', '-2.0']);
  });
  it('Long.toHexString', () => {
    expect([javaHex(0n), javaHex(0x100000594150000n), javaHex(-1n), javaHex(255)]).toEqual(['0', '100000594150000', 'ffffffffffffffff', 'ff']);
  });
  it('Date.toString in UTC', () => {
    expect(javaDate(Date.UTC(2026, 10, 22, 4, 21, 19))).toBe('Sun Nov 22 04:21:19 UTC 2026');
    expect(javaDate(Date.UTC(2024, 0, 5, 23, 0, 9))).toBe('Fri Jan 05 23:00:09 UTC 2024');
  });
});

describe('version and environment', () => {
  it('reports a 3.8 full version string', () => {
    expect(fullVersion('zkspec', new Date(Date.UTC(2026, 0, 2, 3, 4)))).toBe('3.8.4-zkspec, built on 2026-01-02 03:04 UTC');
  });
  it('lists the environment with ZooKeeper key names where they apply', () => {
    const env = nodeEnvironment('v');
    const keys = env.map(([k]) => k);
    expect(keys.slice(0, 2)).toEqual(['zookeeper.version', 'host.name']);
    for (const key of ['os.name', 'os.arch', 'os.version', 'user.dir', 'os.memory.free', 'os.memory.max', 'os.memory.total']) expect(keys).toContain(key);
    expect(Object.fromEntries(env)['user.dir']).toBe(process.cwd());
    expect(Object.fromEntries(env)['os.memory.max']).toMatch(/^\d+MB$/);
  });
});

describe('gtmk, stmk and hash (TraceMaskCommand, SetTraceMaskCommand, DigestCommand)', () => {
  it('prints the trace mask as a decimal long with no newline; stmk sets it; off the whitelist they are refused', () => {
    const traceMask = { value: 306n };
    expect(answerFourLetterWord('gtmk', () => capturedState(), { whitelist: all, traceMask })).toBe('306');
    expect(answerFourLetterWord('stmk', () => capturedState(), { whitelist: all, traceMask, argument: -2n })).toBe('-2');
    expect(traceMask.value).toBe(-2n);
    expect(answerFourLetterWord('stmk', () => capturedState(), { whitelist: ['srvr'], traceMask, argument: 7n })).toBe('stmk is not executed because it is not in the whitelist.\n');
    expect(traceMask.value).toBe(-2n);
    // stmk whose 8 bytes never came: the connection closes unanswered.
    expect(answerFourLetterWord('stmk', () => capturedState(), { whitelist: all, traceMask })).toBeUndefined();
  });

  it('hash prints each logged digest as "<zxid in lower-case hex>: <digest>", and says so when not serving', () => {
    const digestLog = () => [
      { zxid: 0x80n, digest: 12345678901n },
      { zxid: 0x100000080n, digest: -5n },
    ];
    expect(answerFourLetterWord('hash', () => capturedState(), { whitelist: all, digestLog })).toBe('80: 12345678901\n100000080: -5\n');
    expect(answerFourLetterWord('hash', () => capturedState(), { whitelist: all, digestLog: () => [] })).toBe('');
    expect(answerFourLetterWord('hash', () => ({ ...capturedState(), isServing: false }), { whitelist: all, digestLog })).toBe(zkNotServing);
  });
});
