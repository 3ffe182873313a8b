// Quorum arithmetic apart from any protocol (as etcd-io/raft's quorum package):
// a majority quorum system over n voters. Knows nothing about messages.

/** Smallest number of voters that forms a majority of n. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Whether `count` distinct voters out of `n` form a majority. */
export function hasQuorum(count: number, n: number): boolean {
  return count >= majority(n);
}

/** Every subset of 0..n-1 (as sorted id arrays) that has exactly `size` members. */
export function subsetsOfSize(n: number, size: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]) => {
    if (acc.length === size) {
      out.push(acc.slice());
      return;
    }
    for (let i = start; i < n; i++) {
      acc.push(i);
      pick(i + 1, acc);
      acc.pop();
    }
  };
  pick(0, []);
  return out;
}

/**
 * subsetsOfSize(n, size), computed once per (n, size) and shared: for the
 * model checkers' actions, which ask for the same few quorums on every
 * state. The lists must only be read.
 */
export function sharedSubsetsOfSize(n: number, size: number): readonly (readonly number[])[] {
  const key = n * 1024 + size;
  let subsets = subsetCache.get(key);
  if (subsets === undefined) {
    subsets = subsetsOfSize(n, size);
    subsetCache.set(key, subsets);
  }
  return subsets;
}

const subsetCache = new Map<number, readonly (readonly number[])[]>();
