// When to snapshot: after a number of logged txns drawn from
// [snapCount/2, snapCount), as ZooKeeper's SyncRequestProcessor does
// (`logCount > snapCount/2 + randRoll`, randRoll uniform below snapCount/2).
// The randomness keeps the servers of an ensemble from all snapshotting at
// the same moment and stalling together. Ours comes from a seeded generator
// so a run is reproducible; `jitter: false` snapshots after exactly snapCount.

import { assert } from '../../lib/assert.ts';
import { seededRandom } from '../../lib/random.ts';

export class SnapshotSchedule {
  private readonly snapCount: number;
  private readonly jitter: boolean;
  private readonly nextUnit: () => number;
  private thresholdTxns = 0;
  private txnsSinceSnapshot = 0;

  constructor(snapCount: number, seed: number, jitter = true) {
    assert(Number.isInteger(snapCount) && snapCount >= 2, `snapCount must be an integer >= 2, got ${snapCount}`);
    this.snapCount = snapCount;
    this.jitter = jitter;
    this.nextUnit = seededRandom(seed);
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

}
