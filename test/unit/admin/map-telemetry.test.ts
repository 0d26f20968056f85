import { describe, expect, it } from 'vitest';
import { decodeWorldMap, encodeWorldMap, sampleWorldMap } from '../../../src/admin/map.js';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { createSimWorld, spawnNpc, spawnPlayer, updateWorldConfig } from '../../../src/world/sim-world.js';

describe('world map', () => {
  it('quantises positions over the bounds and round-trips the binary form', () => {
    const w = createSimWorld({ id: 'm', capacity: 100, size: 1000 });
    spawnNpc(w, 0, 0);
    spawnNpc(w, 1000, 1000);
    spawnNpc(w, 500, 250);
    w.stores.Tier.tier[2] = 0;
    spawnPlayer(w, 250, 750);
    const m = sampleWorldMap(w);
    const d = decodeWorldMap(encodeWorldMap(m));
    expect(d.npcTotal).toBe(3);
    expect(Array.from(d.npcX)).toEqual([0, 65535, 32768]);
    expect(Array.from(d.npcY)).toEqual([0, 65535, 16384]);
    expect(Array.from(d.npcTier)).toEqual([3, 0, 3]);
    expect(Array.from(d.playerX)).toEqual([16384]);
    expect(d.bounds).toEqual({ minX: 0, minY: 0, maxX: 1000, maxY: 1000 });
  });
  it('downsamples evenly to at most max NPCs', () => {
    const w = createSimWorld({ id: 'm', capacity: 1000 });
    for (let i = 0; i < 1000; i++) spawnNpc(w, i, i);
    const m = sampleWorldMap(w, 300);
    expect(m.npcX.length).toBeLessThanOrEqual(300);
    expect(m.npcX.length).toBeGreaterThan(200);
    expect(m.npcTotal).toBe(1000);
  });
  it('rejects a buffer that is not a map', () => {
    expect(() => decodeWorldMap(new Uint8Array(40))).toThrow(/not a worldtick map/);
  });
});

describe('telemetry', () => {
  it('buckets step cost with the frame budget as an edge, and rebuilds edges when the budget changes', () => {
    const w = createSimWorld({ id: 't', capacity: 10, config: { controller: { frameBudgetMs: 10 } } });
    const tel = createTelemetry();
    for (const ms of [1, 10, 10.5, 200]) {
      w.stats.totalMs = ms;
      w.clock.step++;
      tel.onStep(w);
    }
    const t = tel.of(w);
    expect(Array.from(t.edgesSec)).toContain(0.01);
    const i = Array.from(t.edgesSec).indexOf(0.01);
    const cum = (k: number) =>
      Array.from(t.bucketCounts)
        .slice(0, k + 1)
        .reduce((a, b) => a + b, 0);
    expect(cum(i)).toBe(2); // 1 ms and exactly 10 ms are <= budget
    expect(t.count).toBe(4);
    expect(t.overruns).toBe(2);
    expect(t.bucketCounts[t.edgesSec.length]).toBe(1); // 200 ms > 10 × budget: +Inf
    expect(tel.history(w).totalMs).toEqual([1, 10, 10.5, 200]);
    updateWorldConfig(w, { controller: { frameBudgetMs: 20 } });
    tel.onStep(w);
    expect(Array.from(tel.of(w).edgesSec)).toContain(0.02);
    expect(tel.of(w).count).toBe(1);
  });
});
