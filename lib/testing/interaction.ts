// What the scenario harnesses of the ZAB reducers (spec/zab, impl/quorum/peer)
// share, as etcd-io/raft's interaction env gives its testdata files one
// vocabulary: FIFO channels between numbered servers (one per ordered pair, as
// TCP connections are), the `deliver` command over them, and the compact
// printing of sets and records. It knows nothing of any protocol; a harness
// decides what delivering a message means.

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
  for (const { from: source, to: target, messages } of channels.busy(filter)) {
    for (let n = messages.length; n > 0 && left > 0; n--, left--) {
      const message = channels.take(source, target);
      if (message === undefined) break;
      deliver(source, target, message);
      delivered++;
    }
  }
  return delivered;
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
 * its fields in declaration order; `formatValue` prints the protocol's own
 * values (zxids, transactions) and returns undefined for the rest.
 */
export function formatRecord(record: { readonly type: string }, formatValue: (value: unknown) => string | undefined): string {
  const fields = Object.entries(record).filter(([key]) => key !== 'type');
  const print = (value: unknown): string => {
    const own = formatValue(value);
    if (own !== undefined) return own;
    if (Array.isArray(value)) return formatList(value, print);
    if (value !== null && typeof value === 'object' && 'type' in value) return formatRecord(value as { type: string }, formatValue);
    return String(value);
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
