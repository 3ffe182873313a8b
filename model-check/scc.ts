// Strongly connected components (Tarjan 1972) of a sub-graph of the state
// graph (state-graph.ts), for the liveness check (liveness.ts) as in TLC's
// liveness checker. Iterative, with explicit stacks in typed arrays: state
// graphs have millions of states and a recursive search would overflow the
// call stack on a long path.

/** The graph as compressed sparse rows: state v's edges are firstEdge[v] .. firstEdge[v + 1] - 1. */
export interface SparseGraph {
  readonly size: number;
  readonly firstEdge: Int32Array;
  readonly target: Int32Array;
}

export interface Components {
  /** Per state, its component's number, or -1 for a state outside the sub-graph. */
  readonly component: Int32Array;
  readonly count: number;
}

/**
 * The components of the sub-graph induced by the states in `roots` (and only
 * those: `member[v]` must be non-zero exactly for them). Components are
 * numbered in the order Tarjan's algorithm completes them (reverse
 * topological order).
 */
export function stronglyConnectedComponents(graph: SparseGraph, roots: Int32Array, rootCount: number, member: Uint8Array): Components {
  const n = graph.size;
  const { firstEdge, target } = graph;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const component = new Int32Array(n).fill(-1);
  const stack = new Int32Array(rootCount);
  const callState = new Int32Array(rootCount);
  const callEdge = new Int32Array(rootCount);
  let stackSize = 0;
  let counter = 0;
  let count = 0;

  for (let r = 0; r < rootCount; r++) {
    const root = roots[r]!;
    if (order[root] !== -1) continue;
    order[root] = low[root] = counter++;
    stack[stackSize++] = root;
    callState[0] = root;
    callEdge[0] = firstEdge[root]!;
    let depth = 1;
    while (depth > 0) {
      const v = callState[depth - 1]!;
      const e = callEdge[depth - 1]!;
      if (e < firstEdge[v + 1]!) {
        callEdge[depth - 1] = e + 1;
        const w = target[e]!;
        if (member[w] === 0) continue;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack[stackSize++] = w;
          callState[depth] = w;
          callEdge[depth] = firstEdge[w]!;
          depth++;
        } else if (component[w] === -1 && order[w]! < low[v]!) {
          // w is on the stack (visited, not yet in a component): a back or cross edge within the current tree.
          low[v] = order[w]!;
        }
        continue;
      }
      // Every edge of v is done.
      if (low[v] === order[v]) {
        let w: number;
        do {
          w = stack[--stackSize]!;
          component[w] = count;
        } while (w !== v);
        count++;
      }
      depth--;
      if (depth > 0) {
        const parent = callState[depth - 1]!;
        if (low[v]! < low[parent]!) low[parent] = low[v]!;
      }
    }
  }
  return { component, count };
}
