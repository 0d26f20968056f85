/**
 * A V8 heap snapshot (`.heapsnapshot`, V8's JSON: flat `nodes` and `edges` arrays laid out as
 * `snapshot.meta` says, and a `strings` table) read into typed arrays, with what a diff needs of it:
 * each node's class name (constructor for objects, `closure <name>`, strings by what they contain,
 * `(<type>) <name>` for the rest), self size, retained size (the size of what would be freed with it:
 * its subtree in the dominator tree, weak edges not counted) and one shortest retainer path from the
 * GC roots. bench/heap-diff.ts compares two of them.
 */
import { readFileSync } from 'node:fs';
import { type Snapshot, snapshotLayout } from '../test/helpers/heap-strings.js';

/** A text class for strings: a string whose text matches `test` is counted under `(string) <label>`. */
export interface StringClass {
  label: string;
  test: RegExp;
}

/** A snapshot read into arrays indexed by node (0 is the synthetic root). */
export interface HeapGraph {
  readonly nodeCount: number;
  /** Class id of each node (into `classNames`). */
  readonly classOf: Int32Array;
  readonly classNames: string[];
  readonly selfSize: Float64Array;
  /** V8's object id: the same object keeps its id across snapshots of one process. */
  readonly id: Float64Array;
  /** Retained size of each node (0 when not reachable from the root along strong edges). */
  readonly retained: Float64Array;
  /** Immediate dominator of each node (-1: the root, or not reachable). */
  readonly idom: Int32Array;
  /** Retainer on one shortest strong path from the root (-1: root / unreachable), and the edge's name. */
  readonly parent: Int32Array;
  readonly parentEdge: string[];
  /** The node's own name (constructor, closure name, string text…), at most 60 characters. */
  name(node: number): string;
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/** The class name of a string: the first class it matches, else its first 24 characters with digit runs folded to `#`. */
export const stringClass = (text: string, classes: readonly StringClass[]): string => {
  for (const c of classes) if (c.test.test(text)) return `(string) ${c.label}`;
  return `(string) ${text.slice(0, 24).replace(/\d+/g, '#')}`;
};

/** Read the snapshot file `file` (see {@link HeapGraph}); strings are classed by `classes`. */
export const readHeapGraph = (file: string, classes: readonly StringClass[] = []): HeapGraph =>
  heapGraphOf(JSON.parse(readFileSync(file, 'utf8')) as Snapshot, classes);

export const heapGraphOf = (snap: Snapshot, classes: readonly StringClass[] = []): HeapGraph => {
  const { nodes, edges, strings } = snap;
  const { NF, EF, nodeTypes, edgeTypes, T, N: NM, ID, SS, EC, ET, EN, TO } = snapshotLayout(snap);
  const n = nodes.length / NF;

  // Class of each node.
  const classIds = new Map<string, number>();
  const classNames: string[] = [];
  const classOf = new Int32Array(n);
  const selfSize = new Float64Array(n);
  const id = new Float64Array(n);
  const rawName = (i: number): string => String(strings[nodes[i * NF + NM] ?? 0] ?? '');
  for (let i = 0; i < n; i++) {
    const type = nodeTypes[nodes[i * NF + T] ?? 0] ?? '?';
    const text = rawName(i);
    const cls =
      type === 'object'
        ? text
        : type === 'closure'
          ? `closure ${text}`
          : STRING_TYPES.has(type)
            ? stringClass(text, classes)
            : `(${type}) ${text.slice(0, 40).replace(/\d+/g, '#')}`;
    let c = classIds.get(cls);
    if (c === undefined) {
      c = classNames.length;
      classIds.set(cls, c);
      classNames.push(cls);
    }
    classOf[i] = c;
    selfSize[i] = nodes[i * NF + SS] ?? 0;
    id[i] = nodes[i * NF + ID] ?? 0;
  }

  // Strong edges as CSR (weak edges are not followed: they do not keep anything).
  const first = new Int32Array(n + 1);
  const strong = new Uint8Array(edges.length / EF);
  for (let i = 0, e = 0; i < n; i++) {
    first[i] = e / EF;
    e += (nodes[i * NF + EC] ?? 0) * EF;
  }
  first[n] = edges.length / EF;
  const to = new Int32Array(edges.length / EF);
  for (let k = 0; k < to.length; k++) {
    to[k] = (edges[k * EF + TO] ?? 0) / NF;
    strong[k] = edgeTypes[edges[k * EF + ET] ?? 0] === 'weak' ? 0 : 1;
  }
  const edgeName = (k: number): string => {
    const t = edgeTypes[edges[k * EF + ET] ?? 0];
    return t === 'element' || t === 'hidden' ? '[]' : `.${String(strings[edges[k * EF + EN] ?? 0]).slice(0, 40)}`;
  };

  // Shortest paths (breadth first); the string table's entries are left out, as heap-strings.ts does.
  const parent = new Int32Array(n).fill(-1);
  const parentEdgeIdx = new Int32Array(n).fill(-1);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  const queue = new Int32Array(n);
  let qt = 1;
  for (let h = 0; h < qt; h++) {
    const x = queue[h] ?? 0;
    if (rawName(x).startsWith('(Internalized strings')) continue;
    for (let k = first[x] ?? 0; k < (first[x + 1] ?? 0); k++) {
      const y = to[k] ?? 0;
      if (!strong[k] || seen[y]) continue;
      seen[y] = 1;
      parent[y] = x;
      parentEdgeIdx[y] = k;
      queue[qt++] = y;
    }
  }
  const parentEdge = Array.from(parentEdgeIdx, (k) => (k < 0 ? '' : edgeName(k)));

  // Dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm"), on a depth-first post order.
  const post = new Int32Array(n).fill(-1); // node → post-order number
  const order = new Int32Array(n); // post-order number → node
  let count = 0;
  {
    const stack = new Int32Array(n);
    const cursor = new Int32Array(n);
    const visited = new Uint8Array(n);
    let sp = 0;
    stack[sp++] = 0;
    visited[0] = 1;
    cursor[0] = first[0] ?? 0;
    while (sp > 0) {
      const x = stack[sp - 1] ?? 0;
      const k = cursor[x] ?? 0;
      if (k < (first[x + 1] ?? 0)) {
        cursor[x] = k + 1;
        const y = to[k] ?? 0;
        if (strong[k] && !visited[y]) {
          visited[y] = 1;
          cursor[y] = first[y] ?? 0;
          stack[sp++] = y;
        }
      } else {
        sp--;
        post[x] = count;
        order[count++] = x;
      }
    }
  }
  // Predecessors by post-order number, CSR.
  const predCount = new Int32Array(count + 1);
  for (let x = 0; x < n; x++) {
    if (post[x] < 0) continue;
    for (let k = first[x] ?? 0; k < (first[x + 1] ?? 0); k++) if (strong[k]) predCount[(post[to[k] ?? 0] ?? 0) + 1]++;
  }
  for (let p = 0; p < count; p++) predCount[p + 1] = (predCount[p + 1] ?? 0) + (predCount[p] ?? 0);
  const preds = new Int32Array(predCount[count] ?? 0);
  const fill = predCount.slice();
  for (let x = 0; x < n; x++) {
    const px = post[x] ?? -1;
    if (px < 0) continue;
    for (let k = first[x] ?? 0; k < (first[x + 1] ?? 0); k++) {
      if (!strong[k]) continue;
      const py = post[to[k] ?? 0] ?? 0;
      preds[fill[py]++] = px;
    }
  }
  const root = count - 1;
  const doms = new Int32Array(count).fill(-1);
  doms[root] = root;
  for (let changed = true; changed; ) {
    changed = false;
    for (let b = root - 1; b >= 0; b--) {
      let nd = -1;
      for (let j = predCount[b] ?? 0; j < (predCount[b + 1] ?? 0); j++) {
        const p = preds[j] ?? 0;
        if (doms[p] === -1) continue;
        if (nd === -1) nd = p;
        else {
          let f1 = p;
          let f2 = nd;
          while (f1 !== f2) {
            while (f1 < f2) f1 = doms[f1] ?? root;
            while (f2 < f1) f2 = doms[f2] ?? root;
          }
          nd = f1;
        }
      }
      if (nd !== -1 && doms[b] !== nd) {
        doms[b] = nd;
        changed = true;
      }
    }
  }
  // A node's dominator comes later in post order: add each subtree into its dominator, first to last.
  const retained = new Float64Array(n);
  const idom = new Int32Array(n).fill(-1);
  for (let p = 0; p < count; p++) {
    const x = order[p] ?? 0;
    retained[x] = (retained[x] ?? 0) + (selfSize[x] ?? 0);
    if (p === root) continue;
    const d = order[doms[p] ?? root] ?? 0;
    idom[x] = d;
    retained[d] = (retained[d] ?? 0) + (retained[x] ?? 0);
  }
  return {
    nodeCount: n,
    classOf,
    classNames,
    selfSize,
    id,
    retained,
    idom,
    parent,
    parentEdge,
    name: (i) => rawName(i).slice(0, 60),
  };
};

/** The last `steps` steps of the shortest strong path from the root to `node` (`Owner.prop > Map > [] > node`). */
export const retainerPath = (g: HeapGraph, node: number, steps = 5): string => {
  const out: string[] = [];
  for (let x = node; x > 0 && out.length < steps; ) {
    const p = g.parent[x] ?? -1;
    if (p < 0) {
      out.unshift('(unreachable)');
      break;
    }
    out.unshift(`${g.name(p).replace(/\d+/g, '#')}${g.parentEdge[x] ?? ''}`);
    x = p;
  }
  return out.join(' > ');
};
