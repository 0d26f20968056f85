import { describe, expect, it } from 'vitest';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { NearPhase } from '../../../src/tiers/near-slices.js';
import { tierWorld } from './helpers.js';

/** The tuning knobs below are test settings on `npcSim` (not config): set on both worlds. */
const tune = (w: SimWorld, split = false): void => {
  w.npcSim.nearMinNpcs = 0;
  w.npcSim.nearMaxShare = 1;
  w.npcSim.coarseMoveMinNpcs = 0;
  w.npcSim.dormantMoveSteps = 4;
  w.npcSim.gridBuildParts = 3;
  if (split) {
    // Dense-disc scans (more scan steps) and the caps in two steps (tiers 0–1, then tier 2).
    w.npcSim.nearScanChecks = 1;
    w.npcSim.nearCapsSplitMin = 0;
  }
};

describe('checkpoints continue sliced near passes and coarse movement bit-exactly', () => {
  it('also between the two caps steps of a split pass', async () => {
    const w = tierWorld({
      capacity: 4000,
      size: 2000,
      seed: 4,
      sim: { spatialCellSize: 16, tiers: { detailed: { maxNpcs: 30 }, active: { maxNpcs: 200 }, ambient: { maxNpcs: 600 } } },
    });
    tune(w, true);
    populateNpcs(w, { count: 3000, movingFraction: 0.9, maxSpeed: 3 });
    for (let i = 0; i < 6; i++) {
      const p = spawnPlayer(w, 150 + 300 * i, 200 + 250 * i);
      w.stores.Velocity.x[p] = 4;
    }
    const restored: SimWorld[] = [];
    let midCaps = 0;
    for (let step = 0; step < 60; step++) {
      if (w.npcSim.nearPhase === NearPhase.caps && w.npcSim.nearCursor === 2) {
        midCaps++;
        const r = await restoreWorld(await encodeCapture(captureWorld(w)));
        tune(r, true);
        expect(hashWorldState(r)).toBe(hashWorldState(w));
        restored.push(r);
      }
      runStep(w);
      for (const r of restored) runStep(r);
    }
    expect(midCaps).toBeGreaterThanOrEqual(2);
    const h = hashWorldState(w);
    for (const r of restored) expect(hashWorldState(r)).toBe(h);
  });

  it('a world restored at any slice and the original, stepped on, have the same state hash', async () => {
    const w = tierWorld({
      capacity: 4000,
      size: 2000,
      seed: 4,
      sim: { spatialCellSize: 16, tiers: { detailed: { maxNpcs: 30 }, active: { maxNpcs: 200 }, ambient: { maxNpcs: 600 } } },
    });
    tune(w);
    populateNpcs(w, { count: 3000, movingFraction: 0.9, maxSpeed: 3 });
    for (let i = 0; i < 6; i++) {
      const p = spawnPlayer(w, 150 + 300 * i, 200 + 250 * i);
      w.stores.Velocity.x[p] = 4;
    }
    const restored: SimWorld[] = [];
    const phases = new Set<number>();
    for (let step = 0; step < 70; step++) {
      if (step >= 20 && step < 34) {
        phases.add(w.npcSim.nearPhase);
        const r = await restoreWorld(await encodeCapture(captureWorld(w)));
        tune(r);
        expect(hashWorldState(r)).toBe(hashWorldState(w));
        restored.push(r);
      }
      runStep(w);
      for (const r of restored) runStep(r);
    }
    // Checkpoints were taken in every phase of a sliced pass.
    for (const p of [NearPhase.none, NearPhase.scan, NearPhase.place, NearPhase.caps, NearPhase.commit, NearPhase.next])
      expect(phases).toContain(p);
    const h = hashWorldState(w);
    for (const r of restored) expect(hashWorldState(r)).toBe(h);
  });
});
