// The clients of the ensemble safety tests and what they remember, so that a
// crash, a partition or a restart can be judged afterwards from the clients'
// side alone (a Jepsen-style history check, specialised to registers with
// one writer each):
//
// - Writers own registers (znodes `<root>/k<n>`). Each writer keeps one
//   setData in flight per register it owns, with values `k<n>:<seq>` whose
//   seq grows by one per attempt, so a register's committed history is a
//   subsequence of its writer's attempts, in order. A writer also creates
//   znodes `<root>/c/w<w>-<n>` one at a time. Every reply is recorded: OK is
//   acknowledged (with the version setData returned), a lost connection is
//   indeterminate (the write may or may not have committed), anything else
//   is an unexpected error.
// - Readers getData random registers (seeded) from the member they are bound
//   to and record (register, seq, version, member).
// - Clients are spread over the members: writer w and reader r start at
//   member (w mod N)+1, (r mod N)+1 (or the (w mod N)th of `spreadOver`) and,
//   when their connection is lost, open a new session on the next member
//   that accepts one.
//
// `verify()` then reads every register and every create from every running
// member (after a sync, so a follower has caught up with its leader) and
// reports each violation of:
// 1. every member holds the same value and version for each register and the
//    same set of created znodes;
// 2. every acknowledged write is there: a register's final seq is at least
//    the last acknowledged seq (and its version at least that version), every
//    acknowledged create exists with its data, nothing never sent exists;
// 3. acknowledged versions of a register grow with seq (no version is given
//    to two different writes);
// 4. no read saw a write that was later lost: a read of (seq s, version v)
//    needs a final state at least as new (seq >= s, version >= v, equal
//    versions only with equal seqs) and must agree with every acknowledged
//    write on the order of versions (an acknowledged write with version v has
//    seq s; earlier seqs have smaller versions, later ones larger). A read of
//    a write that was lost in a leader change would have its version handed
//    again to a later, different write.
// With `history`, every request of the writers and readers, and verify's
// syncs and reads, is also recorded as an invocation and its completion
// (zkspec-history/1, for impl/linearizability's checker; impl/nemesis writes
// it to a file): a lost connection completes as "info" (indeterminate). A
// completion carries the reply header's zxid and, for setData, create (sent
// as create2 for its Stat) and getData, the Stat's zxids and counts, which
// the checker orders writes by and pins lost writes with.
//
// ZooKeeper guarantees all four (linearizable writes, reads of committed
// state only, "Guarantees" in the Programmer's Guide); a read of a lost write
// is the failure that Zab's synchronisation phase exists to prevent.

import { seededRandom } from '../../lib/random.ts';
import type { Socket } from 'node:net';
import { OpCode, ErrorCode } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { WireSession, requests } from '../testing/wire-client.ts';
import type { Ensemble } from './cluster.ts';

export type WorkloadOptions = {
  readonly root: string;
  readonly writers: number;
  readonly registersPerWriter: number;
  readonly readers: number;
  /** getData requests each reader keeps in flight. */
  readonly readsInFlight: number;
  readonly seed: number;
  /** Records every operation's invocation and completion (see the file comment). */
  readonly history?: HistorySink;
  /**
   * The members the clients are spread over, in this order (writer w and
   * reader r start at the (w mod N)th and (r mod N)th): every member by
   * default; impl/nemesis puts observers early so that some clients read and
   * write through them.
   */
  readonly spreadOver?: readonly number[];
};

/** An operation of this workload as a history records it (zkspec-history/1's invocations, impl/linearizability/history.ts). */
export type HistoryCall =
  | { readonly op: 'setData'; readonly args: { readonly path: string; readonly data: string } }
  | { readonly op: 'create'; readonly args: { readonly path: string; readonly data: string } }
  | { readonly op: 'getData'; readonly args: { readonly path: string } }
  | { readonly op: 'sync'; readonly args: { readonly path: string } };
/** A completion: ZooKeeper's code by name with what the reply carried, or 'info' when it is not known whether it took effect. */
export type HistoryResult =
  | 'info'
  | ({ readonly code: 'OK' | 'NoNode' | 'NodeExists' | 'BadVersion' | 'NotEmpty'; readonly path?: string; readonly data?: string; readonly version?: number; readonly zxid?: number } & Partial<StatFields>);
/** What a history records of a Stat (zxids as numbers: exact while the epoch is below 2^21). */
type StatFields = { readonly czxid: number; readonly mzxid: number; readonly pzxid: number; readonly cversion: number; readonly numChildren: number };

function statFields(stat: R.Stat): StatFields {
  return { czxid: Number(stat.czxid), mzxid: Number(stat.mzxid), pzxid: Number(stat.pzxid), cversion: stat.cversion, numChildren: stat.numChildren };
}

/** The reply header's zxid, as a history records it. */
const headerZxid = (zxid: bigint | undefined): { zxid?: number } => (zxid === undefined ? {} : { zxid: Number(zxid) });
/** What records a history (impl/linearizability/recorder.ts's HistoryRecorder has this shape). */
export type HistorySink = {
  now(): number;
  /** `requestedAt`: `now()` when the ConnectRequest was sent (recorder.ts says why not when it was answered). */
  connected(session: string, requestedAt: number): void;
  invoke(session: string, call: HistoryCall): number;
  complete(id: number, result: HistoryResult): void;
};

/** A session's name in a history: its ZooKeeper session id. */
const sessionName = (session: WireSession) => `0x${session.sessionId.toString(16)}`;

/** An error reply as a completion: a definite failure by its name (with the header's zxid), else indeterminate. */
function failure(err: number, zxid?: bigint): HistoryResult {
  switch (err) {
    case ErrorCode.NONODE:
      return { code: 'NoNode', ...headerZxid(zxid) };
    case ErrorCode.NODEEXISTS:
      return { code: 'NodeExists', ...headerZxid(zxid) };
    case ErrorCode.BADVERSION:
      return { code: 'BadVersion', ...headerZxid(zxid) };
    case ErrorCode.NOTEMPTY:
      return { code: 'NotEmpty', ...headerZxid(zxid) };
    default:
      return 'info'; // connection loss, session expiry, a timeout, or anything the history cannot judge
  }
}

type Acked = { readonly seq: number; readonly version: number };
type Read = { readonly register: number; readonly seq: number; readonly version: number; readonly member: number };
type RegisterState = { readonly seq: number; readonly version: number };
/** What verify reads back from one member. */
type MemberState = { readonly registers: readonly RegisterState[]; readonly children: ReadonlySet<string> };

export type VerifyReport = {
  readonly violations: readonly string[];
  readonly membersChecked: readonly number[];
  readonly registers: number;
  readonly ackedSetData: number;
  readonly indeterminateSetData: number;
  readonly ackedCreates: number;
  readonly reads: number;
  readonly readsByMember: Readonly<Record<number, number>>;
  /** Acknowledged writes missing from the final state: registers behind their last acknowledged seq, and acknowledged creates missing on some member. */
  readonly lostAcknowledgedWrites: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Drops a session's connection so that every request still waiting on it is
 * answered CONNECTIONLOSS. WireSession.destroy() marks the session closed
 * before its socket's close event, which then answers nobody; the benchmark
 * never needs that, these clients do.
 */
function abort(session: WireSession): void {
  (session as unknown as { readonly socket: Socket }).socket.destroy();
}

/** One request on a session, as a promise of (err, body, the reply header's zxid). */
function request(session: WireSession, type: number, body: Uint8Array): Promise<{ err: number; body: Uint8Array; zxid?: bigint }> {
  return new Promise((resolve) => session.send(type, body, (err, reply, zxid) => resolve({ err, body: reply, ...(zxid === undefined ? {} : { zxid }) })));
}

/** Opens a session to `port`, giving up after `timeoutMs` (a member that accepts but never answers). */
async function openSession(port: number, timeoutMs = 2000): Promise<WireSession | undefined> {
  let timedOut = false;
  const opening = WireSession.open(port, 4000).then(
    (s) => {
      if (timedOut) abort(s);
      return s;
    },
    () => undefined,
  );
  const timer = sleep(timeoutMs).then(() => {
    timedOut = true;
    return undefined;
  });
  return Promise.race([opening, timer]);
}

export class SafetyWorkload {
  /** setData and create acknowledgements so far. */
  acks = 0;
  readonly unexpectedErrors: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly sessions = new Set<WireSession>();
  private readonly sentSeq: number[];
  private readonly acked: Acked[][];
  private indeterminate = 0;
  private readonly sentCreates = new Set<string>();
  private readonly ackedCreates = new Set<string>();
  private readonly reads: Read[] = [];
  private readonly random: () => number;
  private readonly ackWaiters: { target: number; resolve: () => void }[] = [];
  /** setData and create acknowledgements by the member whose session carried them. */
  readonly acksByMember: Record<number, number> = {};
  /** Acknowledged creates verify found missing on some member. */
  private readonly lostCreates = new Set<string>();
  private lostSetData = 0;

  constructor(
    private readonly ensemble: Ensemble,
    readonly options: WorkloadOptions,
  ) {
    const registers = options.writers * options.registersPerWriter;
    this.sentSeq = new Array<number>(registers).fill(0);
    this.acked = Array.from({ length: registers }, () => []);
    this.random = seededRandom(options.seed);
  }

  /** The creates the ensemble acknowledged, in no particular order. */
  acknowledgedCreates(): readonly string[] {
    return [...this.ackedCreates];
  }

  get registers(): number {
    return this.sentSeq.length;
  }

  private registerPath = (n: number) => `${this.options.root}/k${n}`;

  /** Creates the root, the registers and the creates' parent through whichever member accepts; bounded. */
  async setup(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const paths = [this.options.root, `${this.options.root}/c`, ...Array.from({ length: this.registers }, (_, n) => this.registerPath(n))];
    let next = 0;
    while (next < paths.length) {
      if (Date.now() > deadline) throw new Error(`workload setup did not finish within ${timeoutMs} ms (${next} of ${paths.length} znodes)`);
      const session = await this.connect(0);
      if (session === undefined) continue;
      while (next < paths.length) {
        const reply = await request(session, OpCode.create, requests.create(paths[next]!, new Uint8Array(0)));
        if (reply.err === 0 || reply.err === ErrorCode.NODEEXISTS) next++;
        else break;
      }
      await session.close();
      this.sessions.delete(session);
    }
  }

  /** Starts every writer and reader; they run until `stop()`. */
  start(): void {
    this.running = true;
    for (let w = 0; w < this.options.writers; w++) this.loops.push(this.writer(w));
    for (let r = 0; r < this.options.readers; r++) this.loops.push(this.reader(r));
  }

  /** Resolves once `count` more writes are acknowledged; rejects after `timeoutMs`. */
  waitForAcks(count: number, timeoutMs: number, what: string): Promise<void> {
    const target = this.acks + count;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: ${count} acknowledgements did not come within ${timeoutMs} ms (got ${this.acks - target + count})`)), timeoutMs);
      this.ackWaiters.push({
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Stops issuing requests; waits (bounded) for the ones in flight, then closes every session. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.running = false;
    await Promise.race([Promise.all(this.loops), sleep(timeoutMs)]);
    for (const s of this.sessions) abort(s); // any still waiting get CONNECTIONLOSS: indeterminate
    await Promise.race([Promise.all(this.loops), sleep(2000)]);
    this.sessions.clear();
  }

  private onAck(member: number): void {
    this.acks++;
    this.acksByMember[member] = (this.acksByMember[member] ?? 0) + 1;
    for (let i = this.ackWaiters.length - 1; i >= 0; i--) {
      if (this.acks >= this.ackWaiters[i]!.target) this.ackWaiters.splice(i, 1)[0]!.resolve();
    }
  }

  /** A session on the first member, from `start` round the ring, that accepts one; undefined once stopped or after 10 s. */
  private async connect(start: number, preferOnly?: number): Promise<WireSession | undefined> {
    const ids = this.options.spreadOver ?? this.ensemble.ids;
    const deadline = Date.now() + 10_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const id = preferOnly !== undefined && attempt % 4 !== 3 ? preferOnly : ids[(start + attempt) % ids.length]!;
      if (this.ensemble.isRunning(id)) {
        const requestedAt = this.options.history?.now() ?? 0;
        const session = await openSession(this.ensemble.member(id).clientPort);
        if (session !== undefined) {
          this.sessions.add(session);
          this.options.history?.connected(sessionName(session), requestedAt);
          (session as WireSession & { member?: number }).member = id;
          return session;
        }
      }
      await sleep(50);
    }
    return undefined;
  }

  private async writer(w: number): Promise<void> {
    const owned = Array.from({ length: this.options.registersPerWriter }, (_, j) => w * this.options.registersPerWriter + j);
    let creates = 0;
    let start = w;
    while (this.running) {
      const session = await this.connect(start++);
      if (session === undefined) continue;
      const member = (session as WireSession & { member?: number }).member!;
      const setDataSlot = async (n: number) => {
        while (this.running && !session.closed) {
          const seq = ++this.sentSeq[n]!;
          const op = this.options.history?.invoke(sessionName(session), { op: 'setData', args: { path: this.registerPath(n), data: `k${n}:${seq}` } });
          const reply = await request(session, OpCode.setData, requests.setData(this.registerPath(n), encoder.encode(`k${n}:${seq}`)));
          if (reply.err === 0) {
            const decoded = decodeRecord(reply.body, R.SetDataResponse.read, true);
            if (!decoded.ok) throw new Error(`bad SetDataResponse: ${decoded.error}`);
            if (op !== undefined) this.options.history?.complete(op, { code: 'OK', version: decoded.value.stat.version, ...headerZxid(reply.zxid), ...statFields(decoded.value.stat) });
            this.acked[n]!.push({ seq, version: decoded.value.stat.version });
            this.onAck(member);
          } else {
            if (op !== undefined) this.options.history?.complete(op, failure(reply.err, reply.zxid));
            this.indeterminate++;
            if (reply.err !== ErrorCode.CONNECTIONLOSS && reply.err !== ErrorCode.SESSIONEXPIRED) this.unexpectedErrors.push(`setData k${n}:${seq}: error ${reply.err}`);
            abort(session);
          }
        }
      };
      const createSlot = async () => {
        while (this.running && !session.closed) {
          const path = `${this.options.root}/c/w${w}-${creates++}`;
          this.sentCreates.add(path);
          const op = this.options.history?.invoke(sessionName(session), { op: 'create', args: { path, data: path } });
          // create2: the same request, answered with the created znode's Stat (its czxid is the create's zxid).
          const reply = await request(session, OpCode.create2, requests.create(path, encoder.encode(path)));
          if (op !== undefined) this.options.history?.complete(op, reply.err === 0 ? created(path, reply) : failure(reply.err, reply.zxid));
          if (reply.err === 0) {
            this.ackedCreates.add(path);
            this.onAck(member);
          } else {
            if (reply.err !== ErrorCode.CONNECTIONLOSS && reply.err !== ErrorCode.SESSIONEXPIRED) this.unexpectedErrors.push(`create ${path}: error ${reply.err}`);
            abort(session);
          }
        }
      };
      await Promise.all([...owned.map(setDataSlot), createSlot()]);
      this.sessions.delete(session);
    }
  }

  private async reader(r: number): Promise<void> {
    const ids = this.options.spreadOver ?? this.ensemble.ids;
    const home = ids[r % ids.length]!;
    while (this.running) {
      const session = await this.connect(r, home);
      if (session === undefined) continue;
      const member = (session as WireSession & { member?: number }).member!;
      const slot = async () => {
        while (this.running && !session.closed) {
          const register = Math.floor(this.random() * this.registers);
          const reply = await this.recordedGetData(session, this.registerPath(register));
          if (reply.err !== 0) {
            if (reply.err !== ErrorCode.CONNECTIONLOSS && reply.err !== ErrorCode.SESSIONEXPIRED) this.unexpectedErrors.push(`getData k${register}: error ${reply.err}`);
            abort(session);
            return;
          }
          const decoded = decodeRecord(reply.body, R.GetDataResponse.read, true);
          if (!decoded.ok) throw new Error(`bad GetDataResponse: ${decoded.error}`);
          this.reads.push({ register, seq: seqOf(decoder.decode(decoded.value.data)), version: decoded.value.stat.version, member });
        }
      };
      await Promise.all(Array.from({ length: this.options.readsInFlight }, slot));
      this.sessions.delete(session);
      // A reader bound to a member that is down or cut off waits for it rather than spinning.
      if (this.running) await sleep(50);
    }
  }

  /** A getData, recorded in the history with the data and version it returned. */
  private async recordedGetData(session: WireSession, path: string): Promise<{ err: number; body: Uint8Array }> {
    const history = this.options.history;
    const op = history?.invoke(sessionName(session), { op: 'getData', args: { path } });
    const reply = await request(session, OpCode.getData, requests.getData(path));
    if (history === undefined || op === undefined) return reply;
    if (reply.err !== 0) history.complete(op, failure(reply.err, reply.zxid));
    else {
      const decoded = decodeRecord(reply.body, R.GetDataResponse.read, true);
      history.complete(op, decoded.ok ? { code: 'OK', data: decoder.decode(decoded.value.data), version: decoded.value.stat.version, ...headerZxid(reply.zxid), ...statFields(decoded.value.stat) } : 'info');
    }
    return reply;
  }

  /** Reads everything back from every running member (after a sync) and checks the history; see the file comment. */
  async verify(timeoutMs = 20_000): Promise<VerifyReport> {
    const violations: string[] = [];
    this.lostSetData = 0;
    this.lostCreates.clear();
    const finals = new Map<number, MemberState>();
    const membersChecked: number[] = [];
    const deadline = Date.now() + timeoutMs;
    for (const id of this.ensemble.ids) {
      if (!this.ensemble.isRunning(id)) continue;
      membersChecked.push(id);
      finals.set(id, await this.readMember(id, deadline, timeoutMs, violations));
    }
    if (membersChecked.length === 0) throw new Error('verify: no member is running');
    const reference = finals.get(membersChecked[0]!)!.registers;
    this.checkAgreement(membersChecked, finals, violations);
    this.checkAcknowledgedWrites(reference, violations);
    const readsByMember = this.checkReads(reference, violations);
    return {
      violations: violations.slice(0, 50),
      membersChecked,
      registers: this.registers,
      ackedSetData: this.acked.reduce((sum, a) => sum + a.length, 0),
      indeterminateSetData: this.indeterminate,
      ackedCreates: this.ackedCreates.size,
      reads: this.reads.length,
      readsByMember,
      lostAcknowledgedWrites: this.lostSetData + this.lostCreates.size,
    };
  }

  /**
   * Member `id`'s state after a sync: every register and the created znodes.
   * Its acknowledged creates missing or with the wrong data, and its znodes
   * never sent, are violations of 2.
   */
  private async readMember(id: number, deadline: number, timeoutMs: number, violations: string[]): Promise<MemberState> {
    let session: WireSession | undefined;
    let requestedAt = 0;
    while (session === undefined) {
      if (Date.now() > deadline) throw new Error(`verify: member ${id} gave no session within ${timeoutMs} ms`);
      requestedAt = this.options.history?.now() ?? 0;
      session = await openSession(this.ensemble.member(id).clientPort);
      if (session === undefined) await sleep(100);
    }
    try {
      this.options.history?.connected(sessionName(session), requestedAt);
      const syncOp = this.options.history?.invoke(sessionName(session), { op: 'sync', args: { path: this.options.root } });
      const synced = await request(session, OpCode.sync, encodeRecord({ path: this.options.root }, R.SyncRequest.write));
      if (syncOp !== undefined) this.options.history?.complete(syncOp, synced.err === 0 ? { code: 'OK', ...headerZxid(synced.zxid) } : failure(synced.err, synced.zxid));
      if (synced.err !== 0) throw new Error(`verify: sync on member ${id} failed with ${synced.err}`);
      const registers = await this.readRegisters(session, id);
      const children = await this.readCreates(session, id, violations);
      return { registers, children };
    } finally {
      await session.close();
    }
  }

  /** Every register's (seq, version) on member `id`, all read at once. */
  private async readRegisters(session: WireSession, id: number): Promise<RegisterState[]> {
    const values: RegisterState[] = [];
    const replies = await Promise.all(Array.from({ length: this.registers }, (_, n) => this.recordedGetData(session, this.registerPath(n))));
    for (const [n, reply] of replies.entries()) {
      if (reply.err !== 0) throw new Error(`verify: getData k${n} on member ${id} failed with ${reply.err}`);
      const decoded = decodeRecord(reply.body, R.GetDataResponse.read, true);
      if (!decoded.ok) throw new Error(decoded.error);
      values.push({ seq: seqOf(decoder.decode(decoded.value.data)), version: decoded.value.stat.version });
    }
    return values;
  }

  /** The created znodes on member `id`; records each acknowledged create missing or wrong there, and each znode never sent. */
  private async readCreates(session: WireSession, id: number, violations: string[]): Promise<Set<string>> {
    const children = await request(session, OpCode.getChildren, encodeRecord({ path: `${this.options.root}/c`, watch: false }, R.GetChildrenRequest.write));
    if (children.err !== 0) throw new Error(`verify: getChildren on member ${id} failed with ${children.err}`);
    const decoded = decodeRecord(children.body, R.GetChildrenResponse.read, true);
    if (!decoded.ok) throw new Error(decoded.error);
    const names = new Set(decoded.value.children.map((c) => `${this.options.root}/c/${c}`));
    // In chunks: tens of thousands of getData pipelined at once on one session can cost it its connection (ZooKeeper 3.8).
    const createReads: (readonly [string, { err: number; body: Uint8Array }])[] = [];
    const acked = [...this.ackedCreates];
    for (let i = 0; i < acked.length; i += 500) {
      createReads.push(...(await Promise.all(acked.slice(i, i + 500).map(async (path) => [path, await this.recordedGetData(session, path)] as const))));
    }
    for (const [path, reply] of createReads) {
      if (reply.err !== 0) {
        // Only NoNode is a lost write; any other error leaves the create unjudged, which fails the check all the same.
        if (reply.err === ErrorCode.NONODE) this.lostCreates.add(path);
        violations.push(`member ${id}: acknowledged create ${path} is ${reply.err === ErrorCode.NONODE ? 'missing' : 'unreadable'} (error ${reply.err})`);
        continue;
      }
      const d = decodeRecord(reply.body, R.GetDataResponse.read, true);
      if (!d.ok || decoder.decode(d.value.data) !== path) violations.push(`member ${id}: ${path} has the wrong data`);
    }
    for (const name of names) if (!this.sentCreates.has(name)) violations.push(`member ${id}: ${name} exists but was never sent`);
    return names;
  }

  /** 1. Every member holds what the first one checked holds: each register's seq and version, and the set of created znodes. */
  private checkAgreement(membersChecked: readonly number[], finals: ReadonlyMap<number, MemberState>, violations: string[]): void {
    const first = membersChecked[0]!;
    const reference = finals.get(first)!;
    for (const id of membersChecked.slice(1)) {
      const state = finals.get(id)!;
      for (let n = 0; n < this.registers; n++) {
        const a = reference.registers[n]!;
        const b = state.registers[n]!;
        if (a.seq !== b.seq || a.version !== b.version) violations.push(`k${n}: member ${first} has seq ${a.seq} v${a.version}, member ${id} has seq ${b.seq} v${b.version}`);
      }
      const { children } = state;
      if (children.size !== reference.children.size || [...children].some((c) => !reference.children.has(c))) {
        violations.push(`member ${first} has ${reference.children.size} created znodes, member ${id} has ${children.size}, not the same set`);
      }
    }
  }

  /** 2 and 3. Each register's final state keeps its last acknowledged write and was sent; acknowledged versions grow with seq. */
  private checkAcknowledgedWrites(reference: readonly RegisterState[], violations: string[]): void {
    for (let n = 0; n < this.registers; n++) {
      const final = reference[n]!;
      const acked = this.acked[n]!;
      if (final.seq > this.sentSeq[n]!) violations.push(`k${n}: final seq ${final.seq} was never sent (last sent ${this.sentSeq[n]})`);
      const last = acked.at(-1);
      if (last !== undefined) {
        if (final.seq < last.seq) this.lostSetData++;
        if (final.seq < last.seq) violations.push(`k${n}: acknowledged seq ${last.seq} (v${last.version}) lost; final is seq ${final.seq} v${final.version}`);
        if (final.version < last.version) violations.push(`k${n}: final version ${final.version} is older than acknowledged v${last.version}`);
        if (final.seq === last.seq && final.version !== last.version) violations.push(`k${n}: seq ${last.seq} acknowledged as v${last.version} but final says v${final.version}`);
      }
      for (let i = 1; i < acked.length; i++) {
        if (acked[i]!.version <= acked[i - 1]!.version) violations.push(`k${n}: seq ${acked[i]!.seq} acknowledged as v${acked[i]!.version}, not after seq ${acked[i - 1]!.seq} v${acked[i - 1]!.version}`);
      }
    }
  }

  /** 4. No read saw a write that was later lost; returns how many reads each member served. */
  private checkReads(reference: readonly RegisterState[], violations: string[]): Record<number, number> {
    const readsByMember: Record<number, number> = {};
    for (const read of this.reads) {
      readsByMember[read.member] = (readsByMember[read.member] ?? 0) + 1;
      const final = reference[read.register]!;
      const where = `read of k${read.register} seq ${read.seq} v${read.version} from member ${read.member}`;
      if (final.seq < read.seq || final.version < read.version) violations.push(`${where}: newer than the final state (seq ${final.seq} v${final.version}), so it was lost`);
      else if (final.version === read.version && final.seq !== read.seq) violations.push(`${where}: final state has the same version with seq ${final.seq}`);
      for (const a of this.acked[read.register]!) {
        const consistent = a.seq === read.seq ? a.version === read.version : a.seq < read.seq ? a.version < read.version : a.version > read.version;
        if (!consistent) {
          violations.push(`${where}: inconsistent with acknowledged seq ${a.seq} v${a.version}`);
          break;
        }
      }
    }
    return readsByMember;
  }
}

/** An OK create2's completion: the path, and the Stat it returned when it decodes (else the path alone, as create's). */
function created(path: string, reply: { body: Uint8Array; zxid?: bigint }): HistoryResult {
  const decoded = decodeRecord(reply.body, R.Create2Response.read, true);
  return decoded.ok ? { code: 'OK', path: decoded.value.path, version: decoded.value.stat.version, ...headerZxid(reply.zxid), ...statFields(decoded.value.stat) } : { code: 'OK', path, ...headerZxid(reply.zxid) };
}

/** The seq of a register value `k<n>:<seq>`; 0 for the empty initial value. */
function seqOf(text: string): number {
  if (text === '') return 0;
  const colon = text.indexOf(':');
  const seq = Number(text.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(seq)) throw new Error(`a register holds ${JSON.stringify(text)}, not k<n>:<seq>`);
  return seq;
}
