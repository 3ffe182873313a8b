// When to snapshot: after a number of logged txns drawn from
// [snapCount/2, snapCount), as ZooKeeper's SyncRequestProcessor does
// (`logCount > snapCount/2 + randRoll`, randRoll uniform below snapCount/2).
// The randomness keeps the servers of an ensemble from all snapshotting at
// the same moment and stalling together. Ours comes from a seeded generator
// so a run is reproducible; `jitter: false` snapshots after exactly snapCount.

import { assert } from '../../spec/common/assert.ts';

export class SnapshotSchedule {
  private readonly snapCount: number;
  private readonly jitter: boolean;
  private state: number;
  private thresholdTxns = 0;
  private txnsSinceSnapshot = 0;

  constructor(snapCount: number, seed: number, jitter = true) {
    assert(Number.isInteger(snapCount) && snapCount >= 2, `snapCount must be an integer >= 2, got ${snapCount}`);
    this.snapCount = snapCount;
    this.jitter = jitter;
    this.state = seed >>> 0;
    this.reroll();
  }

  /** Counts one logged txn; true exactly once when the threshold is reached. */
  countTxn(): boolean {
    this.txnsSinceSnapshot++;
    return this.txnsSinceSnapshot === this.thresholdTxns;
  }

  get isDue(): boolean {
    return this.txnsSinceSnapshot >= this.thresholdTxns;
  }

  get threshold(): number {
    return this.thresholdTxns;
  }

  /** A snapshot was taken: start counting again towards a fresh threshold. */
  reset(): void {
    this.txnsSinceSnapshot = 0;
    this.reroll();
  }

  private reroll(): void {
    const half = Math.floor(this.snapCount / 2);
    this.thresholdTxns = this.jitter ? half + 1 + Math.floor(this.nextUnit() * (this.snapCount - half)) : this.snapCount;
  }

  /** mulberry32: a small, well-mixed 32-bit generator; enough for jitter. */
  private nextUnit(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
