// A client history of the ZooKeeper data model, as a workload records it and
// `npm run lincheck -- HISTORY.json` reads it: one JSON document whose events
// are invocations and completions, in the order they happened (Jepsen's
// :invoke / :ok / :info, Knossos's history). Validated with zod at the file
// boundary, then indexed into operations (an invocation with its completion)
// for the checker.
//
// - An invocation names the operation's id (unique in the history), the
//   ZooKeeper session that issued it, the time (any clock shared by the
//   recording clients, milliseconds by convention), the operation and its
//   arguments.
// - A completion names the id, the time, and the result: ZooKeeper's error
//   code by name with what the reply carried, or "info" when the client does
//   not know whether the operation took effect (connection lost, session
//   expired, timed out before the reply). An invocation with no completion is
//   indeterminate too (the recording stopped first).
// - `initial` lists the znodes that exist when the history starts, among the
//   paths it touches; any other path is absent then, except a parent that the
//   history neither creates nor deletes, which is taken to exist throughout
//   (the workload's root, created before recording).
// - `sessions` may give the time each session's ConnectRequest was sent: a
//   session's reads then see at least every write completed before that (the
//   createSession is itself a write, ordered after every write completed
//   before it was requested, and the serving member has applied it before it
//   answers). Not the time of the ConnectResponse: a write completed by
//   another member while the response was on its way may be ordered after
//   the createSession. Without it, a session's first reads may be
//   arbitrarily stale.

import { z } from 'zod';

const path = z.string().regex(/^\/(?:[^/]+(?:\/[^/]+)*)?$/, 'a znode path: /a/b, no trailing slash');
/** setData's and delete's expected version; -1 matches any (ZooKeeper's convention). */
const version = z.number().int().min(-1);

const createArgs = z.object({ path, data: z.string(), sequential: z.boolean().default(false) }).strict();
const deleteArgs = z.object({ path, version: version.default(-1) }).strict();
const setDataArgs = z.object({ path, data: z.string(), version: version.default(-1) }).strict();
const checkArgs = z.object({ path, version }).strict();
const pathArgs = z.object({ path }).strict();

const multiOp = z.discriminatedUnion('op', [
  z.object({ op: z.literal('create'), args: createArgs }).strict(),
  z.object({ op: z.literal('delete'), args: deleteArgs }).strict(),
  z.object({ op: z.literal('setData'), args: setDataArgs }).strict(),
  z.object({ op: z.literal('check'), args: checkArgs }).strict(),
]);

const invocationBase = { type: z.literal('invoke'), id: z.number().int().nonnegative(), session: z.union([z.string(), z.number()]), time: z.number().finite() };

const invocation = z.discriminatedUnion('op', [
  z.object({ ...invocationBase, op: z.literal('create'), args: createArgs }).strict(),
  z.object({ ...invocationBase, op: z.literal('delete'), args: deleteArgs }).strict(),
  z.object({ ...invocationBase, op: z.literal('setData'), args: setDataArgs }).strict(),
  z.object({ ...invocationBase, op: z.literal('getData'), args: pathArgs }).strict(),
  z.object({ ...invocationBase, op: z.literal('exists'), args: pathArgs }).strict(),
  z.object({ ...invocationBase, op: z.literal('sync'), args: pathArgs }).strict(),
  z.object({ ...invocationBase, op: z.literal('multi'), args: z.object({ ops: z.array(multiOp).min(1) }).strict() }).strict(),
]);

/** The codes a completed data operation can carry (ZooKeeper's KeeperException.Code names). */
export const resultCodes = ['OK', 'NoNode', 'NodeExists', 'BadVersion', 'NotEmpty'] as const;
export type ResultCode = (typeof resultCodes)[number];

/** One sub-result of a successful multi: the created path of a create, the new version of a setData. */
const subResult = z.object({ path: path.optional(), version: z.number().int().optional() }).strict();
/** A zxid (ZooKeeper's 64-bit epoch and counter; a double holds it exactly while the epoch is below 2^21). */
const zxid = z.number().int().nonnegative();

const result = z
  .object({
    code: z.enum(resultCodes),
    /** create: the path created (with its sequence number for a sequential create). */
    path: path.optional(),
    /** getData: the data read. */
    data: z.string().optional(),
    /** getData, exists, setData: the znode's version (Stat.version) in the reply. */
    version: z.number().int().nonnegative().optional(),
    /** multi, OK: one per sub-operation. */
    results: z.array(subResult).optional(),
    /** multi, failed: the index of the sub-operation that failed (ZooKeeper reports its code there). */
    index: z.number().int().nonnegative().optional(),
    /**
     * Every reply: the reply header's zxid. For a write, the zxid the leader gave it (a failed write too: it is
     * committed as an error txn), which orders it among all writes; for a read, the serving member's last zxid
     * (recorded, not used: servers differ in which one they send).
     */
    zxid: zxid.optional(),
    /** getData, exists, setData, create2: the Stat's zxids: of the create that made the znode, of its last change, of its children's last change. */
    czxid: zxid.optional(),
    mzxid: zxid.optional(),
    pzxid: zxid.optional(),
    /** The Stat's count of changes to the znode's children, and how many it has. */
    cversion: z.number().int().optional(),
    numChildren: z.number().int().nonnegative().optional(),
  })
  .strict();

const completion = z
  .object({ type: z.literal('complete'), id: z.number().int().nonnegative(), time: z.number().finite(), result: z.union([z.literal('info'), result]) })
  .strict();

/** A znode when the history starts; `mzxid` (optional) is the zxid of its last change, as a Stat would say. */
const znode = z.object({ data: z.string(), version: z.number().int().nonnegative(), mzxid: zxid.optional() }).strict();

export const historySchema = z
  .object({
    format: z.literal('zkspec-history/1'),
    initial: z.record(path, znode).default({}),
    sessions: z.record(z.string(), z.object({ connectedAt: z.number().finite() }).strict()).default({}),
    events: z.array(z.union([invocation, completion])),
  })
  .strict();

export type HistoryFile = z.infer<typeof historySchema>;
export type Invocation = z.infer<typeof invocation>;
export type MultiOp = z.infer<typeof multiOp>;
export type OpResult = z.infer<typeof result>;
export type Znode = z.infer<typeof znode>;
export type Event = HistoryFile['events'][number];

/** An operation: its invocation and, unless indeterminate, its result, with the times that bound it. */
export type Operation = {
  readonly id: number;
  readonly session: string;
  readonly call: Invocation;
  /** undefined: indeterminate (completed as "info", or never completed). */
  readonly result: OpResult | undefined;
  readonly invokedAt: number;
  /** Infinity for an indeterminate operation: it may take effect at any time after its invocation. */
  readonly completedAt: number;
};

export type History = {
  readonly initial: ReadonlyMap<string, Znode>;
  /** Session id -> the time it was connected, where the recording says. */
  readonly connectedAt: ReadonlyMap<string, number>;
  readonly operations: readonly Operation[];
};

/** Parses and indexes a history; a malformed one is an error naming the first problem. */
export function parseHistory(json: unknown): { ok: true; history: History } | { ok: false; error: string } {
  const parsed = historySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `not a zkspec-history/1 document: ${issue === undefined ? parsed.error.message : `${issue.path.join('.')}: ${issue.message}`}` };
  }
  return indexEvents(parsed.data);
}

function indexEvents(file: HistoryFile): { ok: true; history: History } | { ok: false; error: string } {
  const invocations = new Map<number, Invocation>();
  const completions = new Map<number, { time: number; result: OpResult | 'info' }>();
  for (const [at, event] of file.events.entries()) {
    if (event.type === 'invoke') {
      if (invocations.has(event.id)) return { ok: false, error: `events.${at}: operation ${event.id} invoked twice` };
      invocations.set(event.id, event);
      continue;
    }
    const call = invocations.get(event.id);
    if (call === undefined) return { ok: false, error: `events.${at}: operation ${event.id} completes before it is invoked` };
    if (completions.has(event.id)) return { ok: false, error: `events.${at}: operation ${event.id} completed twice` };
    if (event.time < call.time) return { ok: false, error: `events.${at}: operation ${event.id} completes at ${event.time}, before its invocation at ${call.time}` };
    completions.set(event.id, { time: event.time, result: event.result });
  }
  const operations: Operation[] = [];
  for (const call of invocations.values()) {
    const done = completions.get(call.id);
    const determinate = done !== undefined && done.result !== 'info';
    const operation: Operation = {
      id: call.id,
      session: String(call.session),
      call,
      result: determinate ? (done.result as OpResult) : undefined,
      invokedAt: call.time,
      completedAt: determinate ? done.time : Number.POSITIVE_INFINITY,
    };
    const problem = operation.result === undefined ? undefined : resultProblem(call, operation.result);
    if (problem !== undefined) return { ok: false, error: `operation ${call.id} (${call.op} ${describeArgs(call)}): ${problem}` };
    operations.push(operation);
  }
  const connectedAt = new Map(Object.entries(file.sessions).map(([session, { connectedAt }]) => [session, connectedAt]));
  return { ok: true, history: { initial: new Map(Object.entries(file.initial)), connectedAt, operations } };
}

/** What a result must carry for its operation (a reply the checker could not judge is the recorder's bug). */
function resultProblem(call: Invocation, result: OpResult): string | undefined {
  if (result.code !== 'OK') return undefined;
  switch (call.op) {
    case 'create':
      return result.path === undefined ? 'an OK create needs the created path' : undefined;
    case 'setData':
    case 'exists':
      return result.version === undefined ? `an OK ${call.op} needs the version` : undefined;
    case 'getData':
      return result.data === undefined || result.version === undefined ? 'an OK getData needs data and version' : undefined;
    case 'multi':
      return result.results?.length !== call.args.ops.length ? 'an OK multi needs one result per sub-operation' : undefined;
    case 'delete':
    case 'sync':
      return undefined;
  }
}

/** `/k data=x version=2`, for messages. */
export function describeArgs(call: Invocation | MultiOp): string {
  if (call.op === 'multi') return `[${call.args.ops.map((sub) => `${sub.op} ${describeArgs(sub)}`).join('; ')}]`;
  const args = call.args as Record<string, unknown>;
  const rest = Object.entries(args)
    .filter(([name, value]) => name !== 'path' && !(name === 'version' && value === -1) && !(name === 'sequential' && value === false))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return [args['path'], ...rest].join(' ');
}

/**
 * The zxid a determinate write took, where its reply says: the Stat's mzxid of an OK setData, czxid of an OK create2,
 * else the reply header's zxid (ZooKeeper's FinalRequestProcessor sends the zxid of the txn it just applied; a failed
 * write is an error txn with its own zxid). Undefined for an indeterminate write or a history that did not record it.
 */
export function writeZxid(op: Pick<Operation, 'call' | 'result'>): number | undefined {
  const result = op.result;
  if (result === undefined) return undefined;
  if (result.code === 'OK' && op.call.op === 'setData' && result.mzxid !== undefined) return result.mzxid;
  if (result.code === 'OK' && op.call.op === 'create' && result.czxid !== undefined) return result.czxid;
  return result.zxid;
}
