/**
 * What a leak test reads of a child process's heap: the strings a V8 heap snapshot holds, and what
 * holds them. The child runs with `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>` (in
 * NODE_OPTIONS, {@link heapSnapshotEnv}); {@link retainedStrings} signals it and reads the snapshot it
 * writes. V8 collects all the garbage it can before a snapshot, so a string in it is reachable.
 *
 * Each string found comes with its retainer paths: for every object that points at it, the
 * shortest path from the GC roots to that object (the string table's own entries are weak and not
 * followed), the last steps written `Owner.property > Map > [] > string`. A failing test says
 * where a leak is kept; a test can also accept a string kept only by a structure it knows is bounded.
 *
 * `WT_KEEP_HEAP_SNAPSHOT=<prefix>` keeps a copy of each snapshot (`<prefix>-<pid>.heapsnapshot`)
 * to open in Chrome DevTools.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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

/** A snapshot file is complete once its JSON ends (the `strings` array is written last). */
const complete = (file: string): boolean => {
  if (statSync(file).size < 16) return false;
  return /\]\s*\}\s*$/.test(readFileSync(file, 'latin1').slice(-16));
};

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** The strings of `snap` that contain `needle`, each with its retainer paths (see the module comment). */
const held = (snap: Snapshot, needle: string): HeldString[] => {
  const { meta } = snap.snapshot;
  const { nodes, edges, strings } = snap;
  const NF = meta.node_fields.length;
  const EF = meta.edge_fields.length;
  const [nodeTypes] = meta.node_types;
  const [edgeTypes] = meta.edge_types;
  const T = meta.node_fields.indexOf('type');
  const N = meta.node_fields.indexOf('name');
  const EC = meta.node_fields.indexOf('edge_count');
  const ET = meta.edge_fields.indexOf('type');
  const EN = meta.edge_fields.indexOf('name_or_index');
  const TO = meta.edge_fields.indexOf('to_node');
  const count = nodes.length / NF;
  const name = (i: number): string => String(strings[nodes[i * NF + N] ?? 0]);
  const type = (i: number): string => String(nodeTypes[nodes[i * NF + T] ?? 0]);
  const edgeName = (e: number): string => {
    const t = edgeTypes[edges[e + ET] ?? 0];
    return t === 'element' || t === 'hidden' || t === 'internal' ? '[]' : `.${String(strings[edges[e + EN] ?? 0])}`;
  };
  // Retainers of each node: [from node, edge offset], weak edges and the string table left out.
  const retainers: Array<Array<[number, number]>> = Array.from({ length: count }, () => []);
  for (let i = 0, e = 0; i < count; i++) {
    const end = e + (nodes[i * NF + EC] ?? 0) * EF;
    const skip = name(i).startsWith('(Internalized strings');
    for (; e < end; e += EF) {
      if (skip || edgeTypes[edges[e + ET] ?? 0] === 'weak') continue;
      retainers[(edges[e + TO] ?? 0) / NF]?.push([i, e]);
    }
  }
  /** The last steps of the shortest path from the root (node 0) to `start`, or null when none. */
  const pathTo = (start: number): string[] | null => {
    const next = new Map<number, [number, number] | null>([[start, null]]);
    const queue = [start];
    for (let h = 0; h < queue.length && !next.has(0); h++) {
      const x = queue[h] ?? 0;
      for (const [r, e] of retainers[x] ?? []) {
        if (next.has(r)) continue;
        next.set(r, [x, e]);
        queue.push(r);
      }
    }
    if (!next.has(0)) return null;
    const steps: string[] = [];
    for (let x = 0; x !== start; ) {
      const [child, e] = next.get(x) ?? [start, 0];
      steps.push(`${name(x).slice(0, 40)}${edgeName(e)}`);
      x = child;
    }
    return steps;
  };
  const out: HeldString[] = [];
  for (let i = 0; i < count; i++) {
    if (!type(i).includes('string') || !name(i).includes(needle)) continue;
    const paths = (retainers[i] ?? []).map(([r, e]) => {
      const p = pathTo(r);
      return p === null ? `(unreachable) ${name(r)}${edgeName(e)}` : [...p.slice(-8), `${name(r).slice(0, 40)}${edgeName(e)}`].join(' > ');
    });
    out.push({ value: name(i), paths });
  }
  return out;
};

/**
 * Signal `child` (started with {@link heapSnapshotEnv}`(dir)`) to write a heap snapshot, wait for it,
 * and return every string in it that contains `needle`, with what keeps it (the snapshot is deleted
 * after). Node writes the file on the child's main thread, so this waits for its event loop.
 */
export const retainedStrings = async (child: ChildProcess, dir: string, needle: string, timeoutMs = 30_000): Promise<HeldString[]> => {
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
  return held(JSON.parse(text) as Snapshot, needle);
};
