// The loop that runs impl/raft's core in a member: etcd's raft.Node with its
// application loop. Inputs (ticks from a timer, peers' messages, proposals
// and reads from the server) go into one queue; each is stepped, and its
// Ready carried out whole before the next input is stepped:
//
//   persist (RaftStorage, fsynced) -> persisted(ready) -> open the outbox ->
//   send its messages, load its snapshot, apply its committed entries, answer its reads
//
// so nothing is sent or applied before the disk has what it depends on (the
// seal of ready.ts makes the other order impossible to write). A persist that
// fails stops the member: its disk state is unknown, and acknowledging
// anything more would be a lie (SyncRequestProcessor's rule in the ZAB member).
//
// A proposal is answered once its entry is applied here, with the entry's
// index; if another entry is applied at that index (leadership was lost and
// the entry overwritten), or the member stops, it is answered with an error,
// and the caller may retry with the new leader.

import { assert } from '../../lib/assert.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { lastIndex } from '../raft/log.ts';
import { newNode, type RaftNode } from '../raft/node.ts';
import { persisted, type Ready } from '../raft/ready.ts';
import { step } from '../raft/step.ts';
import type { Entry, Message, RaftConfig, RaftInput, Snapshot } from '../raft/types.ts';
import type { FsLayer } from '../storage/fs-layer.ts';
import type { StorageError } from '../storage/storage-error.ts';
import { RaftStorage, type RaftStorageOptions } from './raft-storage.ts';
import type { MemberLog } from './transport.ts';

/** What the replicated log drives: the data tree in the server, a list in tests. */
export interface StateMachine {
  /** Start over from a snapshot's data (undefined: the empty state), on start and on InstallSnapshot; a string says why it cannot (the member stops). */
  restore(snapshot: Snapshot | undefined): string | undefined;
  /** A committed entry, in index order; an empty `data` is a new leader's no-op. */
  apply(entry: Entry): void;
  /** The state after every entry applied so far, for a snapshot (Compact). */
  snapshot(): Uint8Array;
}

export interface RaftMemberOptions {
  readonly config: RaftConfig;
  /** The member's Raft directory (`<dataDir>/raft`). */
  readonly dir: string;
  readonly fs: FsLayer;
  readonly storage?: Partial<RaftStorageOptions>;
  readonly machine: StateMachine;
  readonly send: (message: Message) => void;
  readonly log: MemberLog;
  /** How long a tick is (electionTicks and heartbeatTicks are counted in them). */
  readonly tickMs: number;
  /** Compact the log after this many entries applied since the last snapshot (0: never). */
  readonly snapshotEveryEntries?: number;
  /** Called once if the member stops on its own (a storage error, a snapshot the state machine cannot load). */
  readonly onStop?: (error: { readonly message: string }) => void;
}

export type ProposeError = { readonly kind: 'not-leader'; readonly leader: number | undefined; readonly message: string } | { readonly kind: 'lost' | 'stopped'; readonly message: string };

export type ReadError = { readonly kind: 'refused'; readonly leader: number | undefined; readonly message: string } | { readonly kind: 'stopped'; readonly message: string };

interface PendingRead {
  readonly resolve: (result: Result<number, ReadError>) => void;
  /** The index the state machine must reach before the read may be served; undefined until the leader confirms it. */
  index: number | undefined;
}

interface PendingProposal {
  readonly term: number;
  readonly resolve: (result: Result<number, ProposeError>) => void;
}

export class RaftMember {
  #node: RaftNode;
  readonly #inbox: RaftInput[] = [];
  readonly #proposals = new Map<number, PendingProposal>();
  readonly #proposalsWaiting: ((result: Result<number, ProposeError>) => void)[] = [];
  readonly #reads = new Map<number, PendingRead>();
  #readContext = 0;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopped = false;
  #tickQueued = false;
  #applied: number;
  #snapshotIndex: number;
  #idle: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: RaftMemberOptions,
    private readonly storage: RaftStorage,
    node: RaftNode,
  ) {
    this.#node = node;
    this.#applied = node.applied;
    this.#snapshotIndex = node.log.snapshotIndex;
  }

  /** Recovers the member's storage, loads its snapshot into the state machine and starts the timer. */
  static async start(options: RaftMemberOptions): Promise<Result<RaftMember, StorageError | { readonly kind: 'snapshot'; readonly message: string }>> {
    const opened = await RaftStorage.open(options.fs, options.dir, options.storage);
    if (!opened.ok) return opened;
    const { storage, stored, report } = opened.value;
    options.log('info', 'raft-recovered', {
      term: stored.hardState.term,
      vote: stored.hardState.vote,
      snapshotIndex: stored.snapshot?.index ?? 0,
      lastIndex: stored.entries.at(-1)?.index ?? stored.snapshot?.index ?? 0,
      ...(report.tornTail ? { tornTail: report.tornTail } : {}),
      ...(report.droppedAfterSnapshot !== undefined ? { droppedAfterSnapshot: report.droppedAfterSnapshot } : {}),
    });
    const refused = options.machine.restore(stored.snapshot);
    if (refused !== undefined) {
      await storage.close();
      return err({ kind: 'snapshot', message: refused });
    }
    const member = new RaftMember(options, storage, newNode(options.config, stored));
    member.#timer = setInterval(() => member.tick(), options.tickMs);
    return ok(member);
  }

  get id(): number {
    return this.options.config.id;
  }
  get role(): RaftNode['role'] {
    return this.#node.role;
  }
  get term(): number {
    return this.#node.term;
  }
  get leader(): number | undefined {
    return this.#node.leader < 0 ? undefined : this.#node.leader;
  }
  get commitIndex(): number {
    return this.#node.commit;
  }
  get appliedIndex(): number {
    return this.#applied;
  }
  get stopped(): boolean {
    return this.#stopped;
  }

  /** A message from a peer (the transport's onMessage). */
  receive(message: Message): void {
    this.enqueue({ type: 'Receive', message });
  }

  /** Replicates `data`; resolves with its index once applied here, or with why not. */
  propose(data: Uint8Array): Promise<Result<number, ProposeError>> {
    if (this.#stopped) return Promise.resolve(err({ kind: 'stopped', message: `member ${this.id} has stopped` }));
    return new Promise((resolve) => {
      this.#proposalsWaiting.push(resolve);
      this.enqueue({ type: 'Propose', data });
    });
  }

  /**
   * A linearizable read point (ReadIndex, dissertation §6.4): resolves, once
   * this member's state machine has applied it, with an index such that
   * serving the read from the state machine now is linearizable; refused
   * away from the leader or before it has committed an entry of its term.
   */
  readIndex(): Promise<Result<number, ReadError>> {
    if (this.#stopped) return Promise.resolve(err({ kind: 'stopped', message: `member ${this.id} has stopped` }));
    const context = ++this.#readContext;
    return new Promise((resolve) => {
      this.#reads.set(context, { resolve, index: undefined });
      this.enqueue({ type: 'ReadIndex', context });
    });
  }

  /** Stops the timer and the loop (after the Ready under way); pending proposals are answered `stopped`. */
  async stop(): Promise<void> {
    this.halt();
    await this.#idle;
    await this.storage.close();
  }

  private halt(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    const stopped = err({ kind: 'stopped' as const, message: `member ${this.id} has stopped` });
    for (const p of this.#proposals.values()) p.resolve(stopped);
    this.#proposals.clear();
    for (const resolve of this.#proposalsWaiting.splice(0)) resolve(stopped);
    for (const read of this.#reads.values()) read.resolve(stopped);
    this.#reads.clear();
    this.#inbox.length = 0;
  }

  private tick(): void {
    // A slow disk must not build a backlog of ticks: one waiting is enough.
    if (this.#tickQueued) return;
    this.#tickQueued = true;
    this.enqueue({ type: 'Tick' });
  }

  private enqueue(input: RaftInput): void {
    if (this.#stopped) return;
    this.#inbox.push(input);
    if (!this.#running) this.#idle = this.run();
  }

  private async run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#stopped && this.#inbox.length > 0) {
        const input = this.#inbox.shift()!;
        if (input.type === 'Tick') this.#tickQueued = false;
        const { node, ready } = step(this.#node, input);
        this.#node = node;
        if (input.type === 'Propose') this.noteProposal(ready);
        this.answerRefusedReads(ready);
        for (const warning of ready.warnings) this.options.log('warn', 'raft-input-ignored', { warning });
        await this.carryOut(ready);
      }
    } finally {
      this.#running = false;
    }
  }

  private noteProposal(ready: Ready): void {
    const resolve = this.#proposalsWaiting.shift();
    assert(resolve !== undefined, 'a Propose stepped without a caller waiting for it');
    const refused = ready.refused.find((r) => r.what === 'Propose');
    if (refused !== undefined) {
      resolve(err({ kind: 'not-leader', leader: this.leader, message: refused.reason }));
      return;
    }
    this.#proposals.set(lastIndex(this.#node.log), { term: this.#node.term, resolve });
  }

  /** Ready.persist, fsynced; then, and only then, its outbox. */
  private async carryOut(ready: Ready): Promise<void> {
    if (ready.persist !== undefined) {
      const written = await this.storage.persist(ready.persist);
      if (!written.ok) {
        this.options.log('error', 'raft-storage-failed', { message: written.error.message, kind: written.error.kind });
        this.halt();
        this.options.onStop?.(written.error);
        return;
      }
    }
    const out = ready.outbox.open(persisted(ready));
    for (const message of out.messages) this.options.send(message);
    if (out.applySnapshot !== undefined) {
      this.options.log('info', 'raft-snapshot-installed', { index: out.applySnapshot.index, term: out.applySnapshot.term, bytes: out.applySnapshot.data.length });
      const refused = this.options.machine.restore(out.applySnapshot);
      if (refused !== undefined) {
        this.options.log('error', 'raft-snapshot-refused', { message: refused });
        this.halt();
        this.options.onStop?.({ message: refused });
        return;
      }
      this.#applied = out.applySnapshot.index;
      this.#snapshotIndex = out.applySnapshot.index;
      this.answerOverwritten(out.applySnapshot.index);
    }
    for (const entry of out.committed) this.apply(entry);
    for (const read of out.reads) {
      const pending = this.#reads.get(read.context);
      if (pending !== undefined) pending.index = read.index;
    }
    this.answerReads();
    this.maybeCompact();
  }

  private answerRefusedReads(ready: Ready): void {
    for (const refused of ready.refused) {
      if (refused.what !== 'ReadIndex') continue;
      const pending = this.#reads.get(refused.context);
      if (pending === undefined) continue;
      this.#reads.delete(refused.context);
      pending.resolve(err({ kind: 'refused', leader: this.leader, message: refused.reason }));
    }
  }

  /** Reads whose index the state machine has reached. */
  private answerReads(): void {
    for (const [context, pending] of this.#reads) {
      if (pending.index === undefined || pending.index > this.#applied) continue;
      this.#reads.delete(context);
      pending.resolve(ok(pending.index));
    }
  }

  private apply(entry: Entry): void {
    assert(entry.index === this.#applied + 1, () => `member ${this.id} applies ${entry.index} after ${this.#applied}`);
    this.options.machine.apply(entry);
    this.#applied = entry.index;
    const pending = this.#proposals.get(entry.index);
    if (pending === undefined) return;
    this.#proposals.delete(entry.index);
    pending.resolve(pending.term === entry.term ? ok(entry.index) : err({ kind: 'lost', message: `index ${entry.index} holds term ${entry.term}'s entry, not this proposal of term ${pending.term}` }));
  }

  /** Proposals at or below an installed snapshot's index cannot be told apart from others: answered as lost (the caller retries). */
  private answerOverwritten(index: number): void {
    for (const [at, pending] of this.#proposals) {
      if (at > index) continue;
      this.#proposals.delete(at);
      pending.resolve(err({ kind: 'lost', message: `index ${at} was installed from a leader's snapshot` }));
    }
  }

  private maybeCompact(): void {
    const every = this.options.snapshotEveryEntries ?? 0;
    if (every <= 0 || this.#applied - this.#snapshotIndex < every) return;
    this.#snapshotIndex = this.#applied;
    this.#inbox.push({ type: 'Compact', index: this.#applied, data: this.options.machine.snapshot() });
  }
}
