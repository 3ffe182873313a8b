// A fuzzy snapshot (ZooKeeper's: DataTree.serialize walks the live tree while
// txns keep being applied) taken a slice at a time, so that a large tree is
// serialised across many turns of the event loop instead of in one pause.
// The bytes are snapshot.ts's layout, so deserializeTree reads them as any
// other snapshot; what differs is what they hold.
//
// The snapshot is named by the zxid the tree had applied when it STARTED (Z):
// every node is written as it is when the walk reaches it, which may include
// txns after Z. Replaying the log from Z on makes the result right, because
// replaying a txn over a tree that already holds its effect lands where the
// live tree is (DataTree.processTxn's idempotence; data-tree.ts keeps it):
// a create of a node that exists is a no-op, a delete of a missing node still
// moves the parent's pzxid, a setData or setACL sets the whole value, a
// create never moves the parent's cversion backwards, and closeSession
// deletes the paths its txn names. The caller must write the file only once
// the log is durable up to the last zxid applied when the walk FINISHED, or a
// crash could leave a snapshot holding a txn the log lost.
//
// The walk is depth first, parents before children, as deserializeTree needs.
// Each node's children are iterated with the live Set's own iterator, held
// across slices: a JavaScript Set iterator survives changes to its set
// (deleted entries are skipped, added ones come at the end), so no copy of a
// million-child set is ever taken in one step. A child whose czxid is above
// the zxid at which its parent was written is skipped: it was created (or
// deleted and created again, which would otherwise visit its name twice)
// after the parent's children were taken, and replaying its create adds it.
// So every path is written at most once, and only under a written parent.
// Children come in the set's insertion order, not HashSet order; a tree
// rebuilt from them inserts them in that order, which is the order its
// HashSet order is computed from (java-hash-order.ts).

import { JuteWriter } from '../protocol/jute.ts';
import type { DataTree } from './data-tree.ts';
import { joinPath } from './path.ts';
import { writeSnapshotHead, writeSnapshotNode } from './snapshot.ts';

type Frame = { readonly path: string; readonly children: Iterator<string>; readonly writtenAtZxid: bigint };

/** How many nodes are written between two looks at the clock. */
const nodesPerClockCheck = 64;

export class FuzzySnapshotWriter {
  /** The zxid the tree had applied when the snapshot started: the snapshot's name, and where replay starts. */
  readonly startZxid: bigint;
  private readonly head = new JuteWriter(256);
  private readonly nodeCountOffset: number;
  private readonly writer = new JuteWriter(256 * 1024);
  private readonly chunks: Uint8Array[] = [];
  private readonly stack: Frame[] = [];
  private written = 0;
  private bytes = 0;

  /** Writes the sessions (replay of createSession and closeSession fixes them up) and the root. */
  constructor(private readonly tree: DataTree) {
    this.startZxid = tree.lastProcessedZxid;
    this.nodeCountOffset = writeSnapshotHead(this.head, tree, 0);
    this.visit('/');
    this.cut();
  }

  get nodeCount(): number {
    return this.written;
  }

  get done(): boolean {
    return this.stack.length === 0;
  }

  /**
   * Serialises nodes for about `budgetMs` milliseconds, or until `stepBudget`
   * steps of the walk (a node written or skipped, a finished child set) were
   * taken (tests interleave txns at chosen points); true when the walk is done.
   */
  step(budgetMs: number, stepBudget = Number.POSITIVE_INFINITY): boolean {
    const until = performance.now() + budgetMs;
    let left = stepBudget;
    while (this.stack.length > 0 && left > 0) {
      const steps = Math.min(nodesPerClockCheck, left);
      for (let i = 0; i < steps && this.stack.length > 0; i++) this.advance();
      left -= steps;
      if (performance.now() >= until) break;
    }
    this.cut();
    return this.stack.length === 0;
  }

  /** The snapshot body in pieces (their concatenation is what serializeTree would give a tree in this state); only once done. */
  finish(): { readonly chunks: readonly Uint8Array[]; readonly byteLength: number } {
    if (!this.done) throw new Error('FuzzySnapshotWriter.finish before the walk is done');
    this.head.patchInt(this.nodeCountOffset, this.written);
    const head = this.head.finish();
    return { chunks: [head, ...this.chunks], byteLength: head.byteLength + this.bytes };
  }

  private advance(): void {
    const frame = this.stack[this.stack.length - 1]!;
    const next = frame.children.next();
    if (next.done === true) {
      this.stack.pop();
      return;
    }
    const path = joinPath(frame.path, next.value);
    const node = this.tree.nodes.get(path);
    // Gone since (its delete is in the log), or created after the parent was written (its create is).
    if (node === undefined || node.stat.czxid > frame.writtenAtZxid) return;
    this.visit(path);
  }

  private visit(path: string): void {
    const node = this.tree.nodes.get(path)!;
    writeSnapshotNode(this.writer, path, node);
    this.written++;
    if (node.children.size > 0) this.stack.push({ path, children: node.children.values(), writtenAtZxid: this.tree.lastProcessedZxid });
  }

  /** Moves what this slice wrote into a chunk of its own, so no buffer ever grows to the snapshot's size. */
  private cut(): void {
    if (this.writer.length === 0) return;
    this.chunks.push(this.writer.toBytes());
    this.bytes += this.writer.length;
    this.writer.length = 0;
  }
}
