// A bag (multiset) of message records: TLA+'s `[Message -> count]`, the
// network of ongardie's raft.tla (spec/raft). Each distinct message is held
// once with how many copies are in flight; a send adds a copy, a delivery or
// a loss (DropMessage) takes one away, a duplication (DuplicateMessage) adds
// one; any copy may be delivered next, so the network reorders. `equals` says
// when two records are the same message (structural: the spec's own).
//
// With `keepDomain` a message whose last copy is taken stays with count 0,
// and a message already in the domain is never added again (raft.tla before
// 2024, and the fork its TLC figures come from): each message is sent at most
// once. The spec's actions skip count-0 entries.
//
// A bag has no order, so a spec encodes it with `sink.unordered` over its
// copies (each writing its message and its count); insertion order is
// therefore free, and an operation returns a new array, or the same array
// when nothing changes.

export interface Copies<M> {
  readonly message: M;
  /** >= 1, or 0 under keepDomain: delivered, kept in the domain. */
  readonly count: number;
}

export type Bag<M> = readonly Copies<M>[];

/** WithMessage(m, msgs): one more copy of m (under keepDomain, none if m is in the domain already). */
export function bagWith<M>(bag: Bag<M>, m: M, equals: (a: M, b: M) => boolean, keepDomain: boolean): Bag<M> {
  for (let k = 0; k < bag.length; k++) {
    const item = bag[k]!;
    if (equals(item.message, m)) {
      if (keepDomain) return bag;
      const out = bag.slice();
      out[k] = { message: item.message, count: item.count + 1 };
      return out;
    }
  }
  return [...bag, { message: m, count: 1 }];
}

/**
 * WithoutMessage(m, msgs): one copy fewer; the last copy leaves the domain, or
 * under keepDomain stays with count 0. The same bag if m is not in it.
 */
export function bagWithout<M>(bag: Bag<M>, m: M, equals: (a: M, b: M) => boolean, keepDomain: boolean): Bag<M> {
  for (let k = 0; k < bag.length; k++) {
    const item = bag[k]!;
    if (equals(item.message, m)) {
      const out = bag.slice();
      if (keepDomain) out[k] = { message: item.message, count: Math.max(item.count - 1, 0) };
      else if (item.count <= 1) out.splice(k, 1);
      else out[k] = { message: item.message, count: item.count - 1 };
      return out;
    }
  }
  return bag;
}
