// Branded numbers for the papers' nouns, so that a term is never passed where
// a ballot is expected. Brands cost nothing at run time: the values are plain
// numbers, which keeps states JSON-serialisable and cheap to fingerprint.

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A server's id: 0..n-1 inside a model (docs and traces print it as given). */
export type NodeId = Brand<number, 'NodeId'>;
/** ZAB epoch (acceptedEpoch, currentEpoch). */
export type Epoch = Brand<number, 'Epoch'>;
/** ZAB transaction id: (epoch << 32) | counter, kept as a pair in specs to stay in small integers. */
export type Zxid = { readonly epoch: Epoch; readonly counter: number };
/** Raft term. */
export type Term = Brand<number, 'Term'>;
/** Paxos ballot number. */
export type Ballot = Brand<number, 'Ballot'>;

export const nodeId = (n: number) => n as NodeId;
export const epoch = (n: number) => n as Epoch;
export const term = (n: number) => n as Term;
export const ballot = (n: number) => n as Ballot;

/** Total order on zxids: epoch first, then counter (ZAB paper, §3). */
export function compareZxid(a: Zxid, b: Zxid): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.counter - b.counter;
}
