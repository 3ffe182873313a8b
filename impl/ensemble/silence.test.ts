// Silence counted in our own beats (silence.ts): a stall of ours costs a peer
// one beat, where wall-clock time charged it the whole stall (a leader that
// stalled for a second dropped learners that had answered every ping).

import { describe, expect, it } from 'vitest';
import { beatsIn, SilentBeats } from './silence.ts';

describe('SilentBeats', () => {
  it('counts the beats without a byte from the peer, and starts again at each one', () => {
    const silence = new SilentBeats(0);
    expect([silence.beat(0), silence.beat(0), silence.beat(0)]).toEqual([1, 2, 3]);
    expect(silence.beat(250)).toBe(0);
    expect(silence.beat(250)).toBe(1);
  });

  it('charges a stall of ours one beat however long it was: the limit is reached only by beats that ran', () => {
    const limit = beatsIn(1000, 100);
    expect(limit).toBe(10);
    const silence = new SilentBeats(0);
    // Our loop stalled for 3 s: the peer's answers are still unread when the late beat runs.
    expect(silence.beat(0)).toBe(1);
    expect(silence.beat(0) > limit).toBe(false);
    // Read after the beat: the next one sees them.
    expect(silence.beat(3050)).toBe(0);
    let beats = 0;
    for (let k = 0; k <= limit; k++) beats = silence.beat(3050);
    expect(beats).toBe(limit + 1);
  });
});
