// Session expiry as ZooKeeper's SessionTrackerImpl and ExpiryQueue do it: every
// session sits in a bucket keyed by its expiry time rounded up to the next
// multiple of tickTime, so one timer per tick expires a whole bucket and a
// touch (any packet from the client) moves the session to a later bucket.
// Sans-IO: the caller passes the time.

export type TrackedSession = {
  readonly sessionId: bigint;
  timeoutMs: number;
  expiresAtMs: number;
  /** Set once a closeSession is under way (SessionTracker.setSessionClosing): no more touches. */
  closing: boolean;
};

export class SessionTracker {
  private readonly sessions = new Map<bigint, TrackedSession>();
  private readonly buckets = new Map<number, Set<bigint>>();

  constructor(readonly expirationIntervalMs: number) {}

  /** ExpiryQueue.roundToNextInterval. */
  private roundToNextInterval(timeMs: number): number {
    return (Math.floor(timeMs / this.expirationIntervalMs) + 1) * this.expirationIntervalMs;
  }

  private place(session: TrackedSession, nowMs: number): void {
    const expiresAtMs = this.roundToNextInterval(nowMs + session.timeoutMs);
    if (expiresAtMs === session.expiresAtMs && this.buckets.get(expiresAtMs)?.has(session.sessionId)) return;
    this.buckets.get(session.expiresAtMs)?.delete(session.sessionId);
    if (this.buckets.get(session.expiresAtMs)?.size === 0) this.buckets.delete(session.expiresAtMs);
    session.expiresAtMs = expiresAtMs;
    let bucket = this.buckets.get(expiresAtMs);
    if (bucket === undefined) this.buckets.set(expiresAtMs, (bucket = new Set()));
    bucket.add(session.sessionId);
  }

  add(sessionId: bigint, timeoutMs: number, nowMs: number): TrackedSession {
    const session: TrackedSession = { sessionId, timeoutMs, expiresAtMs: 0, closing: false };
    this.sessions.set(sessionId, session);
    this.place(session, nowMs);
    return session;
  }

  /** A session this server now serves: tracked from now, or touched with its (renegotiated) timeout. */
  addOrTouch(sessionId: bigint, timeoutMs: number, nowMs: number): void {
    if (this.sessions.has(sessionId)) this.touch(sessionId, nowMs, timeoutMs);
    else this.add(sessionId, timeoutMs, nowMs);
  }

  get(sessionId: bigint): TrackedSession | undefined {
    return this.sessions.get(sessionId);
  }

  /** SessionTrackerImpl.touchSession: false when the session is gone or closing. */
  touch(sessionId: bigint, nowMs: number, timeoutMs?: number): boolean {
    const session = this.sessions.get(sessionId);
    if (session === undefined || session.closing) return false;
    if (timeoutMs !== undefined) session.timeoutMs = timeoutMs;
    this.place(session, nowMs);
    return true;
  }

  setClosing(sessionId: bigint): void {
    const session = this.sessions.get(sessionId);
    if (session !== undefined) session.closing = true;
  }

  remove(sessionId: bigint): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    this.sessions.delete(sessionId);
    const bucket = this.buckets.get(session.expiresAtMs);
    bucket?.delete(sessionId);
    if (bucket?.size === 0) this.buckets.delete(session.expiresAtMs);
  }

  /** Sessions whose bucket time has come, marked closing and removed from the buckets (ExpiryQueue.poll). */
  expire(nowMs: number): TrackedSession[] {
    const expired: TrackedSession[] = [];
    for (const [expiresAtMs, ids] of [...this.buckets]) {
      if (expiresAtMs > nowMs) continue;
      this.buckets.delete(expiresAtMs);
      for (const id of ids) {
        const session = this.sessions.get(id);
        if (session === undefined || session.closing) continue;
        session.closing = true;
        expired.push(session);
      }
    }
    return expired;
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): IterableIterator<TrackedSession> {
    return this.sessions.values();
  }
}

/**
 * A learner's record of its clients' activity (LearnerSessionTracker's
 * touchTable): the sessions touched since the last PING, each with its latest
 * timeout. The leader owns expiry; the learner only reports, and the leader
 * touches each reported session in its own tracker.
 */
export class SessionTouches {
  private touched = new Map<bigint, number>();

  touch(sessionId: bigint, timeoutMs: number): void {
    this.touched.set(sessionId, timeoutMs);
  }

  forget(sessionId: bigint): void {
    this.touched.delete(sessionId);
  }

  /** The touches since the last drain, in first-touch order, and a fresh table (LearnerSessionTracker.snapshot). */
  drain(): { sessionId: bigint; timeoutMs: number }[] {
    const touches = [...this.touched].map(([sessionId, timeoutMs]) => ({ sessionId, timeoutMs }));
    this.touched = new Map();
    return touches;
  }
}
