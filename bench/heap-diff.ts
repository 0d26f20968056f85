/**
 * Two heap snapshots of one process compared (bench/heap-graph.ts reads them): per class — constructor
 * name, `closure <name>`, strings by text class or first characters, `(<type>) <name>` for V8's
 * internal nodes — the count, self bytes and retained bytes before and after, and the classes that
 * grew most by each. Retained bytes of a class are those of its objects that no other object of the
 * same class dominates (as DevTools' summary view counts them), so a linked list is not counted once
 * per link. For a class that grew, the objects new since the first snapshot (V8 keeps an object's id
 * across snapshots of one process while its heap profiler keeps its object map) are grouped by what
 * holds them: the last steps of a shortest path from the GC roots, digits folded — the answer to "what
 * keeps them". The soak's snapshots (v8.writeHeapSnapshot, each through a new inspector connection) do
 * not keep the map: an object long alive had another id in the second, so there "new" is a sample of
 * the class's objects, not its growth (docs/CLUSTER.md).
 *
 *   npx tsx bench/heap-diff.ts before.heapsnapshot after.heapsnapshot   # prints the top growers
 */
import { pathToFileURL } from 'node:url';
import { type HeapGraph, readHeapGraph, retainerPath, type StringClass } from './heap-graph.js';

/** One class's totals in one snapshot. */
export interface ClassTotals {
  count: number;
  selfBytes: number;
  retainedBytes: number;
}

/** A class's growth from the first snapshot to the second. */
export interface GrowthRow {
  name: string;
  countBefore: number;
  countAfter: number;
  countDelta: number;
  selfBytesDelta: number;
  retainedBytesDelta: number;
  /** Objects of the class in the second snapshot whose id was not in the first. */
  newObjects?: number;
  /** What holds the new objects: retainer path → objects (the most common first). */
  heldBy?: Array<{ path: string; objects: number }>;
}

/** The comparison of two snapshots. */
export interface HeapDiff {
  nodes: { before: number; after: number };
  selfBytes: { before: number; after: number };
  /** Classes by count growth, self-bytes growth and retained-bytes growth (the `top` of each). */
  byCount: GrowthRow[];
  bySelfBytes: GrowthRow[];
  byRetainedBytes: GrowthRow[];
  /** The classes asked for by name (e.g. the string classes of the ids a run makes), whether they grew or not. */
  watched: GrowthRow[];
}

/** Per class: count, self bytes, retained bytes (objects dominated by one of their own class not counted again). */
export const classTotals = (g: HeapGraph): Map<string, ClassTotals> => {
  const out = new Map<string, ClassTotals>();
  // Dominator tree children, to walk it once with a count per class of the objects on the way down.
  const n = g.nodeCount;
  const childCount = new Int32Array(n + 1);
  for (let x = 0; x < n; x++) {
    const d = g.idom[x] ?? -1;
    if (d >= 0) childCount[d + 1]++;
  }
  for (let x = 0; x < n; x++) childCount[x + 1] = (childCount[x + 1] ?? 0) + (childCount[x] ?? 0);
  const children = new Int32Array(childCount[n] ?? 0);
  const fill = childCount.slice();
  for (let x = 0; x < n; x++) {
    const d = g.idom[x] ?? -1;
    if (d >= 0) children[fill[d]++] = x;
  }
  const retainedByClass = new Float64Array(g.classNames.length);
  const onPath = new Int32Array(g.classNames.length);
  // Iterative depth-first walk: a node is pushed as x (enter) and popped again as ~x (leave).
  const stack: number[] = [0];
  while (stack.length > 0) {
    const v = stack.pop() ?? 0;
    if (v < 0) {
      onPath[g.classOf[~v] ?? 0]--;
      continue;
    }
    const c = g.classOf[v] ?? 0;
    if (onPath[c] === 0) retainedByClass[c] += g.retained[v] ?? 0;
    onPath[c]++;
    stack.push(~v);
    for (let j = childCount[v] ?? 0; j < (childCount[v + 1] ?? 0); j++) stack.push(children[j] ?? 0);
  }
  for (let x = 0; x < n; x++) {
    const name = g.classNames[g.classOf[x] ?? 0] ?? '?';
    const e = out.get(name);
    if (e) {
      e.count++;
      e.selfBytes += g.selfSize[x] ?? 0;
    } else out.set(name, { count: 1, selfBytes: g.selfSize[x] ?? 0, retainedBytes: retainedByClass[g.classOf[x] ?? 0] ?? 0 });
  }
  return out;
};

const sumSelf = (g: HeapGraph): number => g.selfSize.reduce((a, b) => a + b, 0);

/** Group the objects of class `name` in `after` whose ids `before` did not have, by retainer path. */
const heldBy = (
  after: HeapGraph,
  beforeIds: Set<number>,
  name: string,
  groups: number,
): { newObjects: number; heldBy: GrowthRow['heldBy'] } => {
  const c = after.classNames.indexOf(name);
  const byPath = new Map<string, number>();
  let fresh = 0;
  for (let x = 0; x < after.nodeCount; x++) {
    if (after.classOf[x] !== c || beforeIds.has(after.id[x] ?? 0)) continue;
    fresh++;
    const p = retainerPath(after, x, 4);
    byPath.set(p, (byPath.get(p) ?? 0) + 1);
  }
  const heldByRows = [...byPath]
    .sort((a, b) => b[1] - a[1])
    .slice(0, groups)
    .map(([path, objects]) => ({ path, objects }));
  return { newObjects: fresh, heldBy: heldByRows };
};

/**
 * Compare two snapshots of one process (`before` first): the `top` classes by each measure, the first
 * `traceTop` count and self-bytes growers traced, and the classes named in `watch` always.
 */
export const diffHeapGraphs = (before: HeapGraph, after: HeapGraph, top = 15, traceTop = 8, watch: readonly string[] = []): HeapDiff => {
  const a = classTotals(before);
  const b = classTotals(after);
  const rows: GrowthRow[] = [];
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    if (name.startsWith('(synthetic)')) continue; // the root and V8's root groups: their retained bytes are the whole heap
    const x = a.get(name) ?? { count: 0, selfBytes: 0, retainedBytes: 0 };
    const y = b.get(name) ?? { count: 0, selfBytes: 0, retainedBytes: 0 };
    rows.push({
      name,
      countBefore: x.count,
      countAfter: y.count,
      countDelta: y.count - x.count,
      selfBytesDelta: y.selfBytes - x.selfBytes,
      retainedBytesDelta: y.retainedBytes - x.retainedBytes,
    });
  }
  const topBy = (k: 'countDelta' | 'selfBytesDelta' | 'retainedBytesDelta'): GrowthRow[] =>
    rows
      .filter((r) => r[k] > 0)
      .sort((p, q) => q[k] - p[k])
      .slice(0, top);
  const byCount = topBy('countDelta');
  const bySelfBytes = topBy('selfBytesDelta');
  const byRetainedBytes = topBy('retainedBytesDelta');
  const beforeIds = new Set<number>(before.id);
  const watched = watch.map(
    (name) =>
      rows.find((r) => r.name === name) ?? {
        name,
        countBefore: 0,
        countAfter: 0,
        countDelta: 0,
        selfBytesDelta: 0,
        retainedBytesDelta: 0,
      },
  );
  const traced = new Set<GrowthRow>([...byCount.slice(0, traceTop), ...bySelfBytes.slice(0, traceTop), ...watched]);
  for (const r of traced) if (r.countDelta > 0) Object.assign(r, heldBy(after, beforeIds, r.name, 4));
  return {
    nodes: { before: before.nodeCount, after: after.nodeCount },
    selfBytes: { before: sumSelf(before), after: sumSelf(after) },
    byCount,
    bySelfBytes,
    byRetainedBytes,
    watched,
  };
};

/** Read and compare two snapshot files; the string `classes` are watched (reported whether they grew or not). */
export const diffHeapSnapshots = (beforeFile: string, afterFile: string, classes: readonly StringClass[] = [], top = 15): HeapDiff =>
  diffHeapGraphs(
    readHeapGraph(beforeFile, classes),
    readHeapGraph(afterFile, classes),
    top,
    8,
    classes.map((c) => `(string) ${c.label}`),
  );

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

/** The diff as lines to print: totals, then the top growers by count and by self bytes (with what holds the new ones). */
export const formatHeapDiff = (d: HeapDiff, label = ''): string[] => {
  const lines = [
    `${label}heap snapshot diff: nodes ${d.nodes.before} → ${d.nodes.after}, self ${kb(d.selfBytes.before)} → ${kb(d.selfBytes.after)}`,
  ];
  const row = (r: GrowthRow): string =>
    `    ${r.name.padEnd(44).slice(0, 44)} ${String(r.countBefore).padStart(7)} → ${String(r.countAfter).padStart(7)} (${r.countDelta >= 0 ? '+' : ''}${r.countDelta})  self ${kb(r.selfBytesDelta)}  retained ${kb(r.retainedBytesDelta)}`;
  for (const [title, rs] of [
    ['by count', d.byCount],
    ['by self bytes', d.bySelfBytes],
    ['by retained bytes', d.byRetainedBytes],
    ['watched', d.watched],
  ] as const) {
    lines.push(title === 'watched' ? '  watched:' : `  top growers ${title}:`);
    for (const r of rs.slice(0, 10)) {
      lines.push(row(r));
      for (const h of r.heldBy ?? []) lines.push(`        ${h.objects} new held by ${h.path}`);
    }
  }
  return lines;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [before, after] = process.argv.slice(2);
  if (!before || !after) throw new Error('usage: tsx bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot>');
  for (const l of formatHeapDiff(diffHeapSnapshots(before, after))) console.log(l);
}
