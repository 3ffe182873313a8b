// The chance that the run missed a state because two distinct states got the
// same fingerprint, as TLC prints it at the end of every run ("The
// probability of a fingerprint collision ... calculated (optimistic): val =
// ..."). With n distinct states and g generated, each of the g - n successors
// that hit the seen set could have hit it by accident: each of those lookups
// matches one of n fingerprints by chance with probability n / 2^64 when the
// fingerprints are uniform, so the expected number of missed states, and a
// bound on the chance of missing one, is n (g - n) / 2^64. It is optimistic
// because it assumes a uniform hash. TLC's second figure, "the estimated
// probability based on the actual fingerprints", is 1 / d for d the smallest
// distance between two fingerprints in the set (Broder's rule of thumb, in
// TLC's CheckFP: trouble is near when two fingerprints come close): it looks
// at the fingerprints the run actually produced, so a poorly mixing encoding
// shows there even when the calculated figure is tiny.

import { endianness } from 'node:os';
import { assert } from '../lib/assert.ts';

const FINGERPRINT_BITS = 64;

/** TLC's calculated (optimistic) collision probability for n distinct and g generated states. */
export function collisionProbability(distinct: number, generated: number, bits = FINGERPRINT_BITS): number {
  const revisits = Math.max(0, generated - distinct);
  return Math.min(1, (distinct * revisits) / 2 ** bits);
}

/** As TLC writes it: `1.3E-9`, or `0` when nothing was generated twice. */
export function formatProbability(p: number): string {
  if (p === 0) return '0';
  const [mantissa, exponent] = p.toExponential(1).split('e');
  return `${mantissa}E${Number(exponent)}`;
}

/**
 * The smallest distance between two of the fingerprints given as (hi, lo)
 * pairs (FingerprintSet.pairs()), or Infinity for fewer than two. The pairs
 * are copied as (lo, hi) so that a little-endian BigUint64Array reads each
 * as hi·2^32 + lo, sorted natively; the distances are computed from the
 * 32-bit halves as doubles (exact to 53 bits, plenty for an estimate).
 */
export function closestPairDistance(pairs: Uint32Array): number {
  assert(pairs.length % 2 === 0, 'fingerprints come as (hi, lo) pairs');
  assert(endianness() === 'LE', 'the sort reads the pairs as little-endian 64-bit words');
  const n = pairs.length / 2;
  if (n < 2) return Number.POSITIVE_INFINITY;
  const words = new Uint32Array(pairs.length);
  for (let i = 0; i < pairs.length; i += 2) {
    words[i] = pairs[i + 1]!;
    words[i + 1] = pairs[i]!;
  }
  new BigUint64Array(words.buffer).sort();
  let closest = Number.POSITIVE_INFINITY;
  for (let i = 2; i < words.length; i += 2) {
    const distance = (words[i + 1]! - words[i - 1]!) * 2 ** 32 + (words[i]! - words[i - 2]!);
    if (distance < closest) closest = distance;
  }
  return closest;
}

/** TLC's observed estimate: 1 / the closest pair's distance (0 for fewer than two fingerprints). */
export function observedCollisionProbability(closestDistance: number): number {
  return closestDistance === Number.POSITIVE_INFINITY ? 0 : Math.min(1, 1 / Math.max(1, closestDistance));
}
