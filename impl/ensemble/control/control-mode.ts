// Test-control mode (issue #7, the process-level replay): a member started
// with ZKSPEC_TEST_CONTROL=1 lets a harness decide what Fast Leader Election,
// the disk and the timers would decide, so that a spec trace's schedule can be
// replayed against real processes (conformance/replay/processes.ts):
//
// - no election: the member waits on its control port for `lead` or
//   `follow <sid>` (spec/zab's oracle election, ElectLeader / FollowLeader)
//   and goes LOOKING when the role run ends;
// - appends to the txn log are held in memory until `sync` (spec/zab
//   DiskSync); a SIGKILL before it loses them, as the spec's NodeCrash does;
// - `end` ends the current role run (a leader's sync-limit Timeout);
// - `prj` answers the member's projection (control/projection.ts).
//
// Timers are the harness's business too: it writes a zoo.cfg whose tickTime,
// initLimit and syncLimit are so large that none fires during a replay, and
// breaks connections itself where the spec times out.
//
// Off (the default, ZKSPEC_TEST_CONTROL unset) nothing here runs.

import { PEER_BUGS, type PeerBug } from '../../quorum/peer/types.ts';
import { err, ok, type Result } from '../../../lib/result.ts';

export interface ControlMode {
  /** The loopback port the member listens on for control commands (ZKSPEC_TEST_CONTROL_PORT). */
  readonly port: number;
  /** Known bugs the peer core is built with (ZKSPEC_TEST_BUGS, comma separated; PeerConfig.bugs). */
  readonly bugs: ReadonlySet<PeerBug>;
}

export const CONTROL_ENV = 'ZKSPEC_TEST_CONTROL';
export const CONTROL_PORT_ENV = 'ZKSPEC_TEST_CONTROL_PORT';
export const CONTROL_BUGS_ENV = 'ZKSPEC_TEST_BUGS';

/** The control mode the environment asks for; undefined when off; an error for a half-set or malformed one. */
export function controlModeFromEnv(env: NodeJS.ProcessEnv = process.env): Result<ControlMode | undefined, string> {
  const flag = env[CONTROL_ENV];
  if (flag === undefined || flag === '' || flag === '0') {
    if (env[CONTROL_BUGS_ENV] !== undefined && env[CONTROL_BUGS_ENV] !== '') return err(`${CONTROL_BUGS_ENV} is only honoured with ${CONTROL_ENV}=1`);
    return ok(undefined);
  }
  if (flag !== '1') return err(`${CONTROL_ENV}=${flag}: expected 1 or unset`);
  const portText = env[CONTROL_PORT_ENV] ?? '';
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port < 1 || port > 65535) return err(`${CONTROL_ENV}=1 needs ${CONTROL_PORT_ENV}=<port 1..65535>, got '${portText}'`);
  const bugs = new Set<PeerBug>();
  for (const name of (env[CONTROL_BUGS_ENV] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(PEER_BUGS as readonly string[]).includes(name)) return err(`${CONTROL_BUGS_ENV}: unknown bug ${name} (known: ${PEER_BUGS.join(', ')})`);
    bugs.add(name as PeerBug);
  }
  return ok({ port, bugs });
}
