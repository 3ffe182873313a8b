// Work for a worker of the parallel search (parallel-worker.ts) that has
// finished its share of a level while another has not: it expands the first
// states of its next frontier ahead of time, as far as computing their
// successors, and keeps those successors here without inserting them.
//
// Inserting them now would break breadth-first order: a successor of a state
// at depth d+1 has depth d+2, and another worker still expanding depth d may
// reach the same state at depth d+1. Kept aside, they are inserted when the
// worker's next level starts (`replay` in parallel-worker.ts), after every
// state of depth d+1 is in the table, so each state is still first inserted
// at its depth and by a shortest path, and the counts equal the sequential
// search's. A successor already in the shared table is dropped at once (it
// cannot be new); the rest keep their fingerprint, so it is not computed twice.
//
// Without this, a worker that finished early waited at the level's barrier:
// 2-4% of all expansions on raft's ci preset (parallel-stats.ts's imbalance).

/** Successors computed ahead for a prefix of a worker's next frontier. */
export class Lookahead<S> {
  /** How many states at the head of the next frontier have been expanded ahead. */
  expanded = 0;
  // Per state expanded ahead: successors generated (before the boundary and deduplication), whether any action was enabled, and where its kept successors end.
  private readonly generated: number[] = [];
  private readonly enabled: boolean[] = [];
  private readonly ends: number[] = [];
  // Per kept successor: the state, its fingerprint and the action's ordinal.
  readonly states: S[] = [];
  readonly hi: number[] = [];
  readonly lo: number[] = [];
  readonly ordinals: number[] = [];

  /** Successors kept so far (the buffer's size, which the worker caps). */
  get kept(): number {
    return this.states.length;
  }

  keep(state: S, hi: number, lo: number, ordinal: number): void {
    this.states.push(state);
    this.hi.push(hi);
    this.lo.push(lo);
    this.ordinals.push(ordinal);
  }

  /** Closes the state expanded ahead whose successors were just kept. */
  close(generated: number, enabled: boolean): void {
    this.generated.push(generated);
    this.enabled.push(enabled);
    this.ends.push(this.states.length);
    this.expanded++;
  }

  /** Drops the kept successors of a state whose expansion did not finish (the model threw; the real expansion reports it). */
  abandon(): void {
    const end = this.expanded === 0 ? 0 : this.ends[this.expanded - 1]!;
    this.states.length = end;
    this.hi.length = end;
    this.lo.length = end;
    this.ordinals.length = end;
  }

  generatedBy(index: number): number {
    return this.generated[index]!;
  }

  enabledAt(index: number): boolean {
    return this.enabled[index]!;
  }

  /** The kept successors of the index-th state expanded ahead: [start, end) in the arrays. */
  start(index: number): number {
    return index === 0 ? 0 : this.ends[index - 1]!;
  }

  end(index: number): number {
    return this.ends[index]!;
  }

  clear(): void {
    this.expanded = 0;
    this.generated.length = 0;
    this.enabled.length = 0;
    this.ends.length = 0;
    this.states.length = 0;
    this.hi.length = 0;
    this.lo.length = 0;
    this.ordinals.length = 0;
  }
}
