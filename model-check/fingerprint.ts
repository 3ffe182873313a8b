// 64-bit state fingerprints (TLC's FP64, stateright's fingerprint): the checker
// never stores states it has seen, only a 64-bit hash of each state's canonical
// encoding (model.ts, StateSink). Two states with equal encodings get equal
// fingerprints; two different states collide with probability about 2^-64 per
// pair, which TLC reports as its "probability of a fingerprint collision" and
// which stays below 1e-4 even at 10^7 states.
//
// The hash is two 32-bit lanes, each a MurmurHash3-style word mixer with its
// own constants (Math.imul keeps everything in int32, no BigInt, no
// allocation), cross-mixed and finalised like MurmurHash3_x86_128's tail. The
// kind of each written value (int, bool, string, bag) is folded into the lane
// update as a distinct additive constant, so `int(1)` and `bool(true)` in the
// same position do not collide systematically, at no cost per word.
//
// `unordered` (a message bag) hashes each item from a fresh seed, finalises
// it to 64 bits, and sums the item hashes with a 64-bit add-with-carry plus
// the item count: addition is commutative, so the caller need not sort, and
// duplicates count. The saved outer lanes and the running sum are locals of
// `unordered`, i.e. they live on the JS call stack, so nesting bags costs no
// allocation per item.
//
// Symmetry (TLC's SYMMETRY): `Fingerprinter` encodes a state under every
// permutation of the server ids and keeps the least fingerprint, so all
// permuted copies of a state share one fingerprint. The permutations are built
// once per model, identity first. A model may also give each server a
// signature that ignores ids (model.ts, Symmetry.signature); then only the
// permutations that sort the servers by signature are encoded. This stays
// exact because the set of sorted permuted copies is the same for every
// member of an orbit, so their least fingerprint is too.

import { assert } from '../lib/assert.ts';
import type { Model, Permutation, StateSink } from './model.ts';

// MurmurHash3 constants for lane 1, and a second pair (also from MurmurHash3's
// and xxHash's finalisers) for lane 2 so that the lanes are not copies.
const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;
const D1 = 0x85ebca77 | 0;
const D2 = 0xc2b2ae3d | 0;

// One additive constant per kind of value (arbitrary odd 32-bit numbers).
const KIND_INT = 0xe6546b64 | 0;
const KIND_NUMBER = 0x7feb352d | 0;
const KIND_BOOL = 0x846ca68b | 0;
const KIND_STRING = 0x561ccd1b | 0;
const KIND_CHARS = 0x0e6cbbd7 | 0;
const KIND_BAG = 0x38495ab5 | 0;

const SEED1 = 0x9747b28c | 0;
const SEED2 = 0x2f8e2d7b | 0;
const ITEM_SEED1 = 0x6a09e667 | 0;
const ITEM_SEED2 = 0xbb67ae85 | 0;

// Non-int32 numbers (large counters, fractions) are hashed by their IEEE bits.
const float64 = new Float64Array(1);
const float64Words = new Uint32Array(float64.buffer);

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * A StateSink that hashes into two 32-bit lanes. Call `reset()`, let the model
 * write, then `finish()`; the result is in `hi` and `lo` (unsigned 32-bit).
 */
export class FingerprintSink implements StateSink {
  hi = 0;
  lo = 0;
  private h1 = SEED1;
  private h2 = SEED2;

  reset(): void {
    this.h1 = SEED1;
    this.h2 = SEED2;
  }

  /** Finalises the lanes into `hi`/`lo`; the sink must be reset before reuse. */
  finish(): void {
    this.finalizeLanes();
    this.hi = this.h1 >>> 0;
    this.lo = this.h2 >>> 0;
  }

  int(value: number): void {
    if ((value | 0) === value) {
      this.word(value, KIND_INT);
    } else {
      float64[0] = value;
      this.word(float64Words[0]!, KIND_NUMBER);
      this.word(float64Words[1]!, KIND_NUMBER);
    }
  }

  bool(value: boolean): void {
    this.word(value ? 1 : 0, KIND_BOOL);
  }

  str(value: string): void {
    const length = value.length;
    this.word(length, KIND_STRING);
    let i = 0;
    for (; i + 1 < length; i += 2) {
      this.word(value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16), KIND_CHARS);
    }
    if (i < length) this.word(value.charCodeAt(i), KIND_CHARS);
  }

  unordered<T>(items: Iterable<T>, encodeItem: (item: T, sink: StateSink) => void): void {
    const savedH1 = this.h1;
    const savedH2 = this.h2;
    let sumHi = 0;
    let sumLo = 0;
    let count = 0;
    for (const item of items) {
      this.h1 = ITEM_SEED1;
      this.h2 = ITEM_SEED2;
      encodeItem(item, this);
      this.finalizeLanes();
      // 64-bit add with carry of the item's (h1, h2) into (sumHi, sumLo).
      const lo = sumLo + (this.h2 >>> 0);
      const carry = lo > 0xffffffff ? 1 : 0;
      sumLo = lo >>> 0;
      sumHi = (sumHi + (this.h1 >>> 0) + carry) >>> 0;
      count++;
    }
    this.h1 = savedH1;
    this.h2 = savedH2;
    this.word(count, KIND_BAG);
    this.word(sumHi, KIND_BAG);
    this.word(sumLo, KIND_BAG);
  }

  private word(k: number, kind: number): void {
    let k1 = Math.imul(k, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    let h1 = this.h1 ^ k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    this.h1 = (Math.imul(h1, 5) + kind) | 0;

    let k2 = Math.imul(k, D1);
    k2 = (k2 << 16) | (k2 >>> 16);
    k2 = Math.imul(k2, D2);
    let h2 = this.h2 ^ k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    this.h2 = (Math.imul(h2, 9) + (kind ^ 0x5bd1e995)) | 0;
  }

  private finalizeLanes(): void {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    h1 = fmix32(h1);
    h2 = fmix32(h2);
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    this.h1 = h1;
    this.h2 = h2;
  }
}

/** Server ids covered by the identity permutation handed to models without symmetry. */
export const IDENTITY_SERVERS = 256;

/** Every permutation of 0..n-1 in lexicographic order, so the identity comes first. */
export function permutationsOf(n: number): Permutation[] {
  assert(Number.isInteger(n) && n >= 1 && n <= 8, () => `symmetry over ${n} servers: expected 1..8 (8! = 40320 encodings per state)`);
  const result: Permutation[] = [];
  const map = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    const inverse = new Array<number>(n);
    for (let i = 0; i < n; i++) inverse[map[i]!] = i;
    result.push({ map: map.slice(), inverse });
    // Next lexicographic permutation (Knuth, TAOCP 7.2.1.2, Algorithm L).
    let i = n - 2;
    while (i >= 0 && map[i]! > map[i + 1]!) i--;
    if (i < 0) return result;
    let j = n - 1;
    while (map[j]! < map[i]!) j--;
    [map[i], map[j]] = [map[j]!, map[i]!];
    for (let a = i + 1, b = n - 1; a < b; a++, b--) [map[a], map[b]] = [map[b]!, map[a]!];
  }
}

function identityPermutation(n: number): Permutation {
  const ids = Array.from({ length: n }, (_, i) => i);
  return { map: ids, inverse: ids };
}

/**
 * Fingerprints states of one model: the identity encoding, or with
 * `model.symmetry` the least (unsigned 64-bit) fingerprint over all
 * permutations of the servers. Reuses one sink; the result is in `hi`/`lo`.
 */
export class Fingerprinter<S> {
  hi = 0;
  lo = 0;
  readonly permutations: readonly Permutation[];
  private readonly sink = new FingerprintSink();
  private readonly signature: ((state: S, server: number) => number) | undefined;
  private readonly allSignatures: ((state: S, out: Float64Array) => void) | undefined;
  private readonly signatures: Float64Array;
  private readonly sortsBySignature: boolean;

  constructor(private readonly model: Model<S, unknown>) {
    const symmetry = model.symmetry;
    this.permutations = symmetry ? permutationsOf(symmetry.servers) : [identityPermutation(IDENTITY_SERVERS)];
    this.allSignatures = symmetry?.signatures === undefined ? undefined : symmetry.signatures.bind(symmetry);
    this.signature = symmetry?.signature === undefined ? undefined : symmetry.signature.bind(symmetry);
    this.sortsBySignature = this.allSignatures !== undefined || this.signature !== undefined;
    this.signatures = new Float64Array(symmetry?.servers ?? 0);
  }

  fingerprint(state: S): void {
    const sink = this.sink;
    const permutations = this.permutations;
    const signature = this.signature;
    const signatures = this.signatures;
    const servers = signatures.length;
    const sortsBySignature = this.sortsBySignature;
    if (this.allSignatures !== undefined) this.allSignatures(state, signatures);
    else if (signature !== undefined) {
      for (let server = 0; server < servers; server++) signatures[server] = signature(state, server);
    }
    let found = false;
    let bestHi = 0;
    let bestLo = 0;
    for (let p = 0; p < permutations.length; p++) {
      const permutation = permutations[p]!;
      // With signatures, only permutations listing the servers in ascending signature order are candidates.
      if (sortsBySignature && !listsInOrder(permutation.inverse, signatures, servers)) continue;
      sink.reset();
      this.model.encode(state, sink, permutation);
      sink.finish();
      const hi = sink.hi;
      const lo = sink.lo;
      if (!found || hi < bestHi || (hi === bestHi && lo < bestLo)) {
        found = true;
        bestHi = hi;
        bestLo = lo;
      }
    }
    this.hi = bestHi;
    this.lo = bestLo;
  }
}

/** Whether the servers, taken in the order new id 0, 1, ... (old id inverse[newId]), have non-decreasing signatures. */
function listsInOrder(inverse: readonly number[], signatures: Float64Array, servers: number): boolean {
  for (let newId = 1; newId < servers; newId++) {
    if (signatures[inverse[newId - 1]!]! > signatures[inverse[newId]!]!) return false;
  }
  return true;
}

const fingerprinters = new WeakMap<object, Fingerprinter<unknown>>();

/** The fingerprint of `state` as an unsigned 64-bit bigint (for tests and tools, not hot loops). */
export function fingerprintOf<S>(model: Model<S, unknown>, state: S): bigint {
  let fingerprinter = fingerprinters.get(model) as Fingerprinter<S> | undefined;
  if (fingerprinter === undefined) {
    fingerprinter = new Fingerprinter(model);
    fingerprinters.set(model, fingerprinter as Fingerprinter<unknown>);
  }
  fingerprinter.fingerprint(state);
  return (BigInt(fingerprinter.hi) << 32n) | BigInt(fingerprinter.lo);
}
