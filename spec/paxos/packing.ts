// Paxos messages packed into small integers, for the network of the cluster
// model: a sorted array of them that is a set or a bag (spec/common/
// packed-network.ts). Packing keeps the state plain data, makes the sorted
// array its own canonical form, and lets encode() write ints only.
//
// Layout, least significant first: type (4), dest (16), acc (16), bal (16),
// mbal + 1 (16), val + 1 (16). For a 1b the last field holds mval. `dest` is
// 0 in a set network (a message in msgs is addressed to whoever reads it);
// in a bag it is the acceptor of a 1a or 2a and the learner of a 2b (a 1b
// goes to the proposer of its ballot).

import { assert, assertNever } from '../../lib/assert.ts';
import type { Ballot, NodeId } from '../common/types.ts';
import type { Message, Message1b } from './types.ts';

/** Bounds of the packing: ids, ballots and values must fit a 4-bit field (with the +1 offsets). */
export const FIELD_MAX = 16;

const TYPE_1A = 0;
const TYPE_1B = 1;
const TYPE_2A = 2;
const TYPE_2B = 3;

const DEST = 4;
const ACC = DEST * FIELD_MAX;
const BAL = ACC * FIELD_MAX;
const MBAL = BAL * FIELD_MAX;
const VAL = MBAL * FIELD_MAX;
assert(FIELD_MAX === 16 && DEST === 4 && VAL === 1 << 18, 'the accessors below shift by 4-bit fields');

export type PackedMessage = number;

export function pack(message: Message, dest = 0): PackedMessage {
  switch (message.type) {
    case '1a':
      return TYPE_1A + dest * DEST + message.bal * BAL;
    case '1b':
      return TYPE_1B + dest * DEST + message.acc * ACC + message.bal * BAL + (message.mbal + 1) * MBAL + (message.mval + 1) * VAL;
    case '2a':
      return TYPE_2A + dest * DEST + message.bal * BAL + (message.val + 1) * VAL;
    case '2b':
      return TYPE_2B + dest * DEST + message.acc * ACC + message.bal * BAL + (message.val + 1) * VAL;
    default:
      return assertNever(message, 'message');
  }
}

export function unpack(packed: PackedMessage): Message {
  const bal = ballotOf(packed);
  switch (typeOf(packed)) {
    case TYPE_1A:
      return { type: '1a', bal };
    case TYPE_1B:
      return unpack1b(packed);
    case TYPE_2A:
      return { type: '2a', bal, val: valOf(packed) };
    case TYPE_2B:
      return { type: '2b', acc: accOf(packed), bal, val: valOf(packed) };
    default:
      throw new Error(`corrupt packed message ${packed}`);
  }
}

export function unpack1b(packed: PackedMessage): Message1b {
  assert(typeOf(packed) === TYPE_1B, () => `packed message ${packed} is not a 1b`);
  return {
    type: '1b',
    acc: accOf(packed),
    bal: ballotOf(packed),
    mbal: mbalOf(packed) as Ballot,
    mval: valOf(packed),
  };
}

// Field accessors, for the hot loops of actions(), the invariants and the
// encoding. Every field is 4 bits after the 2-bit type (FIELD_MAX = 16), so a
// packed message is below 2^22 and shifts and masks read its fields exactly;
// they replaced Math.floor(p / 4^k) % 16, a float division per field.
const DEST_SHIFT = 2;
const ACC_SHIFT = 6;
const BAL_SHIFT = 10;
const MBAL_SHIFT = 14;
const VAL_SHIFT = 18;
export const typeOf = (p: PackedMessage): number => p & 3;
export const is1a = (p: PackedMessage): boolean => (p & 3) === TYPE_1A;
export const is1b = (p: PackedMessage): boolean => (p & 3) === TYPE_1B;
export const is2a = (p: PackedMessage): boolean => (p & 3) === TYPE_2A;
export const is2b = (p: PackedMessage): boolean => (p & 3) === TYPE_2B;
export const destOf = (p: PackedMessage): number => (p >>> DEST_SHIFT) & 15;
export const accOf = (p: PackedMessage): NodeId => ((p >>> ACC_SHIFT) & 15) as NodeId;
export const ballotOf = (p: PackedMessage): Ballot => ((p >>> BAL_SHIFT) & 15) as Ballot;
export const mbalOf = (p: PackedMessage): number => ((p >>> MBAL_SHIFT) & 15) - 1;
export const valOf = (p: PackedMessage): number => (p >>> VAL_SHIFT) - 1;
/** The message without its address, as Paxos.tla's msgs would hold it. */
export const withoutDest = (p: PackedMessage): PackedMessage => p & ~(15 << DEST_SHIFT);
export const withDest = (p: PackedMessage, dest: number): PackedMessage => (p & ~(15 << DEST_SHIFT)) | (dest << DEST_SHIFT);
/** The message with its acceptor field zeroed (for a symmetry signature, encoding.ts). */
export const withoutAcc = (p: PackedMessage): PackedMessage => p & ~(15 << ACC_SHIFT);

/**
 * The message with acceptor ids renamed by `map` (symmetry reduction): the
 * sender of a 1b or 2b, and the address of a 1a or 2a in a bag.
 */
export function permuteMessage(p: PackedMessage, map: readonly number[], addressedToAcceptor: boolean): PackedMessage {
  const type = p % 4;
  let out = p;
  if (type === TYPE_1B || type === TYPE_2B) {
    const acc = accOf(p);
    out += ((map[acc] as number) - acc) * ACC;
  }
  if (addressedToAcceptor && (type === TYPE_1A || type === TYPE_2A)) {
    const dest = destOf(p);
    out += ((map[dest] as number) - dest) * DEST;
  }
  return out;
}
