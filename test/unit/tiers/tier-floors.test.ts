import { describe, expect, it } from 'vitest';
import { TierCode } from '../../../components/tier.js';
import { ErrorCode } from '../../../src/errors.js';
import { listPins, pinNpc, pinOf, unpinNpc } from '../../../src/tiers/tier-floors.js';
import { listZones, removeZone, replaceZones, setZone, zonesAt } from '../../../src/tiers/tier-zones.js';
import { spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';
import { tierWorld } from './helpers.js';

// dtWorld 3 world seconds per step; tiers: detailed every step, active every 60 s (20 steps),
// ambient every 600 s, dormant every 3600 s (the defaults).
const world = () => {
  const w = tierWorld({ dtWorld: 3 });
  const far = spawnNpc(w, 1900, 1900);
  const near = spawnNpc(w, 105, 100);
  const player = spawnPlayer(w, 100, 100);
  return { w, far, near, player };
};

describe('pins', () => {
  it('a pinned NPC far from every player stays at its tier and is ticked at that tier’s rate', () => {
    const { w, far } = world();
    runStep(w);
    expect(w.stores.Tier.tier[far]).toBe(TierCode.dormant);
    pinNpc(w, far, 'detailed');
    const ticks: number[] = [];
    for (let i = 0; i < 30; i++) {
      runStep(w);
      expect(w.stores.Tier.tier[far]).toBe(TierCode.detailed);
      ticks.push(w.stores.Tier.lastTickedAt[far]);
    }
    // Detailed (tickSeconds 0): ticked every step, so the last tick follows world time.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBeCloseTo(3, 6);
    expect(w.tierStats.pinned).toBe(1);

    // Pinned to active: ticked every 60 world seconds (every 20 steps of 3 s).
    pinNpc(w, far, 'active');
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) {
      runStep(w);
      expect(w.stores.Tier.tier[far]).toBe(TierCode.active);
      seen.add(w.stores.Tier.lastTickedAt[far]);
    }
    const at = [...seen].sort((a, b) => a - b);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeCloseTo(60, 6);
    expect(at.length).toBeGreaterThanOrEqual(5);

    expect(unpinNpc(w, far)).toBe(true);
    expect(unpinNpc(w, far)).toBe(false);
    runStep(w);
    expect(w.stores.Tier.tier[far]).toBe(TierCode.dormant);
    expect(listPins(w)).toEqual([]);
  });

  it('a pin for a duration (world seconds) expires on its own', () => {
    const { w, far } = world();
    runStep(w);
    const p = pinNpc(w, far, TierCode.active, 30); // 10 steps
    expect(p.until).toBeCloseTo(w.clock.now + 30);
    for (let i = 0; i < 9; i++) {
      runStep(w);
      expect(w.stores.Tier.tier[far]).toBe(TierCode.active);
    }
    for (let i = 0; i < 3; i++) runStep(w);
    expect(w.stores.Tier.tier[far]).toBe(TierCode.dormant);
    expect(pinOf(w, far)).toBeNull();
  });

  it('a pin is a minimum: a nearer NPC keeps its tighter tier', () => {
    const { w, near } = world();
    pinNpc(w, near, 'ambient');
    runStep(w);
    expect(w.stores.Tier.tier[near]).toBe(TierCode.detailed);
  });

  it('bad pins are refused with coded errors and change nothing', () => {
    const { w, far, player } = world();
    runStep(w);
    const h = hashWorldState(w);
    expect(() => pinNpc(w, player, 'detailed')).toThrowError(expect.objectContaining({ code: ErrorCode.NPC_NOT_FOUND }));
    expect(() => pinNpc(w, 999, 'detailed')).toThrowError(expect.objectContaining({ code: ErrorCode.NPC_NOT_FOUND }));
    expect(() => pinNpc(w, '1', 'detailed')).toThrowError(expect.objectContaining({ code: ErrorCode.NPC_NOT_FOUND }));
    expect(() => pinNpc(w, far, 'dormant')).toThrowError(/tier must be one of detailed, active, ambient/);
    expect(() => pinNpc(w, far, 'detailed', -1)).toThrowError(expect.objectContaining({ code: ErrorCode.TIER_PIN_INVALID }));
    expect(() => pinNpc(w, far, 'detailed', Infinity)).toThrowError(/seconds must be a number > 0/);
    expect(listPins(w)).toEqual([]);
    expect(hashWorldState(w)).toBe(h);
  });

  it('pins hold within the tier cap: floored NPCs are kept first, nearest first', () => {
    const w = tierWorld({ sim: { tiers: { detailed: { maxNpcs: 2 } } } });
    spawnPlayer(w, 100, 100);
    const near = [spawnNpc(w, 101, 100), spawnNpc(w, 102, 100), spawnNpc(w, 103, 100)];
    const far = spawnNpc(w, 1500, 1500);
    pinNpc(w, far, 'detailed');
    runStep(w);
    expect(w.stores.Tier.tier[far]).toBe(TierCode.detailed);
    expect(w.stores.Tier.tier[near[0]]).toBe(TierCode.detailed);
    expect(w.stores.Tier.tier[near[1]]).toBe(TierCode.active);
    expect(w.stores.Tier.tier[near[2]]).toBe(TierCode.active);
    expect(w.tierStats.npcsPerTier[0]).toBe(2);
  });
});

describe('tier zones', () => {
  it('an NPC inside a zone gets the zone’s tier; outside, its distance tier', () => {
    const { w, far } = world();
    const also = spawnNpc(w, 1850, 1850);
    const outside = spawnNpc(w, 1500, 1900);
    setZone(w.npcSim.zones, { id: 'square', minX: 1800, minY: 1800, maxX: 1950, maxY: 1950, tier: 'active' });
    runStep(w);
    expect(w.stores.Tier.tier[far]).toBe(TierCode.active);
    expect(w.stores.Tier.tier[also]).toBe(TierCode.active);
    expect(w.stores.Tier.tier[outside]).toBe(TierCode.dormant);
    expect(listZones(w.npcSim.zones)).toEqual([{ id: 'square', minX: 1800, minY: 1800, maxX: 1950, maxY: 1950, tier: 'active', npcs: 2 }]);
    expect(w.tierStats.zoned).toBe(2);
    // Overlapping zones: the tighter tier wins.
    setZone(w.npcSim.zones, { minX: 1880, minY: 1880, maxX: 1920, maxY: 1920, tier: 'detailed' }, 'quest');
    runStep(w);
    expect(w.stores.Tier.tier[far]).toBe(TierCode.detailed);
    expect(w.stores.Tier.tier[also]).toBe(TierCode.active);
    expect(zonesAt(w.npcSim.zones, 1900, 1900).map((z) => z.id)).toEqual(['quest', 'square']);
    removeZone(w.npcSim.zones, 'quest');
    removeZone(w.npcSim.zones, 'square');
    runStep(w);
    expect(w.stores.Tier.tier[far]).toBe(TierCode.dormant);
    expect(() => removeZone(w.npcSim.zones, 'square')).toThrowError(expect.objectContaining({ code: ErrorCode.TIER_ZONE_NOT_FOUND }));
  });

  it('an NPC walking into a zone is promoted at the next pass', () => {
    const { w } = world();
    const walker = spawnNpc(w, 1000, 1000);
    replaceZones(w.npcSim.zones, [{ id: 'z', minX: 1100, minY: 900, maxX: 1200, maxY: 1100, tier: 'ambient' }]);
    runStep(w);
    expect(w.stores.Tier.tier[walker]).toBe(TierCode.dormant);
    w.stores.Position.x[walker] = 1150;
    for (let i = 0; i < 6; i++) runStep(w); // a scheduled pass within tieringIntervalSteps
    expect(w.stores.Tier.tier[walker]).toBe(TierCode.ambient);
  });

  it('replaceZones is all or nothing and lists every problem', () => {
    const { w } = world();
    replaceZones(w.npcSim.zones, [{ id: 'a', minX: 0, minY: 0, maxX: 10, maxY: 10, tier: 'active' }]);
    let err: any;
    try {
      replaceZones(w.npcSim.zones, [
        { id: 'b', minX: 10, minY: 0, maxX: 5, maxY: 10, tier: 'active' },
        { id: 'b', minX: 0, minY: 0, maxX: 5, maxY: 10, tier: 'dormant', color: 'red' },
        { minX: 0, minY: 0, maxX: 5, maxY: 'x', tier: 'active' },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err.code).toBe(ErrorCode.TIER_ZONE_INVALID);
    expect(err.details.problems).toEqual([
      'zones[0].minX must be < maxX',
      'zones[1].color is not a known field',
      'zones[1].tier must be one of detailed, active, ambient',
      'zones[2].id must be 1-64 characters of A-Z a-z 0-9 _ . -',
      'zones[2].maxY must be a finite number with |value| <= 1e9',
    ]);
    expect(listZones(w.npcSim.zones).map((z) => z.id)).toEqual(['a']);
  });

  it('without pins or zones the tiering result is unchanged by the floor machinery', () => {
    const a = world();
    const b = world();
    pinNpc(b.w, b.far, 'detailed');
    unpinNpc(b.w, b.far);
    setZone(b.w.npcSim.zones, { id: 'x', minX: 0, minY: 0, maxX: 10, maxY: 10, tier: 'active' });
    removeZone(b.w.npcSim.zones, 'x');
    for (let i = 0; i < 40; i++) {
      runStep(a.w);
      runStep(b.w);
    }
    expect(hashWorldState(b.w)).toBe(hashWorldState(a.w));
  });
});
