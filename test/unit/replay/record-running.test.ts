/**
 * Recording started on a world that has already run (not from its seed at step 0): the recorder
 * captures the world in the same turn as it attaches, the log starts from that checkpoint, and job
 * ids in it are relative to the jobs submitted before (scene jobs on a real worker thread ran
 * before and during the recording); the replay restores the checkpoint and matches every hash.
 * A running world with jobs in flight refuses to start a recording (coded error), changing nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { playerRow } from '../../../components/player-table.js';
import { CROWD_SYSTEMS } from '../../../systems/index.js';
import { createScenePool, enableScenes } from '../../../src/content/scene-job.js';
import { ErrorCode } from '../../../src/errors.js';
import { defineInputIngest, INPUT_INGEST_TYPE } from '../../../src/net/input.js';
import { readLog } from '../../../src/replay/log-format.js';
import { Recorder } from '../../../src/replay/recorder.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { recipeOfTestWorld } from '../../helpers/world-recipe.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'wt-rec-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recipeOf = (w: SimWorld) => recipeOfTestWorld(w, { npcs: 200, scenes: true, inputMaxSpeed: 2 });

describe('recording a running world', () => {
  it('starts from a checkpoint of the world as it is; the replay restores it and matches every hash', async () => {
    const pool = createScenePool({ maxThreads: 1 });
    const w = createSimWorld({ id: 'run', capacity: 1000, seed: 11, size: 400, config: { simulation: { timeScale: 60 } } });
    try {
      populateNpcs(w, { count: 200 });
      const player = spawnPlayer(w, 60, 60, 100);
      w.stores.Player.session[playerRow(w.stores, player)] = 1; // the session its inputs come from
      const scenes = enableScenes(w, pool);
      defineInputIngest(w, 2);
      let seq = 0;
      let move = 0; // still before the recording; walking across the world (new NPCs near it) during it
      const step = async (): Promise<void> => {
        w.ingest.push(INPUT_INGEST_TYPE, player, { session: 1, seq: ++seq, moveX: move, moveY: move * ((seq % 3) - 1), actions: 0 });
        runStep(w);
        await sleep(1); // scene jobs settle between steps
      };
      for (let i = 0; i < 40 || w.jobs.stats().submitted === 0; i++) await step();
      // No new requests until the queue is idle (what is in flight is not in a checkpoint), then as before.
      scenes.maxRequestsPerStep = 0;
      for (let i = 0; i < 2000; i++) {
        const j = w.jobs.stats();
        if (j.pending + j.running + j.awaitingApply === 0) break;
        await step();
      }
      scenes.maxRequestsPerStep = 4;
      const submittedBefore = w.jobs.stats().submitted;
      expect(submittedBefore).toBeGreaterThan(0);

      const file = join(dir, 'running.wtlog');
      const rec = new Recorder(w, { path: file, recipe: recipeOf, hashEvery: 4 });
      await rec.start();
      move = 1;
      expect(rec.startCheckpoint).toMatchObject({ step: w.clock.step, reason: 'running', jobIdBase: submittedBefore });
      for (let i = 0; i < 40 || (rec.stats.settles === 0 && i < 1000); i++) await step();
      await rec.stop();
      expect(rec.stats.settles).toBeGreaterThan(0);

      const log = readLog(file);
      expect(log.steps[0].step).toBe(rec.startCheckpoint?.step);
      expect(Math.min(...log.steps.flatMap((f) => f.starts))).toBe(1); // relative to the jobs submitted before
      const res = await replayLog(log);
      expect(res.failure).toBeNull();
      expect(res.checks.length).toBeGreaterThan(10);
      expect(res.checks.every((c) => c.ok)).toBe(true);
    } finally {
      w.jobs.close();
      await pool.stop();
    }
  }, 30_000);

  it('refuses to start on a running world with jobs in flight, or a pipeline without the record system (coded error, nothing attached or written)', async () => {
    const w = createSimWorld({ id: 'busy', capacity: 16 });
    w.jobs.register<number, number>('slow', { handler: () => new Promise(() => {}), apply: () => {}, fail: () => {} });
    w.jobs.submit('slow', 1);
    const rec = new Recorder(w, { path: join(dir, 'busy.wtlog'), recipe: recipeOf });
    await expect(rec.start()).rejects.toMatchObject({ code: ErrorCode.RECORD_START_REFUSED });
    expect(w.record).toBeNull();
    expect(w.ingest.tap).toBeNull();
    expect(existsSync(join(dir, 'busy.wtlog'))).toBe(false);
    w.jobs.close();
    // A pipeline without the record system (the crowd scenario's) would record nothing: refused.
    const crowd = createSimWorld({ id: 'crowd', capacity: 16, systems: CROWD_SYSTEMS });
    const none = new Recorder(crowd, { path: join(dir, 'crowd.wtlog'), recipe: recipeOf });
    await expect(none.start()).rejects.toMatchObject({ code: ErrorCode.RECORD_START_REFUSED, message: /no record system/ });
  });
});
