// Bitstate hashing (Holzmann's supertrace, SPIN's -DBITSTATE): the seen set
// as a bit array in which a state sets k bits, chosen by k hash functions
// derived from its 64-bit fingerprint (a Bloom filter, Bloom 1970). A state
// costs k bits instead of 13 to 27 bytes, so a fixed memory holds far more
// states, at a price: a new state whose k bits happen to be set already is
// taken for seen and dropped with its successors. Nothing false is ever
// reported (a violation found is real); what is lost is coverage.
//
// The k positions are h1 + i·h2 (mod m) for i = 0..k-1, with h1 and h2 the
// fingerprint's two 32-bit halves and h2 forced odd (Kirsch and Mitzenmacher,
// "Less hashing, same performance", 2006): with m a power of two the k
// positions are distinct. m is the largest power of two of bits that fits in
// the bytes asked for, at most 2^32 bits (512 MB).
//
// Coverage is reported as SPIN does and then some: the hash factor m/n (SPIN
// prints it; above about 100 coverage is near complete), the fill ratio f
// (bits set / m), the probability f^k that the next new state would be
// omitted, and an estimate of the states omitted so far: the sum, over the
// new states found, of the probability f_i^k that each would have been
// omitted given the fill when it arrived (p_i / (1 - p_i) omitted per state
// stored, with p_i = f_i^k). That sum counts only states lost directly, not
// the states reachable only through them, so the coverage it implies,
// n / (n + omitted), is close to the truth while few are lost and too high
// once many are (hash factor below about 5); bitstate-set.test.ts and
// docs/model-checking.md compare it with exact counts.

import { assert } from '../lib/assert.ts';
import type { BitstateSummary } from './report-types.ts';

const BITS_LOG2_MIN = 6;
const BITS_LOG2_MAX = 32;
/** SPIN's default number of hash functions (-k3). */
export const BITSTATE_HASHES_DEFAULT = 3;

export class BitstateSet {
  private readonly words: Uint32Array;
  private readonly mask: number;
  readonly bits: number;
  private count = 0;
  private set = 0;
  private omitted = 0;

  constructor(
    bytes: number,
    readonly hashes = BITSTATE_HASHES_DEFAULT,
  ) {
    assert(Number.isInteger(bytes) && bytes >= 8, () => `bitstate bytes ${bytes} must be an integer >= 8`);
    assert(Number.isInteger(hashes) && hashes >= 1 && hashes <= 32, () => `hashes ${hashes} must be in 1..32`);
    const log2 = Math.min(BITS_LOG2_MAX, Math.max(BITS_LOG2_MIN, Math.floor(Math.log2(bytes * 8))));
    this.bits = 2 ** log2;
    this.mask = log2 === 32 ? 0xffffffff : this.bits - 1;
    this.words = new Uint32Array(this.bits / 32);
  }

  /** States taken for new so far. */
  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  /**
   * Sets the fingerprint's k bits. Returns a dense index (0, 1, 2, ...) when
   * at least one bit was clear (the state is new), -1 when all were set (seen,
   * or a collision: the state is omitted).
   */
  add(hi: number, lo: number): number {
    const words = this.words;
    const mask = this.mask;
    const h2 = hi | 1;
    const setBefore = this.set;
    for (let i = 0; i < this.hashes; i++) {
      const position = ((lo + Math.imul(i, h2)) & mask) >>> 0;
      const word = position >>> 5;
      const bit = 1 << (position & 31);
      const w = words[word]!;
      if ((w & bit) === 0) {
        words[word] = w | bit;
        this.set++;
      }
    }
    if (this.set === setBefore) return -1;
    // The fill before this state arrived gives the chance p that a new state then was taken for seen;
    // each state stored stands for 1 / (1 - p) new states met, p / (1 - p) of them omitted.
    const p = (setBefore / this.bits) ** this.hashes;
    this.omitted += p / (1 - p);
    return this.count++;
  }

  summary(): BitstateSummary {
    const fillRatio = this.set / this.bits;
    return {
      bytes: this.bytes,
      bits: this.bits,
      hashes: this.hashes,
      bitsSet: this.set,
      fillRatio,
      hashFactor: this.count === 0 ? Number.POSITIVE_INFINITY : this.bits / this.count,
      omissionProbability: fillRatio ** this.hashes,
      expectedOmitted: this.omitted,
      expectedCoverage: this.count === 0 ? 1 : this.count / (this.count + this.omitted),
    };
  }
}
