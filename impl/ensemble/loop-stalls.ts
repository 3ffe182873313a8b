// Event-loop stalls of a member, logged as they happen: a timer every
// `intervalMs` notes how late it ran, and a lateness above `thresholdMs` is
// logged as `event-loop-stall` with its length. A member's liveness rests on
// one event loop (the leader's pings, a learner's answers, syncLimit and
// initLimit are all timers and socket reads on it), so a stall longer than
// syncLimit is what makes peers judge a live member dead; the line says when
// it happened, so the log lines around it say what ran.

export class LoopStallWatch {
  private readonly timer: NodeJS.Timeout;
  private lastAtMs = performance.now();
  /** The longest stall seen so far, in ms. */
  longestMs = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly thresholdMs: number,
    private readonly report: (stalledMs: number) => void,
  ) {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const stalledMs = now - this.lastAtMs - this.intervalMs;
    this.lastAtMs = now;
    if (stalledMs > this.longestMs) this.longestMs = stalledMs;
    if (stalledMs > this.thresholdMs) this.report(Math.round(stalledMs));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
