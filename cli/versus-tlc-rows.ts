// The state spaces `npm run bench -- check --versus-tlc DIR` runs in both
// checkers: each row names TLC's model (a .tla and a .cfg under DIR) and the
// command-line arguments that give our checker the very same state space, with
// the counts both tools must agree on. A row's files come from public
// repositories; `source` says which, so a reader can fetch a missing one.

export interface VersusRow {
  readonly name: string;
  readonly description: string;
  readonly tlc: {
    /** Folder under DIR holding the model; TLC runs there. */
    readonly folder: string;
    readonly module: string;
    readonly config: string;
    /** Every file the model needs in that folder (TLC also reads DIR/lib for library modules). */
    readonly files: readonly string[];
    /** Where the files come from, for the message when they are missing. */
    readonly source: string;
  };
  /** `npm run check -- <these>`: spec, preset and bound overrides. */
  readonly ours: readonly string[];
  /** The distinct states both must find (from TLC's own runs recorded in the specs' READMEs). */
  readonly distinct: number;
  /** Part of the default set: the smoke row is for tests. */
  readonly byDefault: boolean;
}

export const VERSUS_ROWS: readonly VersusRow[] = [
  {
    name: 'paxos-1',
    description: 'Paxos.tla, 1 acceptor, 1 value, ballots 0..1 (MCPaxos.cfg): a smoke row that takes seconds',
    tlc: {
      folder: 'paxos',
      module: 'MCPaxos.tla',
      config: 'MCPaxos.cfg',
      files: ['MCPaxos.tla', 'MCPaxos.cfg', 'Paxos.tla', 'Voting.tla', 'Consensus.tla'],
      source: 'tlaplus/Examples specifications/Paxos (../shared/tlc/paxos)',
    },
    ours: ['paxos', '--preset', 'tlc', '--acceptors', '1', '--values', '1'],
    distinct: 25,
    byDefault: false,
  },
  {
    name: 'paxos-tiny',
    description: 'MCPaxosTiny: Paxos.tla, 3 acceptors, 2 values, ballots 0..1, no symmetry',
    tlc: {
      folder: 'paxos-tiny',
      module: 'MCPaxos.tla',
      config: 'MCPaxosTiny.cfg',
      files: ['MCPaxos.tla', 'MCPaxosTiny.cfg', 'Paxos.tla', 'Voting.tla', 'Consensus.tla'],
      source: 'tlaplus/Examples at 32a32c7, specifications/PaxosHowToWinATuringAward/{MCPaxos.tla,MCPaxosTiny.cfg,Paxos.tla,Voting.tla,Consensus.tla}',
    },
    ours: ['paxos', '--preset', 'tlc'],
    distinct: 3_921,
    byDefault: true,
  },
  {
    name: 'paxos',
    description: 'Paxos.tla, 3 acceptors, 2 values, ballots 0..2, majority quorums, no symmetry (MCPaxos3.cfg)',
    tlc: {
      folder: 'paxos',
      module: 'MCPaxos3.tla',
      config: 'MCPaxos3.cfg',
      files: ['MCPaxos3.tla', 'MCPaxos3.cfg', 'Paxos.tla', 'Voting.tla', 'Consensus.tla'],
      source: 'tlaplus/Examples specifications/Paxos plus the MCPaxos3 wrapper (../shared/tlc/paxos)',
    },
    ours: ['paxos', '--preset', 'tlc', '--ballots', '3'],
    distinct: 185_369,
    byDefault: true,
  },
  {
    name: 'raft-fork',
    description: "the raft.tla fork's model: 3 servers, 1 value, MaxTerm 2, one client request, two elections per server, symmetry",
    tlc: {
      folder: 'raft-fork',
      module: 'raft.tla',
      config: 'raft.cfg',
      files: ['raft.tla', 'raft.cfg'],
      source: 'granular-storage/raft.tla at 64daec5, raft.tla and raft.cfg',
    },
    ours: ['raft', '--preset', 'tlc-fork'],
    distinct: 6_425_257,
    byDefault: true,
  },
  {
    name: 'raft',
    description: 'raft.tla, 3 servers, 1 value, currentTerm <= 2, Len(log) <= 1, at most 1 message in the bag, no symmetry (MCraft.cfg)',
    tlc: {
      folder: 'raft',
      module: 'MCraft.tla',
      config: 'MCraft.cfg',
      files: ['MCraft.tla', 'MCraft.cfg', 'raft.tla'],
      source: 'ongardie/raft.tla at 6ecbdbcf plus the MCraft wrapper (../shared/tlc/raft)',
    },
    ours: ['raft', '--preset', 'tlc', '--maxLogLength', '1', '--maxMessages', '1', '--restart', 'true', '--drop', 'true', '--duplicate', 'true', '--symmetry', 'false'],
    distinct: 2_379_781,
    byDefault: true,
  },
];
