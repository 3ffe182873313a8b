// Runs the sans-IO peer core (impl/quorum/peer) against the world: each event
// is stepped at once, and its effects join one FIFO that is carried out in
// order. The core's contract (types.ts PeerEffect) is that every effect but
// `appendTxns` is complete before the next one starts: an epoch file is
// fsynced before the ACKEPOCH or NEWLEADER ACK behind it leaves, a TRUNC is
// done before the proposals after it are logged. So the FIFO waits on the
// effects that return a promise, and only on those: a send costs no turn of
// the event loop. Events that arrive meanwhile are stepped at once (the core's
// state is always current); only their effects wait their turn. What each
// effect does is peer-interpreter.ts's business.

import { step } from '../quorum/peer/step.ts';
import { compact } from '../quorum/peer/compact.ts';
import type { Peer, PeerEffect, PeerEvent } from '../quorum/peer/types.ts';

export interface PeerWorld {
  /** Carries out one effect; a promise holds back the effects after it until it settles. */
  apply(effect: PeerEffect): Promise<void> | void;
}

export class PeerDriver {
  private queue: PeerEffect[] = [];
  private head = 0;
  private draining = false;
  private ended = false;
  /** Events stepped, for the admin commands and tests. */
  eventsStepped = 0;

  constructor(
    private state: Peer,
    private readonly world: PeerWorld,
    private readonly onError: (error: unknown) => void,
    /** Called after each stepped event (peer-trace.ts records it). */
    private readonly onStep?: (event: PeerEvent, after: Peer) => void,
  ) {}

  get peer(): Peer {
    return this.state;
  }

  /** No more events are stepped and queued effects are dropped (the run is over). */
  end(): void {
    this.ended = true;
    this.queue = [];
    this.head = 0;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  dispatch(event: PeerEvent): void {
    if (this.ended) return;
    const { state, effects } = step(this.state, event);
    this.state = compact(state);
    this.eventsStepped++;
    this.onStep?.(event, this.state);
    if (effects.length === 0) return;
    for (const effect of effects) this.queue.push(effect);
    if (!this.draining) this.drain();
  }

  private drain(): void {
    this.draining = true;
    while (!this.ended && this.head < this.queue.length) {
      const effect = this.queue[this.head++]!;
      let pending: Promise<void> | void;
      try {
        pending = this.world.apply(effect);
      } catch (error) {
        this.draining = false;
        this.onError(error);
        return;
      }
      if (pending !== undefined) {
        pending.then(
          () => this.drain(),
          (error: unknown) => {
            this.draining = false;
            this.onError(error);
          },
        );
        return;
      }
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.draining = false;
  }
}

/**
 * The log's group commit resolves every append of an fsync together; the
 * core needs one `LogSynced` with the highest zxid, not one per txn (each
 * LogSynced scans the waiting ACKs: per txn that was quadratic in the size of
 * the group, the follower's largest cost with thousands of writes in flight).
 * `durable` is called once per resolved append; the report is made once, in a
 * microtask queued behind the rest of the group's resolutions.
 */
export class SyncCoalescer {
  private highest = -1n;
  private scheduled = false;

  constructor(private readonly report: (zxid: bigint) => void) {}

  durable(zxid: bigint): void {
    if (zxid > this.highest) this.highest = zxid;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.report(this.highest);
    });
  }
}
