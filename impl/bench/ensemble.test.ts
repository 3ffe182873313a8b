// The ensemble benchmark's bookkeeping: reading ZooKeeper's load_gen log into
// rates, and placing its section in docs/benchmarks.md without disturbing the
// others. (Running the benchmark itself takes minutes: `npm run bench -- ensemble`.)

import { describe, expect, it } from 'vitest';
import { parseLoadGenLog, placeSection } from './ensemble.ts';

const line = (time: string, what: string) => `2026-11-22 ${time}:4242(0x7f00):ZOO_INFO@main@263: ${what}`;
const cycle = (start: [string, string, string, string]) => [
  line(start[0], 'Creating children for path /lg'),
  line(start[1], 'Starting the write cycle for path /lg'),
  line(start[2], 'Starting the read cycle for path /lg'),
  line(start[3], 'Starting the delete cycle for path /lg'),
];

describe('parseLoadGenLog', () => {
  it('turns phase start times into rates, skipping the warm-up cycle and counting only finished phases', () => {
    const log = [
      line('07:00:00,000', 'Checking server connection...'),
      ...cycle(['07:00:00,000', '07:00:05,000', '07:00:09,000', '07:00:10,000']), // warm-up: slow
      ...cycle(['07:00:12,000', '07:00:13,000', '07:00:15,000', '07:00:15,500']),
      ...cycle(['07:00:16,000', '07:00:17,000', '07:00:19,000', '07:00:19,500']),
      line('07:00:20,000', 'Creating children for path /lg'), // killed during this create phase
      '2026-11-22 07:00:20,100:4242(0x7f00):ZOO_ERROR@create_completion@85: Failed to create a node rc=-110',
    ].join('\n');
    const rates = parseLoadGenLog(log, 3000);
    expect(rates).toEqual({ cycles: 2, createPerSecond: 3000, setDataPerSecond: 1500, getDataPerSecond: 6000, deletePerSecond: 6000, errors: 1 });
  });

  it('keeps the only cycle when no later one finished, and reports NaN for phases never finished', () => {
    const log = [...cycle(['07:00:00,000', '07:00:02,000', '07:00:03,000', '07:00:03,250']), line('07:00:04,250', 'Creating children for path /lg')].join('\n');
    expect(parseLoadGenLog(log, 1000)).toEqual({ cycles: 1, createPerSecond: 500, setDataPerSecond: 1000, getDataPerSecond: 4000, deletePerSecond: 1000, errors: 0 });
    expect(parseLoadGenLog(line('07:00:00,000', 'Creating children for path /lg'), 1000).createPerSecond).toBeNaN();
  });
});

describe('placeSection', () => {
  const doc = ['# Benchmarks', '', '## Server: standalone', '', 'standalone rows', '', '## Model checker: paxos', '', 'paxos rows', ''].join('\n');

  it('inserts a new section right after the anchor section, before the next one', () => {
    const placed = placeSection(doc, '## Server: 3-node ensemble', '## Server: 3-node ensemble\n\nensemble rows\n', '## Server: standalone');
    expect(placed).toBe(['# Benchmarks', '', '## Server: standalone', '', 'standalone rows', '', '## Server: 3-node ensemble', '', 'ensemble rows', '', '## Model checker: paxos', '', 'paxos rows', ''].join('\n'));
  });

  it('replaces an existing section in place and leaves the others as they were', () => {
    const once = placeSection(doc, '## Server: 3-node ensemble', '## Server: 3-node ensemble\n\nold\n', '## Server: standalone');
    const twice = placeSection(once, '## Server: 3-node ensemble', '## Server: 3-node ensemble\n\nnew\n', '## Server: standalone');
    expect(twice).toBe(once.replace('\nold\n', '\nnew\n'));
  });

  it('appends when the anchor is missing', () => {
    expect(placeSection('# Benchmarks\n', '## X', '## X\n\nrows\n', '## Nowhere')).toBe('# Benchmarks\n\n## X\n\nrows\n');
  });
});
