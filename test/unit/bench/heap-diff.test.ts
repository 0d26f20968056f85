/**
 * bench/heap-diff.ts on real snapshots: a child node process writes a heap snapshot, makes 1,000
 * objects of class `Leaky` (each with its own tag string) kept in a global array and a chain of 100
 * `Link`s, and writes a second one; the diff must find them, what holds them, and their sizes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classTotals, diffHeapGraphs, formatHeapDiff, type HeapDiff } from '../../../bench/heap-diff.js';
import { type HeapGraph, readHeapGraph } from '../../../bench/heap-graph.js';

const CHILD = `
const v8 = require('node:v8');
class Leaky { constructor(i) { this.i = i; this.tag = 'leaky-' + i; } }
class Link { constructor(next) { this.next = next; } }
globalThis.kept = [];
v8.writeHeapSnapshot(process.argv[1]);
for (let i = 0; i < 1000; i++) globalThis.kept.push(new Leaky(i));
let head = null;
for (let i = 0; i < 100; i++) head = new Link(head);
globalThis.chain = head;
v8.writeHeapSnapshot(process.argv[2]);
`;

const classes = [{ label: 'leaky tag', test: /^leaky-\d+$/ }];
let dir = '';
let before: HeapGraph;
let after: HeapGraph;
let diff: HeapDiff;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wt-heap-diff-'));
  const [a, b] = [join(dir, 'a.heapsnapshot'), join(dir, 'b.heapsnapshot')];
  execFileSync(process.execPath, ['-e', CHILD, a, b], { stdio: 'ignore' });
  before = readHeapGraph(a, classes);
  after = readHeapGraph(b, classes);
  diff = diffHeapGraphs(before, after, 15, 8, ['(string) leaky tag', '(string) never made']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (name: string) => diff.byCount.find((r) => r.name === name);

describe('heap diff', () => {
  it('finds +1,000 Leaky and +1,000 tag strings, all new, held by the global array', () => {
    const leaky = row('Leaky');
    expect(leaky).toMatchObject({ countBefore: 0, countAfter: 1000, countDelta: 1000, newObjects: 1000 });
    expect(leaky?.heldBy?.[0]?.objects).toBe(1000);
    expect(leaky?.heldBy?.[0]?.path).toContain('.kept');
    expect(row('(string) leaky tag')).toMatchObject({ countBefore: 0, countDelta: 1000 });
    expect(row('Link')).toMatchObject({ countDelta: 100 });
    expect(formatHeapDiff(diff).join('\n')).toMatch(/Leaky +0 → +1000 \(\+1000\)/);
    // Watched classes are reported whether they grew or not (and traced).
    expect(diff.watched.map((r) => [r.name, r.countDelta])).toEqual([
      ['(string) leaky tag', 1000],
      ['(string) never made', 0],
    ]);
    expect(diff.watched[0]?.heldBy?.[0]?.path).toContain('Leaky.tag');
  });

  it('retained bytes: a Leaky retains its tag; the class is the sum; a chain is counted once', () => {
    const totals = classTotals(after);
    const leaky = totals.get('Leaky');
    const tags = totals.get('(string) leaky tag');
    expect(leaky && tags).toBeTruthy();
    // Each tag string is held only by its Leaky: the class retains both.
    expect(leaky?.retainedBytes).toBe((leaky?.selfBytes ?? 0) + (tags?.selfBytes ?? 0));
    // The head of the chain dominates every other link: the class's retained bytes are about the 100 links'
    // own (the head's retained size), not the sum of 100 nested retained sizes (~50 times as much).
    const link = totals.get('Link');
    expect(link?.retainedBytes).toBeGreaterThanOrEqual(link?.selfBytes ?? 0);
    expect(link?.retainedBytes).toBeLessThan((link?.selfBytes ?? 0) * 1.2);
    expect(diff.byRetainedBytes.find((r) => r.name === 'Leaky')?.retainedBytesDelta).toBe(leaky?.retainedBytes);
  });
});
