// The protocols `replay` knows, one entry per spec (target.ts): the first is
// the default of `--spec`. Adding a protocol: write replay/<spec>-target.ts
// (and its adapter in adapters/) and append it here; `processes` is for an
// engine that runs as a member process in test-control mode (ZAB's, today).

import { replayProcessesCli } from './processes.ts';
import { raftTarget } from './raft-target.ts';
import type { AnyReplayTarget } from './target.ts';
import { zabTarget } from './zab-target.ts';

export interface ReplayProtocol {
  readonly target: AnyReplayTarget;
  /** `replay --processes ...` for this spec (its own options: processes.ts), run to its exit code; absent: refused. */
  readonly processes?: (args: readonly string[], io: { out(text: string): void; err(text: string): void }) => number;
}

export const replayProtocols: readonly ReplayProtocol[] = [{ target: zabTarget, processes: replayProcessesCli }, { target: raftTarget }];

export function findReplayProtocol(spec: string): ReplayProtocol | undefined {
  return replayProtocols.find((p) => p.target.adapter.spec.name === spec);
}
