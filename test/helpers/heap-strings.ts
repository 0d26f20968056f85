/**
 * What a leak test reads of a child process's heap: the strings a V8 heap snapshot holds, and what
 * holds them. The child runs with `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>` (in
 * NODE_OPTIONS, {@link heapSnapshotEnv}); {@link retainedStrings} signals it and reads the snapshot it
 * writes. V8 collects all the garbage it can before a snapshot, so a string in it is reachable.
 *
 * Each string found comes with its retainer paths: for every object that points at it, the
 * shortest path from the GC roots to that object (the string table's own entries are weak and not
 * followed; V8's inline-cache feedback is not a retainer), the last steps written `Owner.property > Map > [] > string`. A failing test says
 * where a leak is kept; a test can also accept a string kept only by a structure it knows is bounded.
 *
 * `WT_KEEP_HEAP_SNAPSHOT=<prefix>` keeps a copy of each snapshot (`<prefix>-<pid>.heapsnapshot`)
 * to open in Chrome DevTools; `WT_HEAP_PATH_STEPS=<n>` writes the last n steps of each path (8).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Environment for a child whose heap {@link retainedStrings} reads: snapshots go to `dir`. */
export const heapSnapshotEnv = (dir: string): Record<string, string> => ({
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`.trim(),
});

/** A string of the heap and the paths that keep it (one per object pointing at it). */
export interface HeldString {
  readonly value: string;
  readonly paths: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A snapshot file is complete once its JSON ends (the `strings` array is written last). Reads only the
 * file's last 16 bytes: the file is polled while V8 writes it (tens of MB).
 */
const complete = (file: string): boolean => {
  const size = statSync(file).size;
  if (size < 16) return false;
  const tail = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, tail, 0, 16, size - 16);
  } finally {
    closeSync(fd);
  }
  return /\]\s*\}\s*$/.test(tail.toString('latin1'));
};

/** A V8 `.heapsnapshot` file's JSON: flat `nodes` and `edges` arrays laid out by `snapshot.meta`. */
export interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Where each field sits in a node (`NF` numbers) and an edge (`EF` numbers) of `snap`, and the type names. */
export const snapshotLayout = (snap: Snapshot) => {
  const { node_fields: nf, edge_fields: ef, node_types, edge_types } = snap.snapshot.meta;
  return {
    NF: nf.length,
    EF: ef.length,
    nodeTypes: node_types[0],
    edgeTypes: edge_types[0],
    T: nf.indexOf('type'),
    N: nf.indexOf('name'),
    ID: nf.indexOf('id'),
    SS: nf.indexOf('self_size'),
    EC: nf.indexOf('edge_count'),
    ET: ef.indexOf('type'),
    EN: ef.indexOf('name_or_index'),
    TO: ef.indexOf('to_node'),
  };
};

/**
 * V8's inline-cache feedback of a function: a keyed property access site keeps the last property names
 * it saw (`worlds[id] = …` kept a deleted world's id: fresh-clone CI J, `sumWorldNets`), a few per site
 * in the code at most, replaced as the site sees others — the engine's bounded cache, not the program's
 * state. Not counted as a retainer.
 */
const FEEDBACK_VECTOR = 'system / FeedbackVector';

/**
 * The nodes of `snap` that `wanted` marks (indexed by node), each with its retainer paths (see the module
 * comment); V8's inline-cache feedback ({@link FEEDBACK_VECTOR}) does not count as a retainer.
 * The walk keeps its state in typed arrays indexed by node (a snapshot has ~10^5-10^6 nodes and several
 * times as many edges); which nodes are wanted is decided once per node, not once per edge.
 */
const heldNodes = (snap: Snapshot, wanted: Uint8Array): HeldString[] => {
  const { nodes, edges, strings } = snap;
  const { NF, EF, edgeTypes, N, EC, ET, EN, TO } = snapshotLayout(snap);
  const count = nodes.length / NF;
  const name = (i: number): string => String(strings[nodes[i * NF + N] ?? 0]);
  const edgeName = (e: number): string => {
    const t = edgeTypes[edges[e + ET] ?? 0];
    return t === 'element' || t === 'hidden' || t === 'internal' ? '[]' : `.${String(strings[edges[e + EN] ?? 0])}`;
  };
  // One breadth-first walk from the root (node 0) along strong edges (weak ones and the string table left
  // out): each node's parent on a shortest path (node and edge offset; -1: not reached); the retainers
  // of the nodes asked for are collected on the way.
  const firstEdge = new Int32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += (nodes[i * NF + EC] ?? 0) * EF;
  }
  firstEdge[count] = edges.length;
  const weak = edgeTypes.indexOf('weak');
  const parentNode = new Int32Array(count).fill(-1);
  const parentEdge = new Int32Array(count);
  const retainers = new Map<number, Array<[number, number]>>();
  const seen = new Uint8Array(count);
  seen[0] = 1;
  const queue = new Int32Array(count);
  let tail = 1;
  for (let h = 0; h < tail; h++) {
    const x = queue[h] ?? 0;
    if (name(x).startsWith('(Internalized strings')) continue;
    const engineCache = name(x) === FEEDBACK_VECTOR;
    for (let e = firstEdge[x] ?? 0; e < (firstEdge[x + 1] ?? 0); e += EF) {
      if ((edges[e + ET] ?? 0) === weak) continue;
      const to = (edges[e + TO] ?? 0) / NF;
      if (wanted[to] && !engineCache) {
        const by = retainers.get(to);
        if (by) by.push([x, e]);
        else retainers.set(to, [[x, e]]);
      }
      if (seen[to]) continue;
      seen[to] = 1;
      parentNode[to] = x;
      parentEdge[to] = e;
      queue[tail++] = to;
    }
  }
  /** The steps of the shortest path from the root to `node` (it was reached). */
  const pathTo = (node: number): string[] => {
    const steps: string[] = [];
    for (let x = node; x !== 0; ) {
      const p = Math.max(0, parentNode[x] ?? 0);
      const e = parentNode[x] === -1 ? 0 : (parentEdge[x] ?? 0);
      steps.unshift(`${name(p).slice(0, 40)}${edgeName(e)}`);
      x = p;
    }
    return steps;
  };
  const out: HeldString[] = [];
  for (const [i, by] of retainers) {
    const paths = by.map(([r, e]) =>
      [...pathTo(r).slice(-Number(process.env.WT_HEAP_PATH_STEPS ?? 8)), `${name(r).slice(0, 40)}${edgeName(e)}`].join(' > '),
    );
    out.push({ value: name(i), paths });
  }
  return out;
};

/** The strings of `snap` that contain `needle`, each with its retainer paths. */
const held = (snap: Snapshot, needle: string): HeldString[] => {
  const { nodes, strings } = snap;
  const { NF, nodeTypes, T, N } = snapshotLayout(snap);
  const count = nodes.length / NF;
  const wanted = new Uint8Array(count);
  const stringType = nodeTypes.map((t) => String(t).includes('string'));
  for (let i = 0; i < count; i++)
    if (stringType[nodes[i * NF + T] ?? 0] && String(strings[nodes[i * NF + N] ?? 0]).includes(needle)) wanted[i] = 1;
  return heldNodes(snap, wanted);
};

/**
 * Signal `child` (started with {@link heapSnapshotEnv}`(dir)`) to write a heap snapshot, wait for it,
 * and return every string in it that contains `needle`, with what keeps it (the snapshot is deleted
 * after). Node writes the file on the child's main thread, so this waits for its event loop.
 */
export const retainedStrings = async (child: ChildProcess, dir: string, needle: string, timeoutMs = 30_000): Promise<HeldString[]> =>
  held(await heapSnapshotOf(child, dir, timeoutMs), needle);

/** Signal `child` (started with {@link heapSnapshotEnv}`(dir)`) to write a heap snapshot and return it parsed (the file is deleted). */
const heapSnapshotOf = async (child: ChildProcess, dir: string, timeoutMs = 30_000): Promise<Snapshot> => {
  const before = new Set(readdirSync(dir));
  child.kill('SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  let file: string | undefined;
  while (Date.now() < deadline) {
    const name = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (name !== undefined && complete(join(dir, name))) {
      file = join(dir, name);
      break;
    }
    await sleep(100);
  }
  if (file === undefined) throw new Error(`no heap snapshot in ${dir} within ${timeoutMs} ms`);
  const keep = process.env.WT_KEEP_HEAP_SNAPSHOT;
  if (keep) copyFileSync(file, `${keep}-${child.pid}.heapsnapshot`);
  const text = readFileSync(file, 'utf8');
  rmSync(file);
  return JSON.parse(text) as Snapshot;
};

/**
 * The world objects with id `worldId` the heap of `child` holds (started with {@link heapSnapshotEnv}`(dir)`),
 * each with what keeps it (`paths`; `value` is the object's constructor name): objects with an `ingest`
 * property that is an `IngestBuffers` and an `id` property that is the string `worldId`
 * (src/world/sim-world.ts builds every world so).
 */
export const worldObjects = async (child: ChildProcess, dir: string, worldId: string, timeoutMs = 30_000): Promise<HeldString[]> => {
  const snap = await heapSnapshotOf(child, dir, timeoutMs);
  const { nodes, edges, strings } = snap;
  const { NF, EF, edgeTypes, N, EC, ET, EN, TO } = snapshotLayout(snap);
  const name = (i: number): string => String(strings[nodes[i * NF + N] ?? 0]);
  const wanted = new Uint8Array(nodes.length / NF);
  for (let i = 0, e = 0; i < nodes.length / NF; i++) {
    const end = e + (nodes[i * NF + EC] ?? 0) * EF;
    let ingest = false;
    let id = false;
    for (; e < end; e += EF) {
      if (edgeTypes[edges[e + ET] ?? 0] !== 'property') continue;
      const prop = String(strings[edges[e + EN] ?? 0]);
      const to = (edges[e + TO] ?? 0) / NF;
      if (prop === 'ingest' && name(to) === 'IngestBuffers') ingest = true;
      else if (prop === 'id' && name(to) === worldId) id = true;
    }
    if (ingest && id) wanted[i] = 1;
  }
  return heldNodes(snap, wanted);
};
