// Stopping and resuming reading from client sockets (ServerCnxn.disableRecv /
// enableRecv, NIOServerCnxn's throttled flag). A connection stops taking
// requests for one of three reasons, each with its own wake-up:
//
// - 'pipeline': its session is being set up or revalidated, or its read
//   replies waiting in its FIFO pass ServerCore.replyBacklogBytesMax. These
//   change only when something is sent to that connection, so its `send`
//   re-checks (NIOServerCnxn in server.ts).
// - 'socket': what was written to it and not yet taken by its client passes
//   the same byte budget: a client that does not read its replies. The
//   socket's 'drain' re-checks.
// - 'global': the requests outstanding over all connections pass
//   globalOutstandingLimit (ZooKeeperServer.shouldThrottle). They fall as
//   persist batches complete, on any connection, so a 1 ms poll runs while
//   some connection waits for this.
//
// One slow-reader policy, two thresholds. The soft one, replyBacklogBytesMax
// (4 MiB), is this file's 'pipeline' and 'socket' reasons: a client that does
// not read its replies stops being read, so its own requests cannot make the
// server hold more than the backlog plus the replies of requests already
// taken (each at most jute.maxbuffer, impl/server/reply-size.ts). The hard one,
// writeBufferBytesMax in server.ts (64 MiB, and always above the soft one plus
// four of the largest replies), disconnects the client: only what the server
// sends unasked can reach it, the watch events other clients' writes fire for a
// connection that no longer reads, which pausing its reads cannot stop. Both
// are needed: the soft limit alone would let events grow without bound, the
// hard one alone would let one client's pipelined reads take 64 MiB (and its
// disconnection lose the session's replies, where a pause loses nothing). One
// gap: the soft limit counts read replies and bytes written, not the replies of
// writes still on their way to disk, so a client pipelining large-reply writes
// (multis of creates with long paths) that it does not read can reach the hard
// limit: 64 MiB is about 64 such multis at jute.maxbuffer.
//
// Bytes that arrived and were not handed out stay in the connection's
// FrameDecoder (onFrame returning false), so the stop takes effect between
// two frames of one chunk, not after the whole chunk, as ZooKeeper's
// NIOServerCnxn reads one frame at a time.

/** Why a connection is not being read. */
export type PauseReason = 'pipeline' | 'socket' | 'global';

/** A connection the global poll may wake. */
export interface Throttled {
  /** Re-checks its conditions; resumes reading or waits for another reason. */
  recheck(): void;
}

/** The 'global' waiters: polled every millisecond while there are any. */
export class RecvThrottle {
  private readonly paused = new Set<Throttled>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    readonly limit: number,
    private readonly outstandingRequests: () => number,
  ) {}

  /** Whether the outstanding requests over all connections are past globalOutstandingLimit. */
  get overLimit(): boolean {
    return this.outstandingRequests() > this.limit;
  }

  /** `cnxn` waits until the outstanding requests are back under the limit. */
  disableRecv(cnxn: Throttled): void {
    if (this.stopped) return;
    this.paused.add(cnxn);
    this.timer ??= setTimeout(this.enableRecvWhenUnderLimit, 1);
  }

  /** A closed connection is not woken. */
  forget(cnxn: Throttled): void {
    this.paused.delete(cnxn);
  }

  /** The server is closing: no more polls. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.paused.clear();
  }

  private readonly enableRecvWhenUnderLimit = (): void => {
    this.timer = undefined;
    if (this.overLimit) {
      this.timer = setTimeout(this.enableRecvWhenUnderLimit, 1);
      return;
    }
    const waiting = [...this.paused];
    this.paused.clear();
    // A recheck may pause it again, for this reason (re-added) or another.
    for (const cnxn of waiting) cnxn.recheck();
  };
}
