// Writes on the local write path (standalone and leader), as ZooKeeper's
// PrepRequestProcessor -> SyncRequestProcessor -> FinalRequestProcessor chain
// does them: a request is prepped against the tree into a txn with the next
// zxid (tree/prep.ts), applied to the tree at once so the next request is
// validated against it, and appended to the current persist batch
// (group-commit.ts). Its reply and the watch events it fired wait for that
// batch (release-order.ts). Also here: FinalRequestProcessor's write cases,
// the reply built from a txn's result, which a learner uses too when the
// leader's txn commits.

import { assert } from '../../lib/assert.ts';
import { hex } from '../../lib/hex.ts';
import { ErrorCode, OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import { encodeBrief } from './pooled-bytes.ts';
import * as R from '../protocol/records.ts';
import type { DataTree, TxnResult } from '../tree/data-tree.ts';
import { prepRequest, type PrepContext, type WriteRequest } from '../tree/prep.ts';
import type { Txn } from '../tree/txn.ts';
import type { Connections } from './connections.ts';
import type { Logger } from './options.ts';
import type { GroupCommit } from './group-commit.ts';
import type { OutputQueues } from './output-queues.ts';
import type { ReleaseOrder } from './release-order.ts';
import type { Replies } from './replies.ts';
import type { SessionTracker } from './session-tracker.ts';

/** The settings prep reads: extendedTypesEnabled, enforceQuota and where a quota exceeded is logged. */
export type PrepSettings = Pick<PrepContext, 'extendedTypesEnabled' | 'enforceQuota' | 'warn' | 'quotaExceeded'>;

/**
 * A warning logger that drops a message repeated within 100 ms (ZooKeeper's
 * RateLogger for "Quota exceeded"): a client looping over a full quota must not
 * flood the log.
 */
export function rateLimited(log: Logger, now: () => number, intervalMs = 100): NonNullable<PrepSettings['warn']> {
  let last = '';
  let lastAtMs = -Infinity;
  return (event, fields) => {
    const at = now();
    // The same event with the same data is the repeat; bigints keyed as text (JSON has none).
    const key = `${event} ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`;
    if (key === last && at - lastAtMs < intervalMs) return;
    last = key;
    lastAtMs = at;
    log('warn', event, fields);
  };
}

/** A txn applied to the tree: the batch its effects wait for, and its result. */
type Applied = { readonly batch: number; readonly outcome: TxnResult };

export class Writes {
  private nextZxid: bigint;

  /**
   * @param firstZxid a leader's: the epoch's first zxid; standalone numbering
   *   continues from the tree's last zxid.
   */
  constructor(
    private readonly tree: DataTree,
    private readonly tracker: SessionTracker,
    private readonly order: ReleaseOrder,
    private readonly commit: GroupCommit,
    private readonly queues: OutputQueues,
    private readonly connections: Connections,
    private readonly replies: Replies,
    private readonly now: () => number,
    private readonly settings: PrepSettings,
    firstZxid: bigint | undefined,
    /** The schemes authProvider.N adds to digest and ip ("sasl"), for ACL validity. */
    private readonly authProviderSchemes: readonly string[] = [],
  ) {
    this.nextZxid = tree.lastProcessedZxid + 1n;
    if (firstZxid !== undefined) {
      assert(firstZxid > tree.lastProcessedZxid, () => `leader's first zxid ${hex(firstZxid)} is not above the tree's ${hex(tree.lastProcessedZxid)}`);
      this.nextZxid = firstZxid;
    }
  }

  /** The zxid of the newest txn prepped, whether or not it has reached persist yet. */
  get lastPreppedZxid(): bigint {
    return this.nextZxid - 1n;
  }

  /** Preps and applies one write; its outputs must wait for the returned batch. */
  submit(sessionId: bigint, cxid: number, request: WriteRequest, authIds: readonly R.Id[] = []): Applied {
    const txn = prepRequest(this.tree, request, {
      sessionId,
      cxid,
      // Taken only once prep has returned: a prep that throws leaves no gap in the zxids.
      zxid: this.nextZxid,
      time: BigInt(this.now()),
      authIds,
      ...this.settings,
      authProviderSchemes: this.authProviderSchemes,
    });
    this.nextZxid++;
    return this.apply(txn);
  }

  /** A txn that only carries an error to the client (and takes a zxid, as in ZooKeeper). */
  submitError(sessionId: bigint, cxid: number, err: number): Applied {
    return this.apply({ sessionId, cxid, zxid: this.nextZxid++, time: BigInt(this.now()), body: { type: 'error', err } });
  }

  /**
   * A write request as the client sent it: a body that does not decode becomes
   * an error txn (pRequest's catch-all: MarshallingError), and so does a
   * reconfig (dynamic reconfiguration is disabled).
   */
  submitRequest(sessionId: bigint, cxid: number, type: number, body: Uint8Array, authIds: readonly R.Id[]): Applied {
    const request = decodeWrite(type, body);
    if (request === undefined) return this.submitError(sessionId, cxid, ErrorCode.MARSHALLINGERROR);
    if (request === 'reconfig') return this.submitError(sessionId, cxid, ErrorCode.RECONFIGDISABLED);
    return this.submit(sessionId, cxid, request, authIds);
  }

  private apply(txn: Txn): Applied {
    const batch = this.commit.currentBatch;
    this.order.markPending(txn, batch);
    const { result, events } = this.tree.applyTxn(txn);
    if (txn.body.type === 'closeSession') {
      this.tracker.remove(txn.sessionId);
    }
    this.order.applied(batch);
    // First: an in-memory server makes the batch durable here, so the events go out at once.
    this.commit.append(txn);
    for (const event of events) {
      const watcher = this.connections.get(event.watcher);
      if (watcher !== undefined) this.queues.enqueue(watcher, batch, () => this.replies.event(event));
    }
    return { batch, outcome: result };
  }
}

/** The body of a write request, decoded; undefined when it does not decode. */
function decodeWrite(type: number, body: Uint8Array): WriteRequest | 'reconfig' | undefined {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer: {
      const r = decodeRecord(body, R.CreateRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.createTTL: {
      const r = decodeRecord(body, R.CreateTTLRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.delete: {
      const r = decodeRecord(body, R.DeleteRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.setData: {
      const r = decodeRecord(body, R.SetDataRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.setACL: {
      const r = decodeRecord(body, R.SetACLRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.check: {
      const r = decodeRecord(body, R.CheckVersionRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.multi: {
      const r = decodeRecord(body, R.MultiRequest.read, true);
      return r.ok ? { type, ops: r.value } : undefined;
    }
    case OpCode.reconfig:
      return 'reconfig';
    default:
      return undefined;
  }
}

/** FinalRequestProcessor's write cases: the reply for a txn's result. */
export function writeResponse(outcome: TxnResult): { err: number; response?: Uint8Array } {
  if (outcome.type === OpCode.error) return { err: outcome.err };
  switch (outcome.type) {
    case OpCode.create:
      return { err: outcome.err, response: encodeBrief({ path: outcome.path ?? '' }, R.CreateResponse.write) };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return outcome.stat === undefined
        ? { err: outcome.err }
        : { err: outcome.err, response: encodeBrief({ path: outcome.path ?? '', stat: outcome.stat }, R.Create2Response.write) };
    case OpCode.setData:
    case OpCode.setACL:
      return outcome.stat === undefined ? { err: outcome.err } : { err: outcome.err, response: encodeBrief({ stat: outcome.stat }, R.SetDataResponse.write) };
    case OpCode.multi: {
      // The multi's header says OK; failures are in the per-op results.
      const results: R.MultiResult[] = (outcome.multiResult ?? []).map(multiResult);
      return { err: 0, response: encodeBrief(results, R.MultiResponse.write) };
    }
    default:
      return { err: outcome.err };
  }
}

function multiResult(sub: TxnResult): R.MultiResult {
  switch (sub.type) {
    case OpCode.create:
      return { type: OpCode.create, path: sub.path ?? '' };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return { type: OpCode.create2, path: sub.path ?? '', stat: sub.stat! };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type: OpCode.delete };
    case OpCode.setData:
      return { type: OpCode.setData, stat: sub.stat! };
    case OpCode.check:
      return { type: OpCode.check };
    default:
      return { type: OpCode.error, err: sub.err };
  }
}
