// How long a peer has been silent, counted in beats of our own timer rather
// than in wall-clock time, as ZooKeeper counts syncLimit in ticks of the
// leader's own loop (Leader.lead advances self.tick each half tick, and
// LearnerHandler.synced compares a learner's ack deadline, in ticks, with it).
//
// Why: every packet a peer sends is read by our one event loop, after our
// timers in each turn. When our own process stalls (a long synchronous job,
// CPU starvation on a busy machine), wall-clock silence grows although the
// peer answered in time: its bytes are waiting unread. Judged in wall time,
// a leader that stalled for a second then dropped learners that had answered
// every ping, and lost its quorum (issue 15). A beat that runs late counts as
// one beat, so a stall of ours costs a peer at most one beat of its budget,
// and a peer is judged silent only after `limit` of our beats that ran
// without a byte from it, the reads between them included.

export class SilentBeats {
  private lastReceivedAtMs: number;
  private beats = 0;

  constructor(lastReceivedAtMs: number) {
    this.lastReceivedAtMs = lastReceivedAtMs;
  }

  /** Called once per beat with the time of the peer's last byte; the beats since it last sent something. */
  beat(lastReceivedAtMs: number): number {
    if (lastReceivedAtMs !== this.lastReceivedAtMs) {
      this.lastReceivedAtMs = lastReceivedAtMs;
      this.beats = 0;
    } else this.beats++;
    return this.beats;
  }
}

/** How many beats of `beatMs` make up `limitMs` (syncLimit or initLimit in ticks, as beats of half a tick). */
export function beatsIn(limitMs: number, beatMs: number): number {
  return Math.max(1, Math.ceil(limitMs / beatMs));
}
