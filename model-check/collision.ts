// The chance that the run missed a state because two distinct states got the
// same fingerprint, as TLC prints it at the end of every run ("The
// probability of a fingerprint collision ... calculated (optimistic): val =
// ..."). With n distinct states and g generated, each of the g - n successors
// that hit the seen set could have hit it by accident: each of those lookups
// matches one of n fingerprints by chance with probability n / 2^64 when the
// fingerprints are uniform, so the expected number of missed states, and a
// bound on the chance of missing one, is n (g - n) / 2^64. It is optimistic
// because it assumes a uniform hash; TLC's "observed" estimate (from the
// closest pair of fingerprints in the set) is not computed here.

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
