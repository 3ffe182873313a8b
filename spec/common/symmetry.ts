// Server ids under a symmetry permutation (model-check/model.ts, Permutation;
// TLC's SYMMETRY Permutations(Server)). A spec's encoder writes a state as its
// renamed copy would be written, without building the copy: servers in the
// order of their new ids (the data of server oldId(perm, newId)), every id it
// mentions as mapId(perm, id), every set of ids as mapMask(perm.map, mask).
// These run once per permutation per generated state, the checker's hottest
// loop: plain functions over the arrays, no allocation.

import type { Permutation } from '../../model-check/model.ts';

/** The new id of `id`; a value outside the permuted servers (-1 for "none") is written as it is. */
export function mapId(perm: Permutation, id: number): number {
  return id >= 0 && id < perm.map.length ? perm.map[id]! : id;
}

/** The old id of the server written at `newId`. */
export function oldId(perm: Permutation, newId: number): number {
  return newId < perm.inverse.length ? perm.inverse[newId]! : newId;
}

/** A set of server ids as a bitmask (bit i = server i), renamed by `map`; every id in it is a permuted server. */
export function mapMask(map: readonly number[], mask: number): number {
  let out = 0;
  for (let rest = mask, id = 0; rest !== 0; rest >>>= 1, id++) if ((rest & 1) !== 0) out |= 1 << map[id]!;
  return out;
}

/**
 * As mapMask, for a set that may hold servers outside the symmetry (ZAB's
 * observers, when it permutes the voters only): those keep their bit. Apart
 * from mapMask because the bounds check measured 2% of Raft's checking time.
 */
export function mapMaskPartial(map: readonly number[], mask: number): number {
  let out = 0;
  for (let rest = mask, id = 0; rest !== 0; rest >>>= 1, id++) if ((rest & 1) !== 0) out |= 1 << (id < map.length ? map[id]! : id);
  return out;
}

/** Whether `perm` leaves servers 0..n-1 where they are (the checker's identity covers more ids than a model has). */
export function isIdentityOn(perm: Permutation, n: number): boolean {
  const map = perm.map;
  for (let i = 0; i < n; i++) if (map[i] !== i) return false;
  return true;
}
