// Seeded pseudo-random generators: a failing run prints its seed, and the
// same seed replays it exactly on every platform (only Math.imul and 32-bit
// shifts); Math.random cannot. Two generators, kept because recorded seeds
// name their streams (docs and tests quote them):
// - `Random`, xoshiro128** (Blackman and Vigna, "Scrambled linear
//   pseudorandom number generators", 2021): 128 bits of state seeded through
//   splitmix32 so that nearby seeds give unrelated streams; the model
//   checker's long random walks and the conformance generator use it.
// - `seededRandom`, mulberry32: 32 bits of state, enough for the server's
//   snapshot jitter and for the impl's simulations and randomised stories.

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    let x = seed | 0;
    const next = (): number => {
      // splitmix32 (a 32-bit variant of Steele, Lea and Flood's SplitMix).
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // xoshiro's state must not be all zero; splitmix32 output never is four zeros in a row,
    // but keep the guarantee explicit.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    let r = Math.imul(s1, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return r >>> 0;
  }

  /**
   * An integer in 0..bound-1 (1 <= bound <= 2^21) by multiply-high (Lemire):
   * floor(x * bound / 2^32) with x < 2^32, so the product stays below 2^53 and
   * is exact in a double. Each value's probability is off by at most 2^-32.
   */
  nextInt(bound: number): number {
    return Math.floor((this.nextUint32() * bound) / 4294967296);
  }

  /** A uniform double in [0, 1). */
  nextDouble(): number {
    return this.nextUint32() / 4294967296;
  }
}

/** mulberry32: a uniform number in [0, 1) per call, determined by `seed`. */
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
