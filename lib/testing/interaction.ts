// What the scenario harnesses of the protocol reducers (spec/zab, spec/raft,
// impl/quorum/peer) share, as etcd-io/raft's interaction env gives its
// testdata files one vocabulary: servers stepped one event at a time with
// every effect printed and the changed fields shown (ScenarioHarness); for the
// ZAB reducers, FIFO channels between servers (one per ordered pair, as TCP
// connections are), a queue of writes per server that `fsync` completes, and
// the commands over those (ReducerHarness); and the compact printing of sets,
// records and state lines. It knows nothing of any protocol: a harness says
// how its reducer steps, prints and carries effects out.

import { isUnchanged, type Transition } from '../transition.ts';
import type { TestCase } from './datadriven.ts';

/** FIFO channels between numbered servers: one queue per ordered pair (from, to). */
export class Channels<M> {
  private readonly queues = new Map<number, M[]>();

  constructor(private readonly servers: number) {}

  push(from: number, to: number, message: M): void {
    const key = this.key(from, to);
    const queue = this.queues.get(key);
    if (queue === undefined) this.queues.set(key, [message]);
    else queue.push(message);
  }

  /** Takes the oldest message from `from` to `to`, if any. */
  take(from: number, to: number): M | undefined {
    return this.queues.get(this.key(from, to))?.shift();
  }

  /** Empties every channel to or from `id` (its connections broke), or only those between `id` and `peer`. */
  clear(id: number, peer?: number): void {
    for (let other = 0; other < this.servers; other++) {
      if (peer !== undefined && other !== peer) continue;
      this.queues.delete(this.key(id, other));
      this.queues.delete(this.key(other, id));
    }
  }

  /** The non-empty channels in (from, to) order, optionally only those from or to a server, with their messages. */
  busy(filter: { readonly from?: number; readonly to?: number } = {}): { from: number; to: number; messages: readonly M[] }[] {
    const out: { from: number; to: number; messages: readonly M[] }[] = [];
    for (let from = 0; from < this.servers; from++) {
      if (filter.from !== undefined && filter.from !== from) continue;
      for (let to = 0; to < this.servers; to++) {
        if (filter.to !== undefined && filter.to !== to) continue;
        const queue = this.queues.get(this.key(from, to));
        if (queue !== undefined && queue.length > 0) out.push({ from, to, messages: queue });
      }
    }
    return out;
  }

  private key(from: number, to: number): number {
    return from * this.servers + to;
  }
}

/**
 * `deliver [from=i] [to=j] [count=n]`: delivers, channel by channel in (from,
 * to) order, the messages in flight when the command starts (at most n),
 * leaving those their delivery sends for a later command. Returns how many.
 */
export function deliverCommand<M>(tc: TestCase, channels: Channels<M>, deliver: (from: number, to: number, message: M) => void): number {
  const from = tc.has('from') ? tc.int('from') : undefined;
  const to = tc.has('to') ? tc.int('to') : undefined;
  let left = tc.int('count', Number.MAX_SAFE_INTEGER);
  let delivered = 0;
  const filter = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
  // How many each channel holds now: what the deliveries send goes to a later command.
  const inFlight = channels.busy(filter).map(({ from: source, to: target, messages }) => ({ source, target, count: messages.length }));
  for (const { source, target, count } of inFlight) {
    for (let n = count; n > 0 && left > 0; n--, left--) {
      const message = channels.take(source, target);
      if (message === undefined) break;
      deliver(source, target, message);
      delivered++;
    }
  }
  return delivered;
}

/**
 * The notation both ZAB harnesses use for a logged transaction,
 * `epoch.counter:value` (1.2:7: the second proposal of epoch 1, carrying 7).
 */
export function parseTxnNotation(tc: TestCase, text: string): { epoch: number; counter: number; value: number } {
  const match = /^(\d+)\.(\d+):(\d+)$/.exec(text);
  if (match === null) throw tc.error(`txn ${text} is not epoch.counter:value`);
  return { epoch: Number(match[1]), counter: Number(match[2]), value: Number(match[3]) };
}

/** A set of server ids kept as a bitmask, printed as {0,2}. */
export function formatSet(mask: number): string {
  const ids: number[] = [];
  for (let id = 0; mask >> id !== 0; id++) if ((mask & (1 << id)) !== 0) ids.push(id);
  return `{${ids.join(',')}}`;
}

/** A list printed as [a b c]. */
export function formatList<T>(items: readonly T[], format: (item: T) => string): string {
  return `[${items.map(format).join(' ')}]`;
}

/**
 * A record such as a message or an effect printed as `TYPE key=value ...`,
 * its fields in declaration order (a nested object without a type as
 * `{key=value ...}`); `formatValue` prints the protocol's own values (zxids,
 * transactions) and returns undefined for the rest.
 */
export function formatRecord(record: { readonly type: string }, formatValue: (value: unknown) => string | undefined): string {
  const fields = Object.entries(record).filter(([key]) => key !== 'type');
  const print = (value: unknown): string => {
    const own = formatValue(value);
    if (own !== undefined) return own;
    if (Array.isArray(value)) return formatList(value, print);
    if (value === null || typeof value !== 'object') return String(value);
    if ('type' in value) return formatRecord(value as { type: string }, formatValue);
    return `{${Object.entries(value).map(([key, inner]) => `${key}=${print(inner)}`).join(' ')}}`;
  };
  return [record.type, ...fields.map(([key, value]) => `${key}=${print(value)}`)].join(' ');
}

/**
 * One field of a server's state line: `key=value`, or the value alone when
 * `bare` (a role, a phase). A field that is not `shown` (its value is the
 * default: an empty set, no leader) is left out of a full line, but still
 * printed in a line of changes when it becomes the default again.
 */
export interface Field {
  readonly key: string;
  readonly value: string;
  readonly shown: boolean;
  readonly bare: boolean;
}

export function field(key: string, value: string | number | boolean, shown = true): Field {
  return { key, value: String(value), shown, bare: false };
}

export function bareField(key: string, value: string): Field {
  return { key, value, shown: true, bare: true };
}

const formatField = (f: Field) => (f.bare ? f.value : `${f.key}=${f.value}`);

/** The full line: every shown field. */
export function formatFields(fields: readonly Field[]): string {
  return fields
    .filter((f) => f.shown)
    .map(formatField)
    .join(' ');
}

/**
 * What changed from `before` to `after`, as the checker prints a step (only
 * the changed fields); the full line of `after` when the two do not have the
 * same fields (the role changed).
 */
export function formatChanges(before: readonly Field[], after: readonly Field[]): string {
  if (before.length !== after.length || before.some((f, i) => f.key !== after[i]!.key)) return formatFields(after);
  return after
    .filter((f, i) => f.value !== before[i]!.value)
    .map(formatField)
    .join(' ');
}

/** An output being built: lines, with nested steps indented. */
export class Transcript {
  private readonly lines: string[] = [];

  line(text: string, depth = 0): void {
    this.lines.push(`${'  '.repeat(depth)}${text}`);
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

/** What a harness needs to know of a protocol's reducer and values. */
export interface ReducerProtocol<N, E, F> {
  step(node: N, event: E): Transition<N, F>;
  /** A server's state line (formatFields, formatChanges). */
  fields(node: N): Field[];
  /** The protocol's own values inside events, messages and effects (zxids, transactions); undefined for the rest. */
  formatValue(value: unknown): string | undefined;
}

/** A protocol whose messages travel on FIFO channels: how a delivered message becomes an event. */
export interface HarnessProtocol<N, E, F, M> extends ReducerProtocol<N, E, F> {
  receive(from: number, message: M): E;
}

/**
 * A scenario harness over numbered servers, each a reducer's state. A step
 * prints the event, its effects one per line (`send sT MESSAGE` for an effect
 * with `to` and `message`), and `=> sN` with the fields it changed, or
 * `unchanged` when the reducer declined the event. Subclasses give the
 * commands and what an effect does to the world.
 */
export abstract class ScenarioHarness<N, E extends { readonly type: string }, F extends { readonly type: string }> {
  protected nodes: (N | null)[] = [];
  protected out = new Transcript();

  constructor(protected readonly protocol: ReducerProtocol<N, E, F>) {}

  /** Runs one command of a scenario file and returns its output (a Handler, bound to this harness). */
  readonly handle = (tc: TestCase): string => {
    this.out = new Transcript();
    if (!this.command(tc)) throw tc.error('unknown command');
    return this.out.toString();
  };

  /** Runs `tc`; false when it is no command of this harness. */
  protected abstract command(tc: TestCase): boolean;

  /** Carries out one effect of server `id`'s step, in order. */
  protected carryOut(_id: number, _effect: F): void {}

  /** Server `id`'s step went from `before` to `after` and its effects are carried out. */
  protected afterStep(_id: number, _before: N, _after: N): void {}

  /** A record (event, message, effect, queued write) as the harness prints it. */
  protected format(record: { readonly type: string }): string {
    const formatValue = this.protocol.formatValue;
    if ('to' in record && 'message' in record && typeof record.to === 'number') {
      return `${record.type} s${record.to} ${formatRecord(record.message as { type: string }, formatValue)}`;
    }
    return formatRecord(record, formatValue);
  }

  protected ids(tc: TestCase): number[] {
    return tc.positionals().map((id) => {
      const n = Number(id);
      if (!Number.isInteger(n) || n < 0 || n >= this.nodes.length) throw tc.error(`no server ${id}`);
      return n;
    });
  }

  protected node(id: number): N {
    const node = this.nodes[id];
    if (node === undefined || node === null) throw new Error(`s${id} is not running`);
    return node;
  }

  protected describe(id: number): string {
    return `s${id} ${formatFields(this.protocol.fields(this.node(id)))}`;
  }

  /** Steps server `id`, prints the event (or `header`), its effects and what changed, and carries the effects out. Returns the effects. */
  protected apply(id: number, event: E, header = `s${id} ${this.format(event)}`): readonly F[] {
    const before = this.node(id);
    const transition = this.protocol.step(before, event);
    const { state, effects } = transition;
    this.out.line(header);
    if (isUnchanged(before, transition)) {
      this.out.line('unchanged', 1);
      return effects;
    }
    for (const effect of effects) this.out.line(this.format(effect), 1);
    this.nodes[id] = state;
    const changes = formatChanges(this.protocol.fields(before), this.protocol.fields(state));
    if (changes !== '') this.out.line(`=> s${id} ${changes}`, 1);
    for (const effect of effects) this.carryOut(id, effect);
    this.afterStep(id, before, state);
    return effects;
  }
}

/**
 * A scenario harness for a reducer whose servers talk over FIFO channels and
 * write through a queue. Subclasses give the protocol (HarnessProtocol), what
 * an effect and an fsync do, and what the commands every replicated log's story
 * needs mean for it:
 *   cluster ...                      fresh servers (the arguments are the harness's)
 *   disk <id>... ...                 what a server has on disk (the arguments are the harness's)
 *   elect <leader> [learners=(..)]   an election decides (the learners default to every other server)
 *   request <leader> value=V         a client's write at the leader
 *   crash <id>...                    memory and queue lost, channels emptied, the disk kept
 * The commands whose meaning is the same for every protocol are:
 *   deliver [from=] [to=] [count=]   the messages in flight, channel by channel
 *   fsync <id>...                    complete the server's queued writes
 *   stabilize [quiet]                fsync and deliver until nothing is queued or in flight
 *                                    (quiet: print only each running server's line at the end)
 *   disconnect <a> <b>               the channels between a and b empty; then what each
 *                                    server hears of it (connectionLost)
 *   status [<id>...]                 each server's line, its disk and queue, and the messages in flight
 * A delivery prints as `sF->sT MESSAGE`.
 */
export abstract class ReducerHarness<N, E extends { readonly type: string }, F extends { readonly type: string }, M extends { readonly type: string }> extends ScenarioHarness<
  N,
  E,
  F
> {
  protected channels = new Channels<M>(0);

  constructor(private readonly messaging: HarnessProtocol<N, E, F, M>) {
    super(messaging);
  }

  /** Commands of the harness's own beyond the shared ones; false when `tc` is not one of them. */
  protected ownCommand(_tc: TestCase): boolean {
    return false;
  }
  protected abstract cluster(tc: TestCase): void;
  protected abstract setDisk(tc: TestCase, id: number): void;
  protected abstract elect(tc: TestCase, leader: number): void;
  /** The event of a client's write carrying `value`. */
  protected abstract clientRequest(value: number): E;
  /** What a crash loses besides memory and channels (the queue), and what it prints. */
  protected abstract crashed(id: number): void;
  /** The connection between a and b broke (its channels are empty already): step each as it hears of it. */
  protected abstract connectionLost(a: number, b: number): void;
  protected abstract hasQueued(id: number): boolean;
  /** Completes server `id`'s queued writes (the DiskSync), printing what reached the disk. */
  protected abstract fsync(id: number): void;
  /** The lines `status` prints under a server's own: its disk and queue. */
  protected abstract describeStorage(id: number): string[];

  /** Puts a message in flight, unless its receiver is down (TCP drops it with the connection). */
  protected send(from: number, to: number, message: M): void {
    if (this.nodes[to] !== null) this.channels.push(from, to, message);
  }

  private deliver(from: number, to: number, message: M): void {
    this.apply(to, this.messaging.receive(from, message), `s${from}->s${to} ${this.format(message)}`);
  }

  protected command(tc: TestCase): boolean {
    if (this.ownCommand(tc)) return true;
    switch (tc.command) {
      case 'cluster':
        this.cluster(tc);
        return true;
      case 'disk':
        for (const id of this.ids(tc)) this.setDisk(tc, id);
        return true;
      case 'elect': {
        const [leader] = this.ids(tc);
        if (leader === undefined) throw tc.error('names the leader');
        this.elect(tc, leader);
        return true;
      }
      case 'request':
        for (const id of this.ids(tc)) this.apply(id, this.clientRequest(tc.int('value')));
        return true;
      case 'crash':
        for (const id of this.ids(tc)) {
          this.nodes[id] = null;
          this.channels.clear(id);
          this.crashed(id);
        }
        return true;
      case 'deliver':
        deliverCommand(tc, this.channels, (from, to, message) => this.deliver(from, to, message));
        return true;
      case 'disconnect': {
        const [a, b] = this.ids(tc);
        if (a === undefined || b === undefined) throw tc.error('names two servers');
        this.channels.clear(a, b);
        this.connectionLost(a, b);
        return true;
      }
      case 'fsync':
        for (const id of this.ids(tc)) this.fsync(id);
        return true;
      case 'stabilize':
        this.stabilize(tc.has('quiet'));
        return true;
      case 'status':
        this.status(tc);
        return true;
      default:
        return false;
    }
  }

  private status(tc: TestCase): void {
    const ids = tc.positionals().length > 0 ? this.ids(tc) : this.nodes.map((_, id) => id);
    for (const id of ids) {
      this.out.line(this.nodes[id] === null ? `s${id} not running` : this.describe(id));
      for (const line of this.describeStorage(id)) this.out.line(line, 1);
    }
    for (const { from, to, messages } of this.channels.busy()) this.out.line(`s${from}->s${to} ${formatList(messages, (m) => `(${this.format(m)})`)}`);
  }

  private stabilize(quiet: boolean): void {
    const out = this.out;
    if (quiet) this.out = new Transcript();
    for (let round = 0; ; round++) {
      if (round === 1000) throw new Error('stabilize: still busy after 1000 rounds');
      const queued = this.nodes.flatMap((node, id) => (node !== null && this.hasQueued(id) ? [id] : []));
      for (const id of queued) this.fsync(id);
      const busy = this.channels.busy().map(({ from, to, messages }) => ({ from, to, count: messages.length }));
      for (const { from, to, count } of busy) {
        for (let n = count; n > 0; n--) this.deliver(from, to, this.channels.take(from, to)!);
      }
      if (queued.length === 0 && busy.length === 0) break;
    }
    this.out = out;
    if (quiet) this.nodes.forEach((node, id) => node !== null && out.line(this.describe(id)));
  }
}
