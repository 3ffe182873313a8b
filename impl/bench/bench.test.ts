// The benchmark's own parts: the load generator against an in-process server
// (every reply accounted for, latencies ordered, the closed loop bounded by
// the outstanding limit), and the docs section replacement that --record uses.

import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { startServer, type ZooKeeperServer } from '../server/server.ts';
import { runLoad } from './load.ts';
import { replaceSection } from './main.ts';
import { requests, WireSession } from '../testing/wire-client.ts';

const servers: ZooKeeperServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('the load generator', () => {
  it('keeps at most the given number of requests outstanding per session and measures every reply', async () => {
    const server = await startServer({ port: 0, log: () => {} });
    servers.push(server);
    const setup = await WireSession.open(server.port);
    await new Promise<void>((resolve, reject) => setup.send(OpCode.create, requests.create('/x', new Uint8Array(100)), (err) => (err === 0 ? resolve() : reject(new Error(`create: ${err}`)))));
    await setup.close();

    let maxOutstandingSeen = 0;
    const result = await runLoad(
      server.port,
      {
        name: 'get',
        next: () => {
          maxOutstandingSeen = Math.max(maxOutstandingSeen, server.core.stats().outstandingRequests);
          return { type: OpCode.getData, body: requests.getData('/x') };
        },
      },
      { sessions: 2, outstandingPerSession: 4, durationMs: 300 },
    );
    expect(result.errors).toBe(0);
    expect(result.ops).toBeGreaterThan(100);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    expect(maxOutstandingSeen).toBeLessThanOrEqual(2 * 4);
  });

  it('counts error replies (NONODE) without stopping', async () => {
    const server = await startServer({ port: 0, log: () => {} });
    servers.push(server);
    const result = await runLoad(server.port, { name: 'missing', next: () => ({ type: OpCode.getData, body: requests.getData('/missing') }) }, { sessions: 1, outstandingPerSession: 2, durationMs: 100 });
    expect(result.errors).toBe(result.ops);
    expect(result.firstError).toBe(-101);
  });
});

describe('--record replaces only its own section of docs/benchmarks.md', () => {
  const others = '# Benchmarks\n\n## Model checker\n\nnumbers\n';
  it('appends the section when it is absent', () => {
    expect(replaceSection(others, '## Server: standalone', '## Server: standalone\n\nA\n')).toBe(`${others}\n## Server: standalone\n\nA\n`);
  });
  it('replaces it in place, keeping the sections before and after', () => {
    const doc = '# Benchmarks\n\n## Server: standalone\n\nold\n\n## Model checker\n\nnumbers\n';
    expect(replaceSection(doc, '## Server: standalone', '## Server: standalone\n\nnew\n')).toBe('# Benchmarks\n\n## Server: standalone\n\nnew\n\n## Model checker\n\nnumbers\n');
  });
});
