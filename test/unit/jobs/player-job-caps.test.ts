import { describe, expect, it } from 'vitest';
import { SCENE_JOB, SCENE_JOB_USER, playerJobUser, sceneJobUser, type SceneJobs } from '../../../src/content/scene-job.js';
import type { SceneInput } from '../../../src/content/scene-gen.js';
import { ErrorCode } from '../../../src/errors.js';
import { pinNpc } from '../../../src/tiers/tier-floors.js';
import { createSimWorld, spawnNpc, spawnPlayer, updateWorldConfig, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';

/**
 * A world whose `scene` jobs never finish (a handler that hangs), so the
 * running counts show the caps. Players at (200, 200) and (1200, 1200) with `per` detailed NPCs
 * each, plus one pinned NPC far from both.
 */
const capWorld = (per: number, jobs: Record<string, number> = {}) => {
  const w = createSimWorld({
    id: 'caps',
    capacity: 200,
    config: { controller: { enabled: false }, jobs, simulation: { maxJobOpsPerStep: 100 } },
  });
  w.jobs.register<SceneInput, null>(SCENE_JOB, { handler: () => new Promise(() => {}) });
  const scenes: SceneJobs = { maxRequestsPerStep: 100, size: 8, octaves: 1, requested: 0, deferred: 0, applied: 0, stale: 0, failed: 0 };
  w.scenes = scenes;
  const a = spawnPlayer(w, 200, 200);
  const b = spawnPlayer(w, 1200, 1200);
  for (let i = 0; i < per; i++) {
    spawnNpc(w, 200 + i, 205);
    spawnNpc(w, 1200 + i, 1205);
  }
  const lone = spawnNpc(w, 1900, 100);
  pinNpc(w, lone, 'detailed');
  return { w, a, b, lone };
};

const steps = (w: SimWorld, n: number) => {
  for (let i = 0; i < n; i++) runStep(w);
};

describe('jobs that belong to players', () => {
  it('a scene job counts against the NPC’s nearest player; world-owned when no player is near', () => {
    const { w, a, b, lone } = capWorld(1);
    runStep(w);
    const near = (x: number) => {
      for (let e = 1; e <= 200; e++) if (w.stores.Position.x[e] === x && e !== a && e !== b) return e;
      return -1;
    };
    expect(sceneJobUser(w, near(200))).toBe(playerJobUser(a));
    expect(sceneJobUser(w, near(1200))).toBe(playerJobUser(b));
    expect(sceneJobUser(w, lone)).toBe(SCENE_JOB_USER);
  });

  it('a player’s jobs are capped per player; the world cap holds over all of them', () => {
    const { w, a, b } = capWorld(5, { perUserConcurrency: 2, perWorldConcurrency: 8 });
    steps(w, 3);
    // 5 + 5 + 1 requested; 2 per player and 1 world-owned run (was: 2 in all, one shared user).
    expect(w.scenes!.requested).toBe(11);
    expect(w.jobs.runningFor(playerJobUser(a))).toBe(2);
    expect(w.jobs.runningFor(playerJobUser(b))).toBe(2);
    expect(w.jobs.runningFor(SCENE_JOB_USER)).toBe(1);
    expect(w.jobs.stats()).toMatchObject({ running: 5, pending: 6, runningUsers: 3, perUserConcurrency: 2, perWorldConcurrency: 8 });
    expect(w.jobs.stats().userCapWaits).toBeGreaterThan(0);

    // The caps are live config keys: with 4 per player, the world cap (8) is what stops starts.
    updateWorldConfig(w, { jobs: { perUserConcurrency: 4 } });
    steps(w, 1);
    const ra = w.jobs.runningFor(playerJobUser(a)),
      rb = w.jobs.runningFor(playerJobUser(b));
    expect(ra).toBeLessThanOrEqual(4);
    expect(rb).toBeLessThanOrEqual(4);
    expect(ra + rb).toBe(7);
    expect(w.jobs.stats().running).toBe(8);
  });

  it('the world cap limits new starts across players', () => {
    const { w } = capWorld(5, { perUserConcurrency: 5, perWorldConcurrency: 3 });
    steps(w, 3);
    expect(w.jobs.stats()).toMatchObject({ running: 3, pending: 8 });
  });

  it('bad cap values are refused by the config with named paths', () => {
    const { w } = capWorld(1);
    expect(() => updateWorldConfig(w, { jobs: { perUserConcurrency: 0, perWorldConcurrency: 1.5 } })).toThrowError(
      expect.objectContaining({
        code: ErrorCode.CONFIG_INVALID,
        message: expect.stringMatching(
          /jobs\.perUserConcurrency.*jobs\.perWorldConcurrency|jobs\.perWorldConcurrency.*jobs\.perUserConcurrency/,
        ),
      }),
    );
    expect(w.config.jobs).toEqual({ perWorldConcurrency: 8, perUserConcurrency: 2 });
  });
});
