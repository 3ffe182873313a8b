// Multi-Paxos messages packed into integers (below 2^53) for a set network
// kept as a sorted array (spec/common/packed-network.ts), as in ../packing.ts.
// Layout, least significant first: type (4), acc (16), bal (16), slot (16),
// val + 1 (16), then for a 1b one (mbal + 1, mval + 1) pair of 16 x 16 per
// slot (at most 4 slots).

import { assert, assertNever } from '../../../lib/assert.ts';
import type { Ballot, NodeId } from '../../common/types.ts';
import type { MultiMessage } from './types.ts';

export const FIELD_MAX = 16;
export const SLOTS_MAX = 4;
const ACC = 4;
const BAL = ACC * 16;
const SLOT = BAL * 16;
const VAL = SLOT * 16;
const VOTES = VAL * 16;
assert(ACC === 4 && BAL === 1 << 6 && SLOT === 1 << 10 && VAL === 1 << 14, 'the accessors below shift by 4-bit fields');

export function packMulti(m: MultiMessage): number {
  switch (m.type) {
    case '1a':
      return 0 + m.bal * BAL;
    case '1b': {
      let votes = 0;
      for (let s = m.mbal.length - 1; s >= 0; s--) votes = votes * 256 + ((m.mbal[s] as number) + 1) + 16 * ((m.mval[s] as number) + 1);
      return 1 + m.acc * ACC + m.bal * BAL + votes * VOTES;
    }
    case '2a':
      return 2 + m.bal * BAL + m.slot * SLOT + (m.val + 1) * VAL;
    case '2b':
      return 3 + m.acc * ACC + m.bal * BAL + m.slot * SLOT + (m.val + 1) * VAL;
    default:
      return assertNever(m, 'message');
  }
}

export function unpackMulti(p: number, slots: number): MultiMessage {
  const type = p % 4;
  const acc = (Math.floor(p / ACC) % 16) as NodeId;
  const bal = (Math.floor(p / BAL) % 16) as Ballot;
  const slot = Math.floor(p / SLOT) % 16;
  const val = (Math.floor(p / VAL) % 16) - 1;
  switch (type) {
    case 0:
      return { type: '1a', bal };
    case 1: {
      let votes = Math.floor(p / VOTES);
      const mbal: Ballot[] = [];
      const mval: number[] = [];
      for (let s = 0; s < slots; s++) {
        mbal.push(((votes % 16) - 1) as Ballot);
        mval.push((Math.floor(votes / 16) % 16) - 1);
        votes = Math.floor(votes / 256);
      }
      return { type: '1b', acc, bal, mbal, mval };
    }
    case 2:
      return { type: '2a', bal, slot, val };
    default:
      return { type: '2b', acc, bal, slot, val };
  }
}

// Field accessors. The fields below the votes take bits 0..17; JavaScript's
// bit operators read a number's low 32 bits (ToInt32), which is exact for any
// integer below 2^53, so shifts and masks read them without the float
// division of Math.floor(p / 4^k) % 16.
export const multiTypeOf = (p: number): number => p & 3;
export const multiAccOf = (p: number): number => (p >>> 2) & 15;
export const multiBallotOf = (p: number): number => (p >>> 6) & 15;
export const multiSlotOf = (p: number): number => (p >>> 10) & 15;
export const multiValOf = (p: number): number => ((p >>> 14) & 15) - 1;

/** The message with its acceptor field zeroed (for a symmetry signature, encoding.ts). */
export const withoutMultiAcc = (p: number): number => p - multiAccOf(p) * ACC;

/** The message with its acceptor id renamed (1b and 2b carry one). */
export function permuteMulti(p: number, map: readonly number[]): number {
  const type = p % 4;
  if (type !== 1 && type !== 3) return p;
  const acc = multiAccOf(p);
  return p + ((map[acc] as number) - acc) * ACC;
}
