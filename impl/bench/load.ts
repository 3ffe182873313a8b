// The load generator: N sessions, each keeping a bounded number of requests
// outstanding (a closed loop: a reply releases the next request), for a fixed
// time. Every request's latency is measured from the moment it is written to
// the socket to the moment its reply is decoded, with process.hrtime.bigint
// (monotonic, nanoseconds). The same generator drives both servers, in this
// process, which is separate from both servers' processes.

import { WireSession } from '../testing/wire-client.ts';

export type Operation = { readonly type: number; readonly body: Uint8Array };

export type Workload = {
  readonly name: string;
  /** The next request of session `session`; `seq` counts that session's requests from 0. */
  next(session: number, seq: number): Operation;
};

export type LoadResult = {
  readonly ops: number;
  readonly errors: number;
  readonly firstError: number | undefined;
  readonly elapsedMs: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The slowest request: where a pause of the server's event loop shows first. */
  readonly maxMs: number;
};

export type LoadShape = { readonly sessions: number; readonly outstandingPerSession: number; readonly durationMs: number };

/** Called when the measured window opens and closes (the ensemble bench samples CPU times there). */
export type LoadClock = { readonly started?: () => void; readonly ended?: () => void };

/**
 * Runs `workload` against 127.0.0.1 with the given shape; sessions are opened
 * before the clock starts, session s on `ports[s mod ports.length]` when given
 * several ports (an ensemble's members).
 */
export async function runLoad(port: number | readonly number[], workload: Workload, shape: LoadShape, clock: LoadClock = {}): Promise<LoadResult> {
  const ports = typeof port === 'number' ? [port] : port;
  const sessions = await Promise.all(Array.from({ length: shape.sessions }, (_, s) => WireSession.open(ports[s % ports.length]!)));
  clock.started?.();
  const latenciesNs: number[] = [];
  let errors = 0;
  let firstError: number | undefined;
  const startedNs = process.hrtime.bigint();
  const deadlineNs = startedNs + BigInt(shape.durationMs) * 1_000_000n;
  let endedNs = startedNs;

  await new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    let finished = false;
    const seqs = new Array<number>(shape.sessions).fill(0);
    const watchdog = setTimeout(() => {
      finished = true;
      reject(new Error(`load did not drain within ${shape.durationMs + 30_000} ms (${inFlight} requests unanswered)`));
    }, shape.durationMs + 30_000);
    const issue = (s: number) => {
      const op = workload.next(s, seqs[s]!++);
      const sentNs = process.hrtime.bigint();
      inFlight++;
      sessions[s]!.send(op.type, op.body, (err) => {
        const nowNs = process.hrtime.bigint();
        inFlight--;
        latenciesNs.push(Number(nowNs - sentNs));
        if (err !== 0) {
          errors++;
          firstError ??= err;
        }
        if (nowNs < deadlineNs && !finished) issue(s);
        else if (inFlight === 0 && !finished) {
          finished = true;
          endedNs = nowNs;
          clearTimeout(watchdog);
          clock.ended?.();
          resolve();
        }
      });
    };
    for (let s = 0; s < shape.sessions; s++) for (let i = 0; i < shape.outstandingPerSession; i++) issue(s);
  });
  await Promise.all(sessions.map((s) => s.close()));

  const elapsedMs = Number(endedNs - startedNs) / 1e6;
  const sorted = Float64Array.from(latenciesNs).sort();
  const percentile = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! / 1e6);
  return {
    ops: latenciesNs.length,
    errors,
    firstError,
    elapsedMs,
    opsPerSecond: latenciesNs.length / (elapsedMs / 1000),
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    maxMs: sorted.length === 0 ? 0 : sorted[sorted.length - 1]! / 1e6,
  };
}
