// A seeded pseudo-random generator for simulation (random walks) and tests:
// xoshiro128** (Blackman and Vigna, "Scrambled linear pseudorandom number
// generators", 2021), 128 bits of state in four int32s, seeded through
// splitmix32 so that nearby seeds give unrelated streams. Deterministic on
// every platform (only Math.imul and 32-bit shifts), so a seed printed by a
// failing run reproduces it exactly; Math.random cannot.

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
