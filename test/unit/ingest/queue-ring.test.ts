/**
 * A queue fact type's ring (src/ingest/type-buffer.ts) holds what is pending, not its bound: every
 * world defines the ledger's critical queue with a hard bound of 2^18 facts (src/ledger/world-ledger.ts),
 * and a ring allocated at that bound cost each world 4 MiB (2 MiB of Float64Array keys, 2 MiB of
 * fact slots) before its first purchase — 1.2 GB for 300 match worlds (bench/many-worlds.ts).
 */
import { describe, expect, it } from 'vitest';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';

const world = (): SimWorld => createSimWorld({ id: 'ring', capacity: 64 });

describe('queue ring of an ingest fact type', () => {
  it('costs memory for its pending facts, not for its hard bound', () => {
    const w = world();
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 16; i++)
      w.ingest.define(`tx-${i}`, {
        mode: 'queue',
        lane: 'critical',
        critical: true,
        capacity: 4096,
        hardCapacity: 1 << 18,
        apply: () => undefined,
      });
    // At the bound: 16 × 2 MiB of keys. Growing with use: a few KiB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('keeps first-in first-out order while it grows, wrapped or not, up to the hard bound', () => {
    const w = world();
    const got: number[] = [];
    w.ingest.define('q', { mode: 'queue', capacity: 300, apply: (_w, k) => void got.push(k) });
    for (let i = 0; i < 16; i++) w.ingest.push('q', i, null);
    w.ctx.budgets.ingestDrain = 5;
    runStep(w); // 0..4 applied: the oldest pending fact is no longer the first slot
    for (let i = 16; i < 300 + 5; i++) expect(w.ingest.push('q', i, null)).toBe('accepted');
    expect(w.ingest.push('q', 999, null)).toBe('dropped'); // dropOldest at capacity: 5 goes
    w.ctx.budgets.ingestDrain = 1000;
    runStep(w);
    expect(got).toEqual([...Array.from({ length: 305 }, (_, i) => i).slice(0, 5), ...Array.from({ length: 299 }, (_, i) => i + 6), 999]);
  });

  it('a critical queue still takes exactly its hard bound, then refuses', () => {
    const w = world();
    const got: number[] = [];
    w.ingest.define('buy', { mode: 'queue', critical: true, capacity: 8, hardCapacity: 100, apply: (_w, k) => void got.push(k) });
    for (let i = 0; i < 100; i++) expect(w.ingest.push('buy', i, null)).toBe('accepted');
    expect(() => w.ingest.push('buy', 100, null)).toThrow(/hard bound \(100\)/);
    runStep(w);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('gives a burst ring back at compaction once it is empty', () => {
    const w = world();
    w.ingest.define('q', { mode: 'queue', capacity: 10_000, apply: () => undefined });
    for (let i = 0; i < 5000; i++) w.ingest.push('q', i, null);
    expect(w.ingest.compact()).toBe(0); // facts pending: kept
    w.ctx.budgets.ingestDrain = 10_000;
    runStep(w);
    expect(w.ingest.compact()).toBe(1);
    expect(w.ingest.compact()).toBe(0);
    expect(w.ingest.push('q', 1, null)).toBe('accepted');
  });
});
