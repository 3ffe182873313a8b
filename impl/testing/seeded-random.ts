// mulberry32, the small seeded generator the impl's simulations and
// randomised stories share: a failing run prints its seed, and the same seed
// replays it exactly (Math.random cannot). The model checker has its own,
// xoshiro128** (model-check/random.ts), for its much longer walks; the
// storage snapshot schedule keeps a private copy, as production code does not
// import test support.

/** A uniform number in [0, 1) per call, determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
