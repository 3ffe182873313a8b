// The conformance adapters the command line knows, one per spec (adapter.ts).
// Adding a protocol: write adapters/<spec>.ts and append it here.

import type { AnyAdapter } from '../adapter.ts';
import { raftAdapter } from './raft.ts';
import { zabAdapter } from './zab.ts';

export const adapters: readonly AnyAdapter[] = [zabAdapter, raftAdapter];

export function findAdapter(spec: string): AnyAdapter | undefined {
  return adapters.find((a) => a.spec.name === spec);
}
