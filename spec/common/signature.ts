// Helpers for a symmetry signature (model-check/model.ts, Symmetry.signature):
// a number per server that does not depend on ids, so that the checker need
// only encode a state under the permutations that sort the servers by it.
// A server's signature hashes its own fields and sums a hash of every message
// and set that mentions it, with the server's id taken out: a sum does not
// depend on the order of the messages, and taking the id out keeps the
// number the same when the server is renamed. Equal signatures only cost
// encodings (the checker then tries every order of the tied servers), so a
// weak hash is safe; a signature that depended on an id would not be.

/** A 32-bit mix of a non-negative integer below 2^53 (MurmurHash3's fmix32 over both halves). */
export function mix(value: number): number {
  let h = (value | 0) ^ Math.imul(Math.floor(value / 0x100000000) | 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The signature from a server's own fields (hashed) and the sums of what mentions it: a non-negative number. */
export function combine(own: number, mentions: number): number {
  return (mix(own) ^ Math.imul(mentions | 0, 0x01000193)) >>> 0;
}
