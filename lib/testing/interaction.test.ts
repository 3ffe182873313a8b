// The pieces the scenario harnesses share: channels, and the state lines that
// print only what changed.

import { describe, expect, it } from 'vitest';
import { runText } from './datadriven.ts';
import { bareField, Channels, deliverCommand, field, formatChanges, formatFields, formatRecord, formatSet } from './interaction.ts';

describe('lib/testing/interaction', () => {
  it('Channels keep one FIFO queue per ordered pair, list the busy ones in (from, to) order, and clear a server', () => {
    const channels = new Channels<string>(3);
    channels.push(2, 0, 'c');
    channels.push(0, 1, 'a1');
    channels.push(0, 1, 'a2');
    channels.push(1, 0, 'b');
    expect(channels.busy().map(({ from, to, messages }) => `${from}->${to} ${messages.join(',')}`)).toEqual(['0->1 a1,a2', '1->0 b', '2->0 c']);
    expect(channels.busy({ to: 0 }).map((c) => c.from)).toEqual([1, 2]);
    expect(channels.take(0, 1)).toBe('a1');
    channels.clear(0, 1);
    expect(channels.busy().map((c) => `${c.from}->${c.to}`)).toEqual(['2->0']);
    channels.clear(0);
    expect(channels.busy()).toEqual([]);
  });

  it('deliver takes the messages in flight when it starts, at most count of them', () => {
    const channels = new Channels<string>(2);
    channels.push(0, 1, 'x');
    channels.push(0, 1, 'y');
    const seen: string[] = [];
    runText('d.txt', 'deliver count=1\n----\n1\n\ndeliver\n----\n2\n', (tc) =>
      String(
        deliverCommand(tc, channels, (from, to, m) => {
          seen.push(m);
          channels.push(to, from, `re-${m}`);
        }),
      ),
    { rewrite: false });
    // The second command delivers y and re-x, which were in flight when it started, but not what their deliveries sent.
    expect(seen).toEqual(['x', 'y', 're-x']);
    expect(channels.busy().map((c) => c.messages)).toEqual([['re-re-x'], ['re-y']]);
  });

  it('a state line leaves defaults out; a line of changes shows what changed, defaults included', () => {
    const before = [bareField('role', 'FOLLOWING'), field('epoch', 1), field('sync', 'NONE', false)];
    const after = [bareField('role', 'FOLLOWING'), field('epoch', 2), field('sync', 'NONE', false)];
    expect(formatFields(before)).toBe('FOLLOWING epoch=1');
    expect(formatChanges(before, after)).toBe('epoch=2');
    expect(formatChanges(after, [bareField('role', 'FOLLOWING'), field('epoch', 2), field('sync', 'DIFF')])).toBe('sync=DIFF');
    // Another role has other fields: the whole line.
    expect(formatChanges(before, [bareField('role', 'LOOKING'), field('epoch', 2)])).toBe('LOOKING epoch=2');
  });

  it('records print as TYPE key=value, nested objects and lists included; sets as {ids}', () => {
    const record = { type: 'ACKEPOCH', epoch: 2, vote: { leader: 0 }, log: [1, 2] };
    expect(formatRecord(record, () => undefined)).toBe('ACKEPOCH epoch=2 vote={leader=0} log=[1 2]');
    expect(formatRecord(record, (v) => (v === 2 ? 'two' : undefined))).toBe('ACKEPOCH epoch=two vote={leader=0} log=[1 two]');
    expect(formatSet(0b1011)).toBe('{0,1,3}');
  });
});
