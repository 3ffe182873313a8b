// A real history: clients of node-zookeeper-client (the package the
// compatibility tests use) run a short seeded workload against our standalone
// server process, the history is recorded as they go, written as JSON and
// checked offline by the command (`npm run lincheck -- FILE`), in process.
// Concurrent conditional writes, stale-prone reads, sequential creates,
// multis (node-zookeeper-client has no sync: the planted tests cover it); bounded by a count of operations and a timeout.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/random.ts';
import { call, connectClient, type ZkClient } from '../testing/zk-client.ts';
import { startChild, zookeeper } from '../standalone/test-support.ts';
import { processFixture } from '../standalone/fixture.ts';
import type { OpResult } from './history.ts';
import { lincheck } from './lincheck.ts';
import { HistoryRecorder, type CallInput } from './recorder.ts';

const fixture = processFixture();

const codes = new Map<number, OpResult['code']>([
  [zookeeper.Exception.NO_NODE, 'NoNode'],
  [zookeeper.Exception.NODE_EXISTS, 'NodeExists'],
  [zookeeper.Exception.BAD_VERSION, 'BadVersion'],
  [zookeeper.Exception.NOT_EMPTY, 'NotEmpty'],
]);

/** A reply error as a result: one of the data model's codes, or indeterminate (connection lost, timed out, ...). */
function failed(error: unknown): OpResult | 'info' {
  const code = typeof (error as { getCode?: () => number }).getCode === 'function' ? (error as { getCode: () => number }).getCode() : undefined;
  const named = code === undefined ? undefined : codes.get(code);
  return named === undefined ? 'info' : { code: named };
}

type Stat = { version: number };

/** Runs one call through the client and the recorder. */
async function perform(client: ZkClient, session: string, recorder: HistoryRecorder, input: CallInput): Promise<void> {
  const id = recorder.invoke(session, input);
  try {
    recorder.complete(id, await request(client, input));
  } catch (error) {
    recorder.complete(id, failed(error));
  }
}

async function request(client: ZkClient, input: CallInput): Promise<OpResult> {
  const { op, args } = input;
  switch (op) {
    case 'getData': {
      const [data, stat] = await call<[Buffer | undefined, Stat]>(client, 'getData', args.path);
      return { code: 'OK', data: data?.toString() ?? '', version: stat.version };
    }
    case 'exists': {
      const stat = await call<Stat | null>(client, 'exists', args.path);
      return stat === null ? { code: 'NoNode' } : { code: 'OK', version: stat.version };
    }
    case 'setData': {
      const stat = await call<Stat>(client, 'setData', args.path, Buffer.from(args.data!), args.version ?? -1);
      return { code: 'OK', version: stat.version };
    }
    case 'create': {
      const mode = args.sequential === true ? zookeeper.CreateMode.PERSISTENT_SEQUENTIAL : zookeeper.CreateMode.PERSISTENT;
      const path = await call<string>(client, 'create', args.path, Buffer.from(args.data!), mode);
      return { code: 'OK', path };
    }
    case 'delete':
      await call(client, 'remove', args.path, args.version ?? -1);
      return { code: 'OK' };
    case 'sync':
      throw new Error('node-zookeeper-client has no sync');
    case 'multi': {
      let transaction = client.transaction();
      for (const sub of args.ops ?? []) {
        if (sub.op === 'setData') transaction = transaction.setData(sub.args.path, Buffer.from(sub.args.data), sub.args.version);
        else if (sub.op === 'check') transaction = transaction.check(sub.args.path, sub.args.version);
        else if (sub.op === 'create') transaction = transaction.create(sub.args.path, Buffer.from(sub.args.data), zookeeper.CreateMode.PERSISTENT);
        else transaction = transaction.remove(sub.args.path, sub.args.version);
      }
      const results = await new Promise<{ stat?: Stat; path?: string; err?: number }[]>((resolve, reject) => transaction.commit((error: unknown, replies: never) => (error ? reject(Object.assign(error as object, { replies })) : resolve(replies))));
      return { code: 'OK', results: results.map((reply) => ({ ...(reply.path === undefined ? {} : { path: reply.path }), ...(reply.stat === undefined ? {} : { version: reply.stat.version }) })) };
    }
  }
}

/** One client's seeded stream of operations over registers /lin/k0..k2, /lin/q's sequential children and multis. */
function nextCall(random: () => number, versions: Map<string, number>, names: string[]): CallInput {
  const register = `/lin/k${Math.floor(random() * 3)}`;
  const data = `d${Math.floor(random() * 1000)}`;
  const seen = versions.get(register) ?? 0;
  const roll = random();
  if (roll < 0.3) return { op: 'getData', args: { path: register } };
  if (roll < 0.4) return { op: 'exists', args: { path: random() < 0.7 || names.length === 0 ? register : names[Math.floor(random() * names.length)]! } };
  if (roll < 0.6) return { op: 'setData', args: { path: register, data, version: random() < 0.5 ? -1 : seen } };
  if (roll < 0.7) return { op: 'create', args: { path: '/lin/q/n-', data, sequential: true } };
  if (roll < 0.75 && names.length > 0) return { op: 'delete', args: { path: names[Math.floor(random() * names.length)]!, version: -1 } };
  // node-zookeeper-client's Transaction sends version 0 as -1 (`version = version || -1`): the history
  // records what is sent. The checker found this, as a multi whose check of version 0 passed on version 1.
  const checked = versions.get('/lin/k1') ?? 0;
  return { op: 'multi', args: { ops: [{ op: 'setData', args: { path: '/lin/k0', data, version: -1 } }, { op: 'check', args: { path: '/lin/k1', version: checked === 0 ? -1 : checked } }] } };
}

describe('a recorded history of the standalone server', () => {
  it('passes the checker', async () => {
    const seed = 1207;
    const dir = fixture.dataDir([]);
    const server = await startChild(dir.configPath);
    const setup = await connectClient(server.port);
    for (const path of ['/lin', '/lin/q', '/lin/k0', '/lin/k1', '/lin/k2']) await call(setup, 'create', path, Buffer.from(''), zookeeper.CreateMode.PERSISTENT);
    setup.close();
    const started = performance.now();
    const recorder = new HistoryRecorder(() => performance.now() - started, Object.fromEntries(['/lin/k0', '/lin/k1', '/lin/k2'].map((path) => [path, { data: '', version: 0 }])));
    const names: string[] = [];
    const clients = await Promise.all(
      Array.from({ length: 4 }, async (_, c) => {
        const client = await connectClient(server.port);
        const session = client.getSessionId().toString('hex');
        recorder.connected(session);
        return { client, session, random: seededRandom(seed + c) };
      }),
    );
    try {
      await Promise.all(
        clients.map(async ({ client, session, random }) => {
          const versions = new Map<string, number>();
          for (let i = 0; i < 100; i++) {
            // Two requests in flight per session now and then: FIFO order is part of what is checked.
            const calls = random() < 0.3 ? [nextCall(random, versions, names), nextCall(random, versions, names)] : [nextCall(random, versions, names)];
            await Promise.all(calls.map((input) => perform(client, session, recorder, input)));
            for (const input of calls) if (input.op === 'getData' && random() < 0.5) versions.set(input.args.path!, (versions.get(input.args.path!) ?? 0) + 1);
          }
        }),
      );
    } finally {
      for (const { client } of clients) client.close();
    }
    const document = recorder.toJSON() as { events: { type: string; result?: OpResult | 'info' }[] };
    for (const event of document.events) if (event.type === 'complete' && typeof event.result === 'object' && event.result.path?.startsWith('/lin/q/') === true) names.push(event.result.path);
    const out = mkdtempSync(join(tmpdir(), 'lincheck-'));
    try {
      const file = join(out, 'history.json');
      writeFileSync(file, JSON.stringify(document));
      const lines: string[] = [];
      const code = await lincheck([file], { out: (text) => lines.push(text), err: (text) => lines.push(text) });
      expect(lines.join('\n'), `seed ${seed}`).toMatch(/^linearizable/m);
      expect(code).toBe(0);
      expect(recorder.size).toBeGreaterThanOrEqual(400);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
