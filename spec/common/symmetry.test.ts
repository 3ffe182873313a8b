import { describe, expect, it } from 'vitest';
import { permutationsOf } from '../../model-check/fingerprint.ts';
import { isIdentityOn, mapId, mapMask, mapMaskPartial, oldId } from './symmetry.ts';

describe('server ids under a permutation', () => {
  const [identity, , swap12] = permutationsOf(3); // [0,1,2], [0,2,1], [1,0,2]

  it('maps ids and masks, and leaves "none" (-1) and ids beyond the permuted servers alone', () => {
    expect(swap12!.map).toEqual([1, 0, 2]);
    expect(mapId(swap12!, 0)).toBe(1);
    expect(mapId(swap12!, -1)).toBe(-1);
    expect(mapId(swap12!, 3)).toBe(3);
    expect(oldId(swap12!, 1)).toBe(0);
    expect(mapMask(swap12!.map, 0b011)).toBe(0b011);
    expect(mapMask(swap12!.map, 0b001)).toBe(0b010);
    // An observer (id 3) outside a symmetry over 3 voters keeps its bit.
    expect(mapMaskPartial(swap12!.map, 0b1001)).toBe(0b1010);
    expect(mapMaskPartial(swap12!.map, 0b001)).toBe(0b010);
  });

  it('knows the identity on the servers a model has', () => {
    expect(isIdentityOn(identity!, 3)).toBe(true);
    expect(isIdentityOn(swap12!, 3)).toBe(false);
    expect(isIdentityOn(swap12!, 0)).toBe(true);
  });
});
